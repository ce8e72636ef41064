"""camel_case_params: lets manifests spell a node's keyword parameters in camelCase, as upstream's do."""

from __future__ import annotations

import functools
import inspect
import re
from typing import Any, TypeVar

from ..node import Node

__all__ = ["camel_case_params"]

_N = TypeVar("_N", bound=type[Node])


def _camel(name: str) -> str:
    return re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), name)


def camel_case_params(cls: _N) -> _N:
    """Class decorator: ``chunkSize=512`` reaches ``__init__`` as ``chunk_size=512``.

    Upstream manifests use both spellings (``minSilenceDurationMs`` and
    ``min_silence_duration_ms``); passing both for one parameter is a ``TypeError``.
    """
    init = cls.__init__
    aliases = {
        _camel(param): param
        for param in inspect.signature(init).parameters
        if param != "self" and _camel(param) != param
    }

    @functools.wraps(init)
    def __init__(self: Node, *args: Any, **kwargs: Any) -> None:
        for camel, snake in aliases.items():
            if camel in kwargs:
                if snake in kwargs:
                    raise TypeError(
                        f"{cls.__name__}: got both {camel!r} and {snake!r} for one parameter"
                    )
                kwargs[snake] = kwargs.pop(camel)
        init(self, *args, **kwargs)

    setattr(cls, "__init__", __init__)  # noqa: B010 - mypy rejects assigning to a method
    return cls
