"""How azure-ai-ml names and sends inline environments: reads [{"image", "conda_file", "inference_config"}]
(conda_file an absolute path or a mapping) as JSON on stdin, prints [{"name", "version", "condaFile"}]."""

import json
import sys

from azure.ai.ml.entities import Environment

results = []
for case in json.load(sys.stdin):
    env = Environment(
        image=case.get("image"),
        conda_file=case.get("conda_file"),
        inference_config=case.get("inference_config"),
        is_anonymous=True,
    )
    results.append({"name": env.name, "version": env.version, "condaFile": env._translated_conda_file})
print(json.dumps(results))
