"""Test stand-in for azureml-inference-server-http's AMLResponse: with json_str=True it json.dumps the
message and answers application/json, as the real class (a flask Response) does."""

import json


class AMLResponse:
    def __init__(self, message, status_code, response_headers=None, json_str=False, run_function_failed=False):
        self.status_code = status_code
        self.text = json.dumps(message) if json_str else message
        self.mimetype = "application/json" if json_str else None
        self.headers = dict(response_headers or {})
