"""Runs action-deploy/assets/onnx-generic/score.py on requests from stdin, as the inference server would.

Usage: run_score.py MODEL_DIR < [{"method": "POST", "body": "<text>"}, ...]
Prints [{"status": N, "body": <parsed JSON>}, ...]. onnxruntime and azureml.contrib are the stand-ins
beside this file (Debian packages neither).
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPOSITORY = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(REPOSITORY, "action-deploy", "assets", "onnx-generic"))
os.environ["AZUREML_MODEL_DIR"] = sys.argv[1]

import score  # noqa: E402  (the paths above must come first)


class Request:
    def __init__(self, method, body):
        self.method = method
        self._body = body

    def get_data(self, cache=True):
        return self._body


score.init()
results = []
for case in json.load(sys.stdin):
    response = score.run(Request(case["method"], case["body"].encode("utf-8")))
    results.append({"status": response.status_code, "body": json.loads(response.text)})
print(json.dumps(results))
