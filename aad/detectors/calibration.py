"""Scores on one scale: where a score sits among the reference rows' scores.

Every detector scores on a scale of its own: an isolation forest's ``2 ** (-depth / c)``
lies in (0, 1], a local outlier factor's ratio of densities from about 1 to any height, an
autoencoder's reconstruction error in the data's squared units, a score file in whatever
its maker chose. :class:`Calibration` puts any of them on one scale, learned from the
scores of reference rows (the training data):

* ``z``: the probit of the row's mid-rank among the reference scores
  (``Φ⁻¹((below + ties / 2) / n)``, ``n`` the reference rows, the extreme ranks clipped
  at ``1 / (2n)`` from 0 and 1): 0 for the median reference row, about ±3.7 for the most
  extreme of 10,000. Between reference scores it is interpolated linearly; beyond the
  reference's range it continues linearly with the slope of its last stretch, so a new row
  scoring above every reference row still ranks above it (nothing is capped, no ties).
  Ensembles use ``z`` as each member's feature (:mod:`aad.detectors.ensemble`).
* :meth:`Calibration.probability`: ``Φ(z)``, in (0, 1] (1.0 only past ``z`` of about 8.3, where
  float64 rounds it). **0.5 is a typical row of the
  reference data**; 0.99 a row scoring as only 1 % of them do; higher is more anomalous,
  whatever the detector. This is a rank (ECDF) calibration, as in Kriegel, Kröger,
  Schubert and Zimek's unification of outlier scores, except that it needs no assumption
  on the distribution of the scores: it says how unusual the score is *among the reference
  rows*, not the probability that the row is an anomaly.

A detector's calibrated scores (``calibrated_score``) are its current scores calibrated
against its own training rows' current scores: as feedback rescales the scores, 0.5 stays
the typical training row.

References
----------
Kriegel, Kröger, Schubert, Zimek, "Interpreting and Unifying Outlier Scores", SDM 2011.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr, ndtri

from ..errors import DataError

__all__ = ["Calibration", "calibrated"]

#: Knots kept of the reference distribution (its quantiles): enough for 3 decimals of
#: ``probability`` at any size, and a constant cost to store and apply.
KNOTS = 2049


@dataclass(frozen=True, eq=False)
class Calibration:
    """A monotone map from a detector's scores to the reference's probit scale.

    Attributes
    ----------
    scores : ndarray of float64
        Distinct reference scores (at most :data:`KNOTS`, quantiles of the reference), ascending.
    z : ndarray of float64
        The probit of each one's mid-rank among the reference rows, strictly ascending.
    n_reference : int
        Reference rows.

    Examples
    --------
    >>> reference = np.arange(1.0, 101.0)           # the scores of 100 reference rows
    >>> calibration = Calibration.fit(reference)
    >>> calibration.probability([50.5, 1.0, 100.0, 1000.0]).round(3).tolist()
    [0.5, 0.005, 0.995, 1.0]
    >>> bool(calibration.z_score([1000.0])[0] > calibration.z_score([100.0])[0])  # beyond: no cap
    True
    """

    scores: np.ndarray
    z: np.ndarray
    n_reference: int

    @classmethod
    def fit(cls, reference) -> Calibration:
        """Learn the map from the scores of the reference rows (finite numbers, at least two distinct)."""
        ref = np.asarray(reference, dtype=np.float64).ravel()
        if ref.size == 0 or not np.isfinite(ref).all():
            raise DataError("a calibration needs finite reference scores; got an empty or non-finite set")
        values, counts = np.unique(ref, return_counts=True)
        if len(values) < 2:
            raise DataError(
                f"every reference row scores {values[0]:g}: a constant score ranks nothing, so it cannot "
                "be calibrated; leave that detector out"
            )
        below = np.cumsum(counts) - counts
        n = ref.size
        share = np.clip((below + counts / 2.0) / n, 0.5 / n, 1.0 - 0.5 / n)
        z = ndtri(share)
        if len(values) > KNOTS:  # quantiles of the reference: a bounded table
            keep = np.unique(np.rint(np.linspace(0, len(values) - 1, KNOTS)).astype(np.int64))
            values, z = values[keep], z[keep]
        return cls(values, z, n)

    def z_score(self, scores) -> np.ndarray:
        """Scores on the probit scale: 0 is the median reference row; linear beyond the reference."""
        s = np.asarray(scores, dtype=np.float64)
        out = np.interp(s, self.scores, self.z)
        low, high = s < self.scores[0], s > self.scores[-1]
        if low.any():
            slope = (self.z[1] - self.z[0]) / (self.scores[1] - self.scores[0])
            out[low] = self.z[0] + slope * (s[low] - self.scores[0])
        if high.any():
            slope = (self.z[-1] - self.z[-2]) / (self.scores[-1] - self.scores[-2])
            out[high] = self.z[-1] + slope * (s[high] - self.scores[-1])
        return out

    def probability(self, scores) -> np.ndarray:
        """Calibrated scores in (0, 1]: 0.5 a typical reference row, higher more anomalous
        (``z`` beyond about 8.3 rounds to exactly 1.0 in float64: rank such rows by ``z``)."""
        return ndtr(self.z_score(scores))


def calibrated(model, X=None) -> np.ndarray:
    """``model``'s calibrated scores (0.5: a typical training row; higher: more anomalous).

    The current scores of ``X`` (the training rows when omitted) placed among the current
    scores of the training rows (:class:`Calibration`), for any detector with
    ``anomaly_score``.

    Examples
    --------
    >>> from aad import AADForest
    >>> X = np.vstack([np.random.default_rng(0).normal(size=(300, 2)), [[9, 9]]])
    >>> model = AADForest(n_estimators=20, random_state=0).fit(X)
    >>> p = calibrated(model)
    >>> bool(abs(np.median(p) - 0.5) < 0.01), bool(p[300] > 0.99)
    (True, True)
    """
    reference = model.anomaly_score()
    calibration = Calibration.fit(reference)
    return calibration.probability(reference if X is None else model.anomaly_score(X))
