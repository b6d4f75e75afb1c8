"""Which rows of a table a session already has: a table that grew, recognised row by row.

The next day's export holds yesterday's rows and more. A row is recognised by its content
(its features, as float64, and its ground truth when the table has one), counted as a
multiset: a table holding a row three times that the session holds twice brings one new
copy. The rows not recognised are appended in the order the table lists them.
"""

from __future__ import annotations

import hashlib
from collections import Counter

import numpy as np

__all__ = ["content_hash", "unseen_rows"]


def _keys(X: np.ndarray, y: np.ndarray | None) -> list[bytes]:
    X = np.ascontiguousarray(X, dtype=np.float64)
    X = np.where(X == 0.0, 0.0, X)  # -0.0 and 0.0 are the same value
    X = np.where(np.isnan(X), np.nan, X)  # and every missing cell the same (NaN has many bit patterns)
    if y is not None:
        X = np.column_stack([X, np.asarray(y, dtype=np.float64)])
    return [row.tobytes() for row in X]


def unseen_rows(known: np.ndarray, X: np.ndarray, *, known_y=None, y=None) -> np.ndarray:
    """Row numbers of ``X`` that ``known`` does not hold (as a multiset), in order.

    Parameters
    ----------
    known : ndarray of shape (n_known, n_features)
        The rows the session has.
    X : ndarray of shape (n_samples, n_features)
        The table that may have grown.
    known_y, y : array-like of shape (n_known,) / (n_samples,), optional
        Ground truth, part of a row's identity when given for both.

    Examples
    --------
    >>> known = np.array([[1.0, 2.0], [3.0, 4.0], [3.0, 4.0]])
    >>> grown = np.array([[3.0, 4.0], [5.0, 6.0], [1.0, 2.0], [3.0, 4.0], [3.0, 4.0]])
    >>> unseen_rows(known, grown).tolist()
    [1, 4]
    """
    both = known_y is not None and y is not None
    have = Counter(_keys(known, known_y if both else None))
    out = []
    for i, key in enumerate(_keys(X, y if both else None)):
        if have[key] > 0:
            have[key] -= 1
        else:
            out.append(i)
    return np.asarray(out, dtype=np.int64)


def content_hash(X: np.ndarray, y=None) -> str:
    """SHA-256 of rows (features as float64, then ground truth): what the log records of an addition.

    >>> a = content_hash(np.array([[0.0, 1.0]]))
    >>> a == content_hash(np.array([[-0.0, 1.0]])), a == content_hash(np.array([[1.0, 0.0]])), len(a)
    (True, False, 64)
    """
    digest = hashlib.sha256()
    X = np.ascontiguousarray(X, dtype=np.float64)
    digest.update(f"{X.shape[0]}x{X.shape[1]}:".encode())
    digest.update(np.where(X == 0.0, 0.0, X).tobytes())
    if y is not None:
        digest.update(np.asarray(y, dtype=np.int8).tobytes())
    return digest.hexdigest()
