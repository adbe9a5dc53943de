"""Connects Microsoft's azure-ai-ml (python/requirements.lock, in the project's venv) to the emulator, as ../../../shared/FACTS.md
describes: AZUREML_DEV_URL_MFE and REQUESTS_CA_BUNDLE come from the emulator's env file, Azurite's
path-style blob URLs replace STORAGE_ACCOUNT_URLS, and the credential logs in the way a GitHub
workflow does (a GitHub ID token from the emulator's OIDC issuer as the client assertion, traded at
the emulator's Entra token endpoint). Nothing here prints a token or a key."""

import json
import os
import ssl
import sys
import time
import urllib.parse
import urllib.request

from azure.core.credentials import AccessToken  # noqa: E402


def _ssl_context() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=os.environ["REQUESTS_CA_BUNDLE"])


def _http(url: str, data: bytes = None, headers: dict = None) -> dict:
    request = urllib.request.Request(url, data=data, headers=headers or {})
    with urllib.request.urlopen(request, context=_ssl_context(), timeout=30) as response:
        return json.loads(response.read().decode())


class GitHubOidcCredential:
    """azure.identity's ClientAssertionCredential without MSAL's instance discovery: a fresh GitHub
    ID token for every Entra token request (as the actions do)."""

    def __init__(self) -> None:
        self._cache = {}

    def get_token(self, *scopes: str, **_kwargs) -> AccessToken:
        scope = " ".join(scopes)
        cached = self._cache.get(scope)
        if cached and cached.expires_on - 60 > time.time():
            return cached
        audience = os.environ.get("AZUREML_OIDC_AUDIENCE", "api://AzureADTokenExchange")
        id_token = _http(
            os.environ["ACTIONS_ID_TOKEN_REQUEST_URL"] + "&audience=" + urllib.parse.quote(audience),
            headers={"Authorization": "Bearer " + os.environ["ACTIONS_ID_TOKEN_REQUEST_TOKEN"]},
        )["value"]
        form = urllib.parse.urlencode(
            {
                "client_id": os.environ["AZURE_CLIENT_ID"],
                "client_assertion": id_token,
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "scope": scope,
                "grant_type": "client_credentials",
            }
        ).encode()
        answer = _http(
            f"{os.environ['AZURE_AUTHORITY_HOST']}/{os.environ['AZURE_TENANT_ID']}/oauth2/v2.0/token",
            data=form,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        token = AccessToken(answer["access_token"], int(time.time()) + int(answer.get("expires_in", 3600)))
        self._cache[scope] = token
        return token


def ml_client():
    """An MLClient on the emulator's workspace. AZUREML_DEV_URL_MFE must be in the environment
    before azure.ai.ml reads it (when MLClient is built)."""
    from azure.ai.ml import MLClient
    from azure.ai.ml.constants import _common

    # Poll long-running operations as often as the emulator's tests do: without Retry-After (the
    # emulator's test settings leave it out) azure-ai-ml waits 5 s between polls of deployments and
    # its generated clients 30 s (their `polling_interval`, set below) for endpoints.
    from azure.ai.ml.constants._common import LROConfigurations

    poll = float(os.environ.get("AZUREML_INTEROP_POLL_SECONDS", "0.2"))
    LROConfigurations.POLL_INTERVAL = poll

    template = os.environ.get("AZURE_STORAGE_URL_TEMPLATE")
    if template:
        # azure-ai-ml builds blob URLs from this table, not from the datastore's endpoint.
        _common.STORAGE_ACCOUNT_URLS["AzureBlob"] = template.replace("{account}", "{}") + "/"
    return MLClient(
        credential=GitHubOidcCredential(),
        subscription_id=os.environ["AZURE_SUBSCRIPTION_ID"],
        resource_group_name=os.environ["AZURE_RESOURCE_GROUP"],
        workspace_name=os.environ["AZUREML_WORKSPACE"],
        connection_verify=os.environ["REQUESTS_CA_BUNDLE"],
        polling_interval=poll,
    )
