"""One azure-ai-ml operation per call, for the interop tests (tests/interop/*.test.ts):

    /usr/bin/python3 interop.py COMMAND '<json arguments>'
    /usr/bin/python3 interop.py --serve      # many, one JSON line each (see serve)

The emulator's env file must be in the environment (see amlclient.py). The last stdout line is one
JSON object: the result, or {"error": {"type", "message"}} with exit code 1. Keys and tokens are
never printed: only their length and SHA-256, so a test can compare them with what an action saw."""

import hashlib
import io
import json
import os
import sys
import traceback
from contextlib import redirect_stdout

from amlclient import ml_client


def _sha256(text):
    return hashlib.sha256(text.encode()).hexdigest() if text else None


def _files(root):
    out = []
    for folder, _, names in os.walk(root):
        for name in names:
            full = os.path.join(folder, name)
            with open(full, "rb") as f:
                data = f.read()
            out.append(
                {
                    "path": os.path.relpath(full, root).replace(os.sep, "/"),
                    "size": len(data),
                    "sha256": hashlib.sha256(data).hexdigest(),
                }
            )
    return sorted(out, key=lambda x: x["path"])


def _asset(a):
    return {
        "id": a.id,
        "name": a.name,
        "version": a.version,
        "type": a.type,
        "path": a.path,
        "description": a.description,
        "tags": dict(a.tags or {}),
        "properties": dict(a.properties or {}),
    }


def _job(j):
    return {
        "name": j.name,
        "type": j.type,
        "status": j.status,
        "display_name": j.display_name,
        "experiment_name": j.experiment_name,
        "compute": j.compute,
        "tags": dict(j.tags or {}),
        "studio_url": j.studio_url,
        "jobs": sorted(getattr(j, "jobs", {}) or {}),
        "class": type(j).__name__,
    }


def model_create(c, a):
    from azure.ai.ml.entities import Model

    m = c.models.create_or_update(
        Model(name=a["name"], version=a.get("version"), path=a["path"], type=a.get("type", "custom_model"))
    )
    return _asset(m)


def data_create(c, a):
    from azure.ai.ml.entities import Data

    d = c.data.create_or_update(
        Data(name=a["name"], version=a.get("version"), path=a["path"], type=a.get("type", "uri_folder"))
    )
    return _asset(d)


def data_list(c, a):
    return {"value": [_asset(d) for d in c.data.list(name=a["name"])]}


def model_get(c, a):
    return _asset(c.models.get(a["name"], version=a.get("version")))


def model_list(c, a):
    return {"value": [_asset(m) for m in c.models.list(name=a["name"])]}


def model_download(c, a):
    c.models.download(a["name"], a["version"], download_path=a["dir"])
    return {"files": _files(a["dir"])}


def data_get(c, a):
    return _asset(c.data.get(a["name"], version=a.get("version")))


def endpoint_get(c, a):
    e = c.online_endpoints.get(a["name"])
    return {
        "name": e.name,
        "auth_mode": e.auth_mode,
        "scoring_uri": e.scoring_uri,
        "traffic": dict(e.traffic or {}),
        "provisioning_state": e.provisioning_state,
        "tags": dict(e.tags or {}),
    }


def endpoint_keys(c, a):
    keys = c.online_endpoints.get_keys(a["name"])
    if hasattr(keys, "primary_key"):
        return {
            "kind": "keys",
            "primary_sha256": _sha256(keys.primary_key),
            "secondary_sha256": _sha256(keys.secondary_key),
            "primary_length": len(keys.primary_key or ""),
        }
    return {"kind": "token", "token_length": len(keys.access_token or ""), "expiry": keys.expiry_time_utc}


def endpoint_deploy(c, a):
    """A managed endpoint and one deployment as azure-ai-ml users write them: model, code folder with
    a scoring script, an environment from an image and a conda file; then 100 % traffic to it."""
    from azure.ai.ml.entities import CodeConfiguration, Environment, ManagedOnlineDeployment, ManagedOnlineEndpoint

    endpoint = c.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name=a["endpoint"], auth_mode="key")).result()
    deployment = ManagedOnlineDeployment(
        name=a["deployment"],
        endpoint_name=a["endpoint"],
        model=c.models.get(a["model"], version=a["version"]),
        code_configuration=CodeConfiguration(code=a["code"], scoring_script=a["scoring_script"]),
        # An environment as written (`azureml:NAME@latest`, which azure-ai-ml resolves to a version),
        # or an anonymous one from an image and a conda file.
        environment=a["environment"] if a.get("environment") else Environment(image=a["image"], conda_file=a["conda_file"]),
        instance_type="Standard_DS3_v2",
        instance_count=1,
    )
    created = c.online_deployments.begin_create_or_update(deployment).result()
    endpoint.traffic = {a["deployment"]: 100}
    endpoint = c.online_endpoints.begin_create_or_update(endpoint).result()
    return {"deployment": created.name, "provisioning_state": created.provisioning_state, "traffic": dict(endpoint.traffic)}


def environment_create(c, a):
    """environments.create_or_update: a named environment version from an image and a conda file."""
    from azure.ai.ml.entities import Environment

    env = c.environments.create_or_update(
        Environment(name=a["name"], version=a["version"], image=a["image"], conda_file=a["conda_file"])
    )
    return {"id": env.id, "name": env.name, "version": env.version}


def endpoint_invoke(c, a):
    """online_endpoints.invoke: the SDK fetches the key or token itself and calls the scoring URI."""
    text = c.online_endpoints.invoke(a["name"], request_file=a["request_file"], deployment_name=a.get("deployment"))
    return {"response": json.loads(text) if isinstance(text, str) else text}


def deployment_get(c, a):
    d = c.online_deployments.get(a["name"], a["endpoint"])
    return {"name": d.name, "model": d.model if isinstance(d.model, str) else getattr(d.model, "id", None),
            "instance_type": d.instance_type, "provisioning_state": d.provisioning_state}


def deployment_logs(c, a):
    text = c.online_deployments.get_logs(
        a["name"], a["endpoint"], a.get("lines", 100), container_type=a.get("container_type")
    )
    return {"logs": text}


def jobs_get(c, a):
    return _job(c.jobs.get(a["name"]))


def jobs_list(c, a):
    kwargs = {"parent_job_name": a["parent"]} if a.get("parent") else {}
    return {"value": [_job(j) for j in c.jobs.list(**kwargs)]}


def job_create(c, a):
    """load_job + jobs.create_or_update of a CLI v2 YAML file (the parity tests)."""
    from azure.ai.ml import load_job

    job = load_job(source=a["file"], params_override=a.get("overrides", []))
    if a.get("name"):
        # The job's name is only in the request's path: a caller that chooses it finds the PUT in
        # the emulator's log also when the PUT is refused, and files with the same `name` never collide.
        job.name = a["name"]
    created = c.jobs.create_or_update(job, experiment_name=a.get("experiment"))
    return _job(created)


def component_create(c, a):
    from azure.ai.ml import load_component

    created = c.components.create_or_update(load_component(source=a["file"]))
    return {"id": created.id, "name": created.name, "version": created.version}


COMMANDS = {
    "component-create": component_create,
    "model-create": model_create,
    "model-get": model_get,
    "model-list": model_list,
    "model-download": model_download,
    "data-create": data_create,
    "data-get": data_get,
    "data-list": data_list,
    "endpoint-get": endpoint_get,
    "endpoint-keys": endpoint_keys,
    "endpoint-invoke": endpoint_invoke,
    "endpoint-deploy": endpoint_deploy,
    "environment-create": environment_create,
    "deployment-get": deployment_get,
    "deployment-logs": deployment_logs,
    "jobs-get": jobs_get,
    "jobs-list": jobs_list,
    "job-create": job_create,
}


def serve():
    """One process for many operations (importing azure-ai-ml takes seconds): one JSON request per
    stdin line ({"command", "args", "cwd"}), one JSON answer per stdout line ({"result"} or
    {"error", "log"}); the SDK's own output goes to stderr."""
    real_stdout = sys.stdout
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        chatter = io.StringIO()
        try:
            if request.get("cwd"):
                os.chdir(request["cwd"])
            with redirect_stdout(chatter):
                answer = {"result": COMMANDS[request["command"]](ml_client(), request.get("args") or {})}
        except Exception as error:  # noqa: BLE001 - reported to the test, which fails on it
            chatter.write(traceback.format_exc())
            answer = {"error": {"type": type(error).__name__, "message": str(error)}, "log": chatter.getvalue()[-6000:]}
        sys.stderr.write(chatter.getvalue())
        real_stdout.write(json.dumps(answer, default=str) + "\n")
        real_stdout.flush()


def main():
    if sys.argv[1] == "--serve":
        serve()
        return
    command = sys.argv[1]
    args = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
    chatter = io.StringIO()
    try:
        with redirect_stdout(chatter):  # progress bars and warnings stay off the result line
            result = COMMANDS[command](ml_client(), args)
    except Exception as error:  # noqa: BLE001 - reported to the test, which fails on it
        sys.stderr.write(chatter.getvalue())
        traceback.print_exc()
        print(json.dumps({"error": {"type": type(error).__name__, "message": str(error)}}, default=str))
        sys.exit(1)
    sys.stderr.write(chatter.getvalue())
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
