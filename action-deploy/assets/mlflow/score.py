"""Scoring script for MLflow models deployed without one (no-code deployment).

Azure Machine Learning generates the scoring script of an MLflow model itself. The emulator and
action-deploy's target local serve MLflow models with this one, written to answer as Azure's does
(how-to-deploy-mlflow-models-online-endpoints): the request's `input_data` is a pandas DataFrame in
split orientation ({"columns": [...], "index": [...], "data": [[...]]}), a list (an array), or a
dictionary of named arrays; the answer is the model's predictions as JSON (DataFrames as records).
The model folder is AZUREML_MODEL_DIR/MLFLOW_MODEL_FOLDER, as in Azure's MLflow image.
"""
import json
import logging
import os

import mlflow.pyfunc
import numpy as np
from azureml.contrib.services.aml_request import rawhttp
from azureml.contrib.services.aml_response import AMLResponse

logger = logging.getLogger(__name__)
model = None


def init():
    global model
    folder = os.path.join(os.environ["AZUREML_MODEL_DIR"], os.environ.get("MLFLOW_MODEL_FOLDER", ""))
    logger.info("Loading the MLflow model in %s", folder)
    model = mlflow.pyfunc.load_model(folder)


def respond(status, payload):
    return AMLResponse(payload, status, json_str=True)


def model_input(input_data):
    """The object model.predict takes, from a request's input_data."""
    if isinstance(input_data, list):
        return np.asarray(input_data)
    if isinstance(input_data, dict) and {"columns", "index", "data"} <= set(input_data):
        import pandas as pd

        return pd.DataFrame(input_data["data"], columns=input_data["columns"], index=input_data["index"])
    if isinstance(input_data, dict):
        return {name: np.asarray(value) for name, value in input_data.items()}
    raise ValueError("input_data must be a list, a DataFrame in split orientation or a dictionary of arrays")


def jsonable(result):
    """Predictions as JSON values: arrays as lists, DataFrames and Series as records."""
    if hasattr(result, "to_dict") and hasattr(result, "columns"):
        return result.to_dict(orient="records")
    if hasattr(result, "tolist"):
        return result.tolist()
    if isinstance(result, dict):
        return {key: jsonable(value) for key, value in result.items()}
    return result


@rawhttp
def run(request):
    if request.method != "POST":
        return respond(405, {"error": f"Method {request.method} is not allowed here; use POST."})
    try:
        body = json.loads(request.get_data(as_text=True))
    except ValueError as error:
        return respond(400, {"error": f"The request body is not valid JSON: {error}"})
    if not isinstance(body, dict) or "input_data" not in body:
        keys = ", ".join(sorted(body)) if isinstance(body, dict) else type(body).__name__
        return respond(
            400,
            {
                "error": "The request needs a top-level 'input_data' (Azure's format for MLflow models; "
                f"MLflow's own server formats such as 'dataframe_split' are not it); got {keys}."
            },
        )
    try:
        data = model_input(body["input_data"])
    except (ValueError, TypeError) as error:
        return respond(400, {"error": str(error)})
    params = body.get("params")
    result = model.predict(data, params=params) if params is not None else model.predict(data)
    return respond(200, jsonable(result))
