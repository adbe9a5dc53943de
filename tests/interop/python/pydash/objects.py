"""get / set_ / omit on nested dicts, lists and objects, as pydash does for the paths azure-ai-ml uses."""

import re
from typing import Any, Iterable, List, Union

_MISSING = object()


def _keys(path: Union[str, int, Iterable[Any]]) -> List[Any]:
    if isinstance(path, (list, tuple)):
        return list(path)
    if isinstance(path, int):
        return [path]
    keys: List[Any] = []
    for part in str(path).split("."):
        # a[0][1] -> a, 0, 1
        for name, index in re.findall(r"([^\[\]]+)|\[(\d+)\]", part):
            keys.append(int(index) if index else name)
    return keys


def _child(obj: Any, key: Any) -> Any:
    if isinstance(obj, dict):
        if key in obj:
            return obj[key]
        if isinstance(key, int) and str(key) in obj:
            return obj[str(key)]
        return _MISSING
    if isinstance(obj, (list, tuple)):
        try:
            return obj[int(key)]
        except (ValueError, IndexError):
            return _MISSING
    return getattr(obj, str(key), _MISSING)


def get(obj: Any, path: Any, default: Any = None) -> Any:
    current = obj
    for key in _keys(path):
        current = _child(current, key)
        if current is _MISSING:
            return default
    return current


def set_(obj: Any, path: Any, value: Any) -> Any:
    keys = _keys(path)
    current = obj
    for i, key in enumerate(keys):
        last = i == len(keys) - 1
        if isinstance(current, dict):
            if last:
                current[key] = value
            else:
                if not isinstance(current.get(key), (dict, list)):
                    current[key] = [] if isinstance(keys[i + 1], int) else {}
                current = current[key]
        elif isinstance(current, list):
            index = int(key)
            while len(current) <= index:
                current.append(None)
            if last:
                current[index] = value
            else:
                if not isinstance(current[index], (dict, list)):
                    current[index] = [] if isinstance(keys[i + 1], int) else {}
                current = current[index]
        else:
            if last:
                setattr(current, str(key), value)
            else:
                current = getattr(current, str(key))
    return obj


def omit(obj: Any, *paths: Any) -> Any:
    flat: List[Any] = []
    for p in paths:
        if isinstance(p, (list, tuple)):
            flat.extend(p)
        else:
            flat.append(p)
    if not isinstance(obj, dict):
        return obj
    result = dict(obj)
    for p in flat:
        keys = _keys(p)
        if len(keys) == 1:
            result.pop(keys[0], None)
    return result
