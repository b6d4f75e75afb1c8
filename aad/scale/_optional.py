"""The optional dependencies of :mod:`aad.scale` (the ``scale`` extra), imported when used."""

from __future__ import annotations

import importlib
from types import ModuleType

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
            f"{module} is not installed; it comes with aad's 'scale' extra: pip install \"aad[scale]\" "
            "(or make install-test in a clone)"
        ) from err
