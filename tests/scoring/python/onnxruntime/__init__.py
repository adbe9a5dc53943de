"""Test stand-in for onnxruntime's Python API, which Debian does not package (no python3-onnxruntime).

It offers the surface score.py uses (SessionOptions, InferenceSession, get_inputs/get_outputs with
NodeArg-like name/type/shape, run) and runs the model with onnxruntime-node in a helper process
(ort_bridge.mjs), so score.py's parsing, checks and output encoding meet a real model.
Like onnxruntime, run() refuses feeds whose numpy dtype differs from the model's element type.
"""

import json
import os
import subprocess

import numpy as np

# tests/scoring/python/onnxruntime/__init__.py -> tests/scoring/ort_bridge.mjs
BRIDGE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "ort_bridge.mjs")
NODE = os.environ.get("ORT_BRIDGE_NODE", "node")
ONNX_TYPE = {
    "float32": "tensor(float)",
    "float64": "tensor(double)",
    "int8": "tensor(int8)",
    "uint8": "tensor(uint8)",
    "int16": "tensor(int16)",
    "uint16": "tensor(uint16)",
    "int32": "tensor(int32)",
    "uint32": "tensor(uint32)",
    "int64": "tensor(int64)",
    "uint64": "tensor(uint64)",
    "bool": "tensor(bool)",
}
NUMPY_TYPE = {
    "float32": np.float32,
    "float64": np.float64,
    "int8": np.int8,
    "uint8": np.uint8,
    "int16": np.int16,
    "uint16": np.uint16,
    "int32": np.int32,
    "uint32": np.uint32,
    "int64": np.int64,
    "uint64": np.uint64,
    "bool": np.bool_,
}


class SessionOptions:
    log_severity_level = 2


class NodeArg:
    def __init__(self, name, element_type, shape):
        self.name = name
        self.type = ONNX_TYPE[element_type]
        self.element_type = element_type
        self.shape = shape


class InferenceSession:
    def __init__(self, path, sess_options=None, providers=None):
        self._helper = subprocess.Popen(
            [NODE, BRIDGE, path], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        described = self._call({"op": "describe"})
        self._inputs = [NodeArg(m["name"], m["type"], m["shape"]) for m in described["inputs"]]
        self._outputs = [NodeArg(m["name"], m["type"], m["shape"]) for m in described["outputs"]]

    def _call(self, message):
        self._helper.stdin.write(json.dumps(message) + "\n")
        self._helper.stdin.flush()
        return json.loads(self._helper.stdout.readline())

    def get_inputs(self):
        return self._inputs

    def get_outputs(self):
        return self._outputs

    def run(self, output_names, input_feed):
        feeds = {}
        for arg in self._inputs:
            array = input_feed[arg.name]
            if array.dtype != NUMPY_TYPE[arg.element_type]:
                raise RuntimeError(
                    f"[ONNXRuntimeError] : 2 : INVALID_ARGUMENT : Unexpected input data type. "
                    f"Actual: ({array.dtype}) , expected: ({arg.type})"
                )
            values = array.ravel().tolist()
            if arg.element_type in ("int64", "uint64"):
                values = [str(value) for value in values]
            feeds[arg.name] = {"type": arg.element_type, "dims": list(array.shape), "data": values}
        reply = self._call({"op": "run", "feeds": feeds})
        if "error" in reply:
            raise RuntimeError(reply["error"])
        wanted = output_names or [arg.name for arg in self._outputs]
        by_name = {output["name"]: output for output in reply["outputs"]}
        return [
            np.array(
                [int(v) for v in by_name[name]["data"]]
                if by_name[name]["type"] in ("int64", "uint64")
                else by_name[name]["data"],
                dtype=NUMPY_TYPE[by_name[name]["type"]],
            ).reshape(by_name[name]["dims"])
            for name in wanted
        ]
