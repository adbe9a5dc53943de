"""Test stand-in for azureml-inference-server-http's rawhttp: the server passes the request as is."""


def rawhttp(function):
    return function
