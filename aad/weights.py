"""The AAD weight update: from labels to per-leaf score contributions.

The score of a row is the mean over trees of the value of the leaf it reaches,

    s(x) = (1/T) * sum_t v[leaf_t(x)],

which is the linear AAD score ``w . phi(x)`` with one feature per leaf,
``phi_l(x) = -h_l / T`` when ``x`` reaches leaf ``l`` (``h_l = depth + c(n_samples)``,
its isolation path length) and ``v_l = w_l * (-h_l)``. With uniform weights ``w = 1``,
``v0 = -h`` and ``s`` is minus the mean isolation path length: the score ranks rows
exactly as the isolation forest does.

Feedback minimises the AAD objective (Das et al., 2016; 2020)

    J(v) = mean_{a in A} l_A(s(a)) + mean_{n in N} l_N(s(n))
           + 1 / (2 eta |L| T) * sum_l (v_l - v0_l)^2 / b_l,

labelled anomalies ``A``, nominals ``N``, ``|L| = |A| + |N|``; the prior pulls towards the
isolation forest with an influence that fades as labels accumulate (``1/|L|``) and a
per-leaf variance ``b_l = log2(max_samples / n_l)``, the information carried by sharing
leaf ``l`` (a leaf holding few training samples says more about the rows in it).

``loss="linear"`` (the default) uses ``l_A(s) = -s`` and ``l_N(s) = s``: the AAD hinge
terms in the regime where every one of them is active, so each anomaly is pushed up and
each nominal down in proportion to the evidence. Setting the gradient to zero gives the
update in closed form,

    v = v0 + eta * |L| * b * (c_A / |A| - c_N / |N|),

with ``c_A``, ``c_N`` the number of labelled anomalies and nominals in each leaf. It is
exact, touches only the leaves of labelled rows, is independent of label order, and an
undo is the subtraction of one count. ``loss="hinge"`` (see :mod:`aad.hinge`) keeps the
reference's saturating hinges around the tau-quantile score; it finds fewer anomalies
(see the README's table) and is kept for comparison.

References
----------
Das, Wong, Dietterich, Fern, Emmott, "Incorporating Expert Feedback into Active Anomaly
Discovery", ICDM 2016. Das, Islam, Doppa, Fern, "Active Anomaly Detection via Ensembles:
Insights, Algorithms, and Interpretability", arXiv:1901.08930.
"""

from __future__ import annotations

import numpy as np

from ._validation import Interval, validate_params

__all__ = ["leaf_values", "linear_update"]


def linear_update(
    information: np.ndarray,
    anomaly_counts: np.ndarray,
    nominal_counts: np.ndarray,
    *,
    n_anomalies: int,
    n_nominals: int,
    eta: float = 1.0,
) -> np.ndarray:
    """The change of each leaf's value that the labels ask for (``v - v0``).

    Parameters
    ----------
    information : ndarray of shape (n_leaves,)
        Prior variance of each leaf, ``log2(max_samples / n_samples)``.
    anomaly_counts, nominal_counts : ndarray of shape (n_leaves,)
        Labelled anomalies / nominals in each leaf (a row counts once per tree).
    n_anomalies, n_nominals : int
        Number of labelled anomalies / nominals.
    eta : float, default=1.0
        Feedback strength: score change, in isolation-path edges, per bit of shared
        leaf information per label. 0 switches feedback off.

    Returns
    -------
    ndarray of shape (n_leaves,)

    Examples
    --------
    One tree with two leaves; one anomaly in leaf 0 and one nominal in leaf 1:

    >>> linear_update(np.array([3.0, 1.0]), np.array([1, 0]), np.array([0, 1]),
    ...               n_anomalies=1, n_nominals=1)
    array([ 6., -2.])
    """
    validate_params("linear_update", {"eta": [Interval("float", 0, None)]}, {"eta": eta})
    n_labels = n_anomalies + n_nominals
    if n_labels == 0 or eta == 0:
        return np.zeros_like(information, dtype=np.float64)
    pull = anomaly_counts / max(n_anomalies, 1) - nominal_counts / max(n_nominals, 1)
    return eta * n_labels * information * pull


def leaf_values(
    path_length: np.ndarray,
    information: np.ndarray,
    anomaly_counts: np.ndarray,
    nominal_counts: np.ndarray,
    *,
    n_anomalies: int,
    n_nominals: int,
    eta: float = 1.0,
) -> np.ndarray:
    """Per-leaf score contributions ``v = -path_length + linear_update(...)``.

    Examples
    --------
    >>> zero = np.array([0, 0])
    >>> leaf_values(np.array([2.0, 8.0]), np.array([3.0, 1.0]), zero, zero,
    ...             n_anomalies=0, n_nominals=0)
    array([-2., -8.])
    """
    delta = linear_update(
        information,
        anomaly_counts,
        nominal_counts,
        n_anomalies=n_anomalies,
        n_nominals=n_nominals,
        eta=eta,
    )
    return -np.asarray(path_length, dtype=np.float64) + delta
