"""Generic scoring script for an ONNX custom_model on Azure ML (azureml-inference-server-http).

action-deploy uses it when an ONNX model is deployed without `code-path`. It serves the same JSON
contract, checks and error messages as shared/scoring/ (the local target and the emulator):
POST /score {"inputs": {name: nested lists or a scalar}} -> {"outputs": {name: nested lists}}.
"""

import glob
import json
import os
import re

import numpy as np
import onnxruntime as ort
from azureml.contrib.services.aml_request import rawhttp
from azureml.contrib.services.aml_response import AMLResponse

# ONNX element type -> (contract dtype name, numpy dtype)
ONNX_TYPES = {
    "tensor(float)": ("float32", np.float32),
    "tensor(double)": ("float64", np.float64),
    "tensor(float16)": ("float16", np.float16),
    "tensor(int8)": ("int8", np.int8),
    "tensor(uint8)": ("uint8", np.uint8),
    "tensor(int16)": ("int16", np.int16),
    "tensor(uint16)": ("uint16", np.uint16),
    "tensor(int32)": ("int32", np.int32),
    "tensor(uint32)": ("uint32", np.uint32),
    "tensor(int64)": ("int64", np.int64),
    "tensor(uint64)": ("uint64", np.uint64),
    "tensor(bool)": ("bool", np.bool_),
    "tensor(string)": ("string", object),
}
FLOATS = {"float32", "float64", "float16"}
INTEGER_RANGES = {
    "int8": (-(2**7), 2**7 - 1),
    "uint8": (0, 2**8 - 1),
    "int16": (-(2**15), 2**15 - 1),
    "uint16": (0, 2**16 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "uint32": (0, 2**32 - 1),
    "int64": (-(2**63), 2**63 - 1),
    "uint64": (0, 2**64 - 1),
}
DIGITS = re.compile(r"^-?\d{1,20}$")

session = None
model_inputs = []  # [(name, dtype name, numpy dtype, declared shape or None)]
model_outputs = []


class ScoringError(Exception):
    """A request the client must change: a status, a message, and the input concerned."""

    def __init__(self, status, message, details=None):
        super().__init__(message)
        self.status = status
        self.details = details or {}

    def body(self):
        return {"error": str(self), **self.details}


def find_model_file(model_dir):
    """The .onnx file under AZUREML_MODEL_DIR; AZUREML_ONNX_MODEL_FILE picks one when there are several."""
    chosen = os.environ.get("AZUREML_ONNX_MODEL_FILE")
    if chosen:
        return os.path.join(model_dir, chosen)
    found = sorted(glob.glob(os.path.join(model_dir, "**", "*.onnx"), recursive=True))
    if len(found) != 1:
        raise RuntimeError(
            f"Expected exactly one .onnx file under {model_dir}, found {len(found)}: {found}. "
            "Set the environment variable AZUREML_ONNX_MODEL_FILE to the one to serve."
        )
    return found[0]


def declared_shape(shape):
    # onnxruntime gives ints for fixed dims, strings for symbolic ones, None for unknown.
    if shape is None:
        return None
    return [dim if isinstance(dim, (int, str)) else None for dim in shape]


def init():
    global session, model_inputs, model_outputs
    path = find_model_file(os.environ.get("AZUREML_MODEL_DIR", "."))
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    model_inputs = [describe(value, "input") for value in session.get_inputs()]
    model_outputs = [describe(value, "output") for value in session.get_outputs()]


def describe(value, kind):
    if value.type not in ONNX_TYPES:
        raise RuntimeError(f"The model's {kind} '{value.name}' has type {value.type}, which cannot be served as JSON")
    dtype_name, numpy_dtype = ONNX_TYPES[value.type]
    return (value.name, dtype_name, numpy_dtype, declared_shape(value.shape))


def format_declared(shape):
    if shape is None:
        return "any shape"
    return "[" + ", ".join("?" if dim is None else str(dim) for dim in shape) + "]"


def describe_input(info):
    return f"{info[1]} {format_declared(info[3])}"


def expected_of(info):
    return {"dtype": info[1], "shape": info[3]}


def describe_json(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return f"an array of {len(value)}"
    if isinstance(value, str):
        return f'a string ("{value[:17]}...")' if len(value) > 20 else f'"{value}"'
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def describe_element(dtype_name):
    if dtype_name in FLOATS:
        return f"a number ({dtype_name})"
    if dtype_name in ("int64", "uint64"):
        return f"an integer ({dtype_name}; as a JSON number, or a string of digits for values beyond 2^53)"
    if dtype_name == "bool":
        return "true or false (bool)"
    if dtype_name == "string":
        return "a string"
    low, high = INTEGER_RANGES[dtype_name]
    return f"an integer from {low} to {high} ({dtype_name})"


def element_fits(dtype_name, value):
    if dtype_name in FLOATS:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if dtype_name == "bool":
        return value is True or value is False or (type(value) in (int, float) and value in (0, 1))
    if dtype_name == "string":
        return isinstance(value, str)
    if isinstance(value, bool):
        return False
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, str) and dtype_name in ("int64", "uint64") and DIGITS.match(value):
        value = int(value)
    if not isinstance(value, int):
        return False
    low, high = INTEGER_RANGES[dtype_name]
    return low <= value <= high


def format_path(path):
    return "the top level" if not path else "".join(f"[{index}]" for index in path)


def find_problem(dtype_name, value):
    """Walks the nesting like the TypeScript contract does and returns its message for the first problem."""
    dims = []
    probe = value
    while isinstance(probe, list):
        dims.append(len(probe))
        if not probe:
            break
        probe = probe[0]

    def walk(items, depth, path):
        if depth == len(dims):
            if element_fits(dtype_name, items):
                return None
            where = "the value" if not path else f"the element at {format_path(path)}"
            return f"{where} is {describe_json(items)}; expected {describe_element(dtype_name)}"
        if not isinstance(items, list):
            return (
                f"the item at {format_path(path)} is {describe_json(items)} where its siblings are arrays: "
                "nested arrays must be rectangular"
            )
        if len(items) != dims[depth]:
            return (
                f"the array at {format_path(path)} has {len(items)} items where its siblings have {dims[depth]}: "
                "nested arrays must be rectangular"
            )
        for index, item in enumerate(items):
            problem = walk(item, depth + 1, path + [index])
            if problem:
                return problem
        return None

    return walk(value, 0, [])


def to_array(info, value):
    """Converts one input's JSON value with numpy; on anything numpy would coerce silently, asks find_problem."""
    name, dtype_name, numpy_dtype, _ = info
    try:
        raw = np.asarray(value)
    except ValueError:
        raw = None
    ok = raw is not None and raw.dtype != object
    if ok:
        kind = raw.dtype.kind
        if dtype_name in FLOATS:
            ok = kind in "iuf"
        elif dtype_name == "bool":
            ok = kind == "b" or (kind in "iuf" and bool(np.isin(raw, (0, 1)).all()))
        elif dtype_name == "string":
            ok = kind == "U"
        else:
            low, high = INTEGER_RANGES[dtype_name]
            if kind == "U" and dtype_name in ("int64", "uint64"):
                ok = all(DIGITS.match(text) for text in raw.ravel())
                if ok:
                    raw = np.array([int(text) for text in raw.ravel()], dtype=object).reshape(raw.shape)
                    ok = all(low <= number <= high for number in raw.ravel())
            elif kind == "f":
                ok = bool(np.isfinite(raw).all() and (np.mod(raw, 1) == 0).all())
                ok = ok and (raw.size == 0 or (raw.min() >= low and raw.max() <= high))
            elif kind in "iu":
                ok = raw.size == 0 or (int(raw.min()) >= low and int(raw.max()) <= high)
            else:
                ok = False
    if not ok:
        problem = find_problem(dtype_name, value) or f"the value cannot be read as {dtype_name}"
        raise ScoringError(
            400,
            f"Input '{name}': {problem}; the model expects {describe_input(info)}",
            {"input": name, "expected": expected_of(info)},
        )
    if dtype_name == "string":
        return raw.astype(object)
    return raw.astype(numpy_dtype)


def check_shapes(arrays):
    bound = {}
    for info in model_inputs:
        name, dtype_name, _, declared = info
        if declared is None:
            continue
        dims = list(arrays[name].shape)

        def fail(why):
            raise ScoringError(
                400,
                f"Input '{name}' has shape [{', '.join(str(d) for d in dims)}]; the model expects {describe_input(info)}: {why}",
                {"input": name, "expected": expected_of(info), "received": {"dtype": dtype_name, "shape": dims}},
            )

        if len(dims) != len(declared):
            if not declared:
                fail("a scalar (send a bare value, not an array)")
            fail(f"{len(declared)} dimension{'' if len(declared) == 1 else 's'}, got {len(dims)}")
        for axis, (want, got) in enumerate(zip(declared, dims)):
            if isinstance(want, int) and want != got:
                fail(f"dimension {axis} must be {want}, got {got}")
            if isinstance(want, str):
                if want not in bound:
                    bound[want] = (got, name)
                elif bound[want][0] != got:
                    fail(f"dimension {axis} ({want}) is {got}, but input '{bound[want][1]}' set {want} to {bound[want][0]}")


def example_body():
    names = ", ".join(f'"{info[0]}": ...' for info in model_inputs)
    return "{\"inputs\": {" + names + "}} with each input as nested arrays (or a bare value for a scalar)"


def feeds_from(body):
    """Every model input is required (missing recurrent state is a 400, not silent zeros), as in shared/scoring."""
    if not isinstance(body, dict):
        raise ScoringError(400, f"The request body is {describe_json(body)}; expected {example_body()}")
    unknown_fields = [field for field in body if field != "inputs"]
    if unknown_fields:
        plural = "" if len(unknown_fields) == 1 else "s"
        listed = ", ".join(f"'{field}'" for field in unknown_fields)
        raise ScoringError(400, f"Unknown field{plural} {listed} in the request body; expected {example_body()}")
    inputs = body.get("inputs")
    if not isinstance(inputs, dict):
        what = "missing" if "inputs" not in body else describe_json(inputs)
        raise ScoringError(400, f"'inputs' is {what}; expected {example_body()}")
    known = {info[0] for info in model_inputs}
    for name in inputs:
        if name not in known:
            listed = ", ".join(f"'{info[0]}' ({describe_input(info)})" for info in model_inputs)
            raise ScoringError(400, f"Unknown input '{name}'; the model's inputs are {listed}", {"input": name})
    missing = [info for info in model_inputs if info[0] not in inputs]
    if missing:
        plural = "" if len(missing) == 1 else "s"
        listed = ", ".join(f"'{info[0]}' ({describe_input(info)})" for info in missing)
        raise ScoringError(
            400,
            f"Missing input{plural} {listed}: every model input is required "
            "(for recurrent state such as an initial hidden state, send zeros of the declared shape)",
            {"input": missing[0][0], "expected": expected_of(missing[0])},
        )
    arrays = {info[0]: to_array(info, inputs[info[0]]) for info in model_inputs}
    check_shapes(arrays)
    return arrays


def json_ready(array):
    """Nested lists for json.dumps; non-finite floats become null, as in the TypeScript contract."""
    if array.dtype.kind == "f":
        values = array.astype(np.float64)
        if not np.isfinite(values).all():
            values = values.astype(object)
            values[~np.isfinite(array.astype(np.float64))] = None
        return values.tolist()
    return array.tolist()


def score(body):
    """The JSON contract on a parsed body: returns the response object, or raises ScoringError."""
    feeds = feeds_from(body)
    try:
        results = session.run(None, feeds)
    except Exception as error:  # onnxruntime raises its own exception types for bad values or sizes
        raise ScoringError(400, f"The model could not run on these inputs: {error}") from error
    return {"outputs": {info[0]: json_ready(np.asarray(value)) for info, value in zip(model_outputs, results)}}


def reject_constant(name):
    # Python's json reads NaN and Infinity, which are not JSON; refuse them as JSON.parse does.
    raise ValueError(f"{name} is not valid JSON")


def respond(status, payload):
    # json_str=True makes AMLResponse json.dumps the object itself and answer application/json.
    return AMLResponse(payload, status, json_str=True)


@rawhttp
def run(request):
    if request.method != "POST":
        return respond(405, {"error": f"Method {request.method} is not allowed here; use POST"})
    try:
        text = request.get_data(cache=False).decode("utf-8")
        if not text:
            raise ScoringError(400, "The request body is empty; send JSON")
        try:
            body = json.loads(text, parse_constant=reject_constant)
        except ValueError as error:
            raise ScoringError(400, f"The request body is not valid JSON: {error}") from error
        return respond(200, score(body))
    except ScoringError as error:
        return respond(error.status, error.body())
