"""How to install one of aad's optional extras: from aad's checkout, never by the name ``aad`` on PyPI.

The name ``aad`` on PyPI belongs to another project (an Azure AD B2C token SDK), so no
message says ``pip install "aad[...]"``: each names the Makefile target and the two
commands that install the extra from the checkout itself.
"""

from __future__ import annotations

__all__ = ["install_extra"]


def install_extra(extra: str) -> str:
    """The words that end a message on a missing optional dependency of ``extra``.

    >>> print(install_extra("stream"))
    run 'make extras' in aad's checkout (or: uv sync --inexact --extra stream / pip install -e ".[stream]")
    """
    return (
        f"run 'make extras' in aad's checkout "
        f'(or: uv sync --inexact --extra {extra} / pip install -e ".[{extra}]")'
    )
