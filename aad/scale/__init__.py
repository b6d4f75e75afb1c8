"""Beyond one machine: the learned model as a file, scored out of core, on Dask, as ONNX.

* :mod:`aad.scale.model_file`: ``aad-model/1``, the learned model as JSON
  (:func:`load_model`, :class:`PortableModel`, :func:`export_model`).
* :mod:`aad.scale.score`: every row of CSV/Parquet files or folders scored in bounded
  memory, a record batch at a time (:class:`TableScorer`).
* :mod:`aad.scale.rows`: new rows of such tables a batch at a time, read as
  :func:`aad.load_rows` reads a file, for rules (:class:`RowBatches`).
* :mod:`aad.scale.dask`: the same scorer in the partitions of a Dask DataFrame
  (:func:`aad.scale.dask.score_dask`; the ``scale`` extra).
* :mod:`aad.scale.onnx_export`: the model as ONNX (:func:`aad.scale.onnx_export.to_onnx`;
  the ``scale`` extra).

Dask and ONNX are imported only when used; the ``scale`` extra installs them (``make extras`` in
aad's checkout, or ``uv sync --inexact --extra scale``; the name ``aad`` on PyPI is another project).
"""

from .model_file import SCHEMA, ModelFileError, PortableModel, Tree, export_model, load_model, read_model
from .rows import RowBatches
from .score import ScoreReport, TableScorer

__all__ = [
    "SCHEMA",
    "ModelFileError",
    "PortableModel",
    "RowBatches",
    "ScoreReport",
    "TableScorer",
    "Tree",
    "export_model",
    "load_model",
    "read_model",
]
