"""How to install one of aad's optional extras: from aad's checkout, never by the name ``aad`` on PyPI.

The name ``aad`` on PyPI belongs to another project (an Azure AD B2C token SDK), so no
message says ``pip install "aad[...]"``: each names the Makefile target and the two
commands that install the extra from the checkout itself.
"""

from __future__ import annotations

__all__ = ["install_extra"]


def install_extra(extra: str) -> str:
    """The words that end a message on a missing optional dependency of ``extra``.

    ``make`` made ``.venv`` with uv, which puts no pip in it (a ``pip`` on the PATH installs
    elsewhere: helper-57's review), so the second way is uv's, and pip's only for an environment
    of one's own:

    >>> print(install_extra("stream"))  # doctest: +NORMALIZE_WHITESPACE
    run 'make extras' in aad's checkout (or there: .tools/bin/uv sync --inexact --extra stream;
    in an environment of your own with pip: python -m pip install -e ".[stream]")
    """
    return (
        f"run 'make extras' in aad's checkout (or there: .tools/bin/uv sync --inexact --extra {extra}; "
        f'in an environment of your own with pip: python -m pip install -e ".[{extra}]")'
    )
