"""The AAD weight update: from labels to per-leaf score contributions.

The score of a row is the mean over trees of the value of the leaf it reaches,

    s(x) = (1/T) * sum_t v[leaf_t(x)],

which is the linear AAD score ``w . phi(x)`` with one feature per leaf,
``phi_l(x) = -h_l / T`` when ``x`` reaches leaf ``l`` (``h_l = depth + c(n_samples)``,
its isolation path length) and ``v_l = w_l * (-h_l)``. With uniform weights ``w = 1``,
``v0 = -h`` and ``s`` is minus the mean isolation path length: the score ranks rows
exactly as the isolation forest does.

Feedback minimises the AAD objective (Das et al., 2016; 2020)

    J(v) = (1/|L|) * (w_A * sum_{a in A} l_A(s(a)) + w_N * sum_{n in N} l_N(s(n)))
           + 1 / (2 eta |L| T) * sum_l (v_l - v0_l)^2 / b_l,

labelled anomalies ``A``, nominals ``N``, ``|L| = |A| + |N|``; the prior pulls towards the
isolation forest with an influence that fades as labels accumulate (``1/|L|``) and a
per-leaf variance ``b_l = log2(max_samples / n_l)``, the information carried by sharing
leaf ``l`` (a leaf holding few training samples says more about the rows in it).

The class weights ``w_c = 2 * (|L| / (2 |c|)) ** balance`` weight up the rarer class
(:func:`class_weights`). With ``balance = 1`` each class's loss is its mean, as in the
papers: one anomaly among 20 nominals then weighs as much as all of them, and late in a
run, when most labels are anomalies, each nominal outweighs several anomalies. The
default ``balance = 0.8`` weights the rarer class up, but less than in proportion: over
14 tables (the 7 shipped datasets and the 7 held-out tables of
``benchmarks/heldout.py``), every exponent from 0.75 to 0.85 finds a little more in total
than 1, and 0.8 is the middle of that range (``benchmarks/balance.py``). On the 26 tuning
tables, which had no part in that choice, 0.8 holds: 0.6, 0.7, 0.9 and 1 find -2.1, +1.1,
-3.0 and -7.4 (paired standard errors about 3; ``benchmarks/choose.py --only "class balance"``).

``loss="linear"`` (the default) uses ``l_A(s) = -s`` and ``l_N(s) = s``: the AAD hinge
terms in the regime where every one of them is active, so each anomaly is pushed up and
each nominal down in proportion to the evidence. Setting the gradient to zero gives the
update in closed form,

    v = v0 + eta * b * (w_A * c_A - w_N * c_N),

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

from ._validation import Interval, Options, validate_params

__all__ = ["BALANCE", "MAX_RATIO", "class_weights", "leaf_values", "linear_update"]

#: Default class-balance exponent (see :func:`class_weights`).
BALANCE = 0.8
#: Default cap on the class weights: one label of the rarer class weighs at most this many
#: labels of the other (see :func:`class_weights`).
MAX_RATIO = 10.0


def class_weights(
    n_anomalies: int, n_nominals: int, *, balance: float = BALANCE, max_ratio: float | None = MAX_RATIO
) -> tuple[float, float]:
    """The weight of one anomaly label and of one nominal label: ``(|L| / (2 |c|)) ** balance``, doubled.

    With ``balance=1`` each class carries half of the ``|L|`` labels' weight however few
    labels it has (``|L| / |A|`` per anomaly, the fully balanced AAD update); with
    ``balance=0`` every label weighs 2, whatever its class. In between, the rarer class
    is weighted up, but less than in proportion, and at most ``max_ratio`` times a label of
    the other class (None: no cap). Without the cap one nominal among 108 anomalies (an
    analyst who labelled a kind in bulk) weighs as much as 42 of them, and sinks every
    anomaly that shares its leaves to the bottom of the ranking.

    Examples
    --------
    >>> class_weights(1, 3, balance=1.0)
    (4.0, 1.3333333333333333)
    >>> class_weights(1, 3, balance=0.0)
    (2.0, 2.0)
    >>> class_weights(2, 2)
    (2.0, 2.0)
    >>> [round(w, 2) for w in class_weights(108, 1)]  # capped: one nominal weighs 10 anomalies
    [1.16, 11.57]
    >>> [round(w, 2) for w in class_weights(108, 1, max_ratio=None)]  # as heavy as 42 of them
    [1.16, 48.99]
    """
    n_labels = n_anomalies + n_nominals
    anomaly = 2.0 * (n_labels / (2.0 * max(n_anomalies, 1))) ** balance
    nominal = 2.0 * (n_labels / (2.0 * max(n_nominals, 1))) ** balance
    if max_ratio is None:
        return anomaly, nominal
    return min(anomaly, max_ratio * nominal), min(nominal, max_ratio * anomaly)


def linear_update(
    information: np.ndarray,
    anomaly_counts: np.ndarray,
    nominal_counts: np.ndarray,
    *,
    n_anomalies: int,
    n_nominals: int,
    eta: float = 1.0,
    balance: float = BALANCE,
    max_ratio: float | None = MAX_RATIO,
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
    balance : float, default=0.8
        How far the rarer class is weighted up (:func:`class_weights`).
    max_ratio : float or None, default=10
        At most how many labels of the other class one label of the rarer class weighs.

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
    validate_params(
        "linear_update",
        {
            "eta": [Interval("float", 0, None)],
            "balance": [Interval("float", 0, 1)],
            "max_ratio": [Options((None,)), Interval("float", 1, None)],
        },
        {"eta": eta, "balance": balance, "max_ratio": max_ratio},
    )
    if n_anomalies + n_nominals == 0 or eta == 0:
        return np.zeros_like(information, dtype=np.float64)
    per_anomaly, per_nominal = class_weights(n_anomalies, n_nominals, balance=balance, max_ratio=max_ratio)
    return eta * information * (per_anomaly * anomaly_counts - per_nominal * nominal_counts)


def leaf_values(
    path_length: np.ndarray,
    information: np.ndarray,
    anomaly_counts: np.ndarray,
    nominal_counts: np.ndarray,
    *,
    n_anomalies: int,
    n_nominals: int,
    eta: float = 1.0,
    balance: float = BALANCE,
    max_ratio: float | None = MAX_RATIO,
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
        balance=balance,
        max_ratio=max_ratio,
    )
    return -np.asarray(path_length, dtype=np.float64) + delta
