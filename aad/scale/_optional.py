"""The optional dependencies of :mod:`aad.scale` (the ``scale`` extra), imported when used."""

from __future__ import annotations

import importlib
from types import ModuleType

from .._extras import install_extra
from ..errors import AADError

__all__ = ["require"]


def require(module: str) -> ModuleType:
    """Import an optional dependency of the ``scale`` extra, or say how to install it.

    >>> require("json").__name__
    'json'
    """
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise AADError(
            f"{module} is not installed; it comes with aad's 'scale' extra: {install_extra('scale')}"
        ) from err
