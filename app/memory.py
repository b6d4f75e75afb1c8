"""Giving memory back to the system when a session is left (Linux, glibc).

glibc's ``malloc`` raises its threshold for serving large blocks with their own mapping each
time such a block is freed (up to 32 MB): after the first session is left, the arrays of the
next ones (a 500,000-row table's columns, a forest's leaf index) come from the heap, which is
not given back when they are freed, and the server's resident memory only grows. ``aad app``
fixes the threshold at its default (128 kB) before anything is loaded, so every large array
has its own mapping and returns to the system when freed; :func:`give_back` trims what the
heap holds free after a session is let go. Elsewhere both do nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import sys

_M_MMAP_THRESHOLD = -3  # mallopt parameter: fixed, no longer adjusted by frees
_THRESHOLD = 128 * 1024


def _libc():
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def fix_mmap_threshold() -> bool:
    """Serve every block of 128 kB or more with its own mapping; True if done (glibc)."""
    libc = _libc()
    return bool(libc is not None and libc.mallopt(_M_MMAP_THRESHOLD, _THRESHOLD))


def give_back() -> None:
    """Collect unreachable objects, then return the heap's free memory to the system (glibc)."""
    gc.collect()
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
