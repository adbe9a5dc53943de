"""A stand-in for the pydash functions azure-ai-ml 1.4 uses (Debian does not package pydash):
pydash.get, pydash.omit and pydash.objects.set_. Paths are dotted strings or lists of keys."""

from . import objects
from .objects import get, omit, set_

__all__ = ["get", "omit", "set_", "objects"]
