"""A model that outlives its table: streams of windows, drift, Half-Space Trees.

* :mod:`aad.stream.hst`: Half-Space Trees (river's) as a second detector whose leaves the
  AAD feedback re-weights;
* :mod:`aad.stream.drift`: per-tree drift of the leaf distribution (KL divergence with a
  per-tree threshold) and regrowing the trees that drifted;
* :mod:`aad.stream.streaming`: :class:`StreamingAAD`, a labelled model taking window
  after window with bounded memory, ADWIN over its scores;
* :mod:`aad.stream.replay`: the AAD papers' streaming protocol replayed with a
  ground-truth oracle (``aad stream``).
"""

from .drift import kl_divergence, kl_thresholds, regrow_trees
from .hst import HalfSpaceForest, fit_half_space_forest
from .replay import StreamResult, StreamRun, replay_stream
from .streaming import DETECTORS, DRIFT_HANDLING, StreamingAAD, WindowReport

__all__ = [
    "DETECTORS",
    "DRIFT_HANDLING",
    "HalfSpaceForest",
    "StreamResult",
    "StreamRun",
    "StreamingAAD",
    "WindowReport",
    "fit_half_space_forest",
    "kl_divergence",
    "kl_thresholds",
    "regrow_trees",
    "replay_stream",
]
