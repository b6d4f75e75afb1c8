"""river, the optional dependency of :mod:`aad.stream` (the ``stream`` extra), imported when used."""

from __future__ import annotations

import importlib
from types import ModuleType

from .._extras import install_extra
from ..errors import AADError

__all__ = ["require_river"]


def require_river(module: str) -> ModuleType:
    """Import a river module, or say how to install river.

    >>> require_river("river.drift").ADWIN.__name__
    'ADWIN'
    """
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise AADError(
            "river is not installed; streams need it (ADWIN, Half-Space Trees): " + install_extra("stream")
        ) from err
