"""The learned model as ONNX, for stacks that serve ONNX models (ONNX Runtime and others).

One graph, built with the ``onnx`` package from a :class:`~aad.scale.PortableModel`:

1. input ``X``, float64, shape ``(N, n_features)``: the features in the model's order
   (``feature_names`` in the metadata); a missing cell (NaN) takes the fill value
   (``IsNaN``, ``Where``);
2. the values are rounded to float32 and back (``Cast``), because the trees route on
   float32; then one ``TreeEnsemble`` (``ai.onnx.ml`` opset 5) sums the learned leaf
   values over the trees, thresholds and leaf values in float64;
3. ``anomaly_score = 2 ** (sum / n_estimators / normaliser)``, continued beyond an exponent
   of +-500 as :meth:`aad.AADForest.anomaly_score` is (``Pow``, ``Where``); output
   ``anomaly_score``, float64, shape ``(N,)``, higher is more anomalous.

ONNX Runtime (1.21 or later; tested with 1.32) scores it equal to aad to about 1e-15 (tested to
1e-12).
Needs the ``scale`` extra: ``make extras`` in aad's checkout (or ``pip install -e ".[scale]"``).
"""

from __future__ import annotations

import json
import math

import numpy as np

from ._optional import require
from .model_file import _FIX_SENTENCE, SCHEMA, ModelFileError, PortableModel

__all__ = ["onnx_metadata", "to_onnx"]

_ML_OPSET = 5  # TreeEnsemble, with float64 thresholds and leaf values
_OPSET = 21
_LINEAR_BEYOND = 500.0  # as aad.model._score_from_raw


def to_onnx(model: PortableModel) -> bytes:
    """The model as a serialised ONNX ``ModelProto``.

    Parameters
    ----------
    model : PortableModel

    Returns
    -------
    bytes
        Load it with ``onnxruntime.InferenceSession(data)``; feed ``{"X": float64 array}``.

    Examples
    --------
    >>> import numpy as np, aad, onnxruntime
    >>> from aad.scale import PortableModel
    >>> X = np.random.default_rng(0).normal(size=(200, 2))
    >>> forest = aad.AADForest(n_estimators=10, random_state=0).fit(X)
    >>> session = onnxruntime.InferenceSession(to_onnx(PortableModel.from_forest(forest)))
    >>> scores = session.run(None, {"X": X})[0]
    >>> bool(np.allclose(scores, forest.anomaly_score(X), rtol=1e-12, atol=0))
    True
    """
    onnx = require("onnx")
    helper = onnx.helper
    nodes = [*_fill_nodes(model, helper), _ensemble_node(model, helper), *_score_nodes(model, helper)]
    graph = helper.make_graph(
        nodes,
        "aad_anomaly_score",
        [helper.make_tensor_value_info("X", onnx.TensorProto.DOUBLE, ["N", model.n_features_in_])],
        [helper.make_tensor_value_info("anomaly_score", onnx.TensorProto.DOUBLE, ["N"])],
    )
    graph.input[0].doc_string = "features, in order: " + ", ".join(model.feature_names_in_)
    graph.output[0].doc_string = "higher is more anomalous"
    proto = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", _OPSET), helper.make_opsetid("ai.onnx.ml", _ML_OPSET)],
        producer_name="aad",
        doc_string=f"Active Anomaly Discovery model ({SCHEMA} as ONNX)",
    )
    proto.ir_version = 10  # what ONNX Runtime 1.21 and later read
    metadata = {
        "schema": f"{SCHEMA}+onnx",
        "feature_names": json.dumps(list(model.feature_names_in_)),
        "fill": json.dumps(model.fill_values.tolist()),
        "provenance": json.dumps(model.provenance, sort_keys=True),
    }
    if model.encoding:  # X holds the encoded features: how each is made from the table's columns
        metadata["encoding"] = json.dumps(model.to_dict()["encoding"])
    for key, value in metadata.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(proto)
    return proto.SerializeToString()


def onnx_metadata(raw: bytes, *, name: str = "the file") -> dict | None:
    """What :func:`to_onnx` wrote in an ONNX model's metadata (``schema``, ``feature_names``,
    ``fill``, ``provenance``, ``trees``), read back; None when ``raw`` is no ONNX model at all.

    Raises
    ------
    ModelFileError
        For an ONNX model without aad's metadata: another tool's model, or an export cut off
        before its metadata (``name`` is the file's name in the message).

    Examples
    --------
    >>> onnx_metadata(bytes(range(256))) is None
    True
    """
    onnx = require("onnx")
    try:
        proto = onnx.load_model_from_string(raw)
    except Exception:  # protobuf raises several types for bytes that are not a model
        return None
    meta = {entry.key: entry.value for entry in proto.metadata_props}
    if meta.get("schema") != f"{SCHEMA}+onnx":
        raise ModelFileError(
            f"{name} is an ONNX model without aad's metadata (schema {SCHEMA}+onnx): another tool's "
            "model, or an export cut off before its end (truncated?); aad shows its own exports only. "
            f"{_FIX_SENTENCE}"
        )
    ensembles = [node for node in proto.graph.node if node.op_type == "TreeEnsemble"]
    trees = {int(i) for node in ensembles for a in node.attribute if a.name == "tree_roots" for i in a.ints}
    return {
        "schema": meta["schema"],
        "features": json.loads(meta["feature_names"]),
        "fill": json.loads(meta["fill"]),
        "n_estimators": len(trees),
        "provenance": json.loads(meta["provenance"]),
    }


def _const(helper, name: str, value, dtype=np.float64) -> object:
    import onnx

    array = np.asarray(value, dtype=dtype)
    return helper.make_node(
        "Constant", [], [name], value=onnx.numpy_helper.from_array(array, name=f"{name}_value")
    )


def _fill_nodes(model: PortableModel, helper) -> list:
    import onnx

    return [
        _const(helper, "fill", model.fill_values.reshape(1, -1)),
        helper.make_node("IsNaN", ["X"], ["missing"]),
        helper.make_node("Where", ["missing", "fill", "X"], ["filled"]),
        helper.make_node("Cast", ["filled"], ["as_float32"], to=onnx.TensorProto.FLOAT),
        helper.make_node("Cast", ["as_float32"], ["routed"], to=onnx.TensorProto.DOUBLE),
    ]


def _ensemble_node(model: PortableModel, helper):
    """One ``TreeEnsemble``: interior nodes in one list, leaves in another."""
    import onnx

    interior: dict[str, list] = {
        k: [] for k in ("feature", "split", "true", "true_leaf", "false", "false_leaf")
    }
    leaf_weights: list[float] = []
    roots: list[int] = []
    for tree in model.trees:
        node_id, leaf_id = {}, {}
        inside = np.flatnonzero(tree.feature >= 0)
        for i in inside:
            node_id[int(i)] = len(interior["feature"]) + len(node_id)
        for i in np.flatnonzero(tree.feature < 0):
            leaf_id[int(i)] = len(leaf_weights) + len(leaf_id)
        leaf_weights += [float(tree.value[i]) for i in sorted(leaf_id)]
        if len(inside) == 0:  # a tree that is one leaf: a split whose two sides reach it
            roots.append(len(interior["feature"]))
            _add_split(interior, 0, 0.0, (leaf_id[0], 1), (leaf_id[0], 1))
            continue
        roots.append(node_id[0])
        for i in inside:
            left, right = int(tree.left[i]), int(tree.right[i])
            _add_split(
                interior,
                int(tree.feature[i]),
                float(tree.threshold[i]),
                (leaf_id[left], 1) if left in leaf_id else (node_id[left], 0),
                (leaf_id[right], 1) if right in leaf_id else (node_id[right], 0),
            )
    tensor = onnx.numpy_helper.from_array
    n_interior = len(interior["feature"])
    return helper.make_node(
        "TreeEnsemble",
        ["routed"],
        ["leaf_sum"],
        domain="ai.onnx.ml",
        aggregate_function=1,  # SUM
        post_transform=0,  # NONE
        n_targets=1,
        tree_roots=roots,
        nodes_featureids=interior["feature"],
        nodes_splits=tensor(np.asarray(interior["split"], dtype=np.float64)),
        nodes_modes=tensor(np.zeros(n_interior, dtype=np.uint8)),  # BRANCH_LEQ: x <= split goes "true"
        nodes_truenodeids=interior["true"],
        nodes_trueleafs=interior["true_leaf"],
        nodes_falsenodeids=interior["false"],
        nodes_falseleafs=interior["false_leaf"],
        leaf_targetids=[0] * len(leaf_weights),
        leaf_weights=tensor(np.asarray(leaf_weights, dtype=np.float64)),
    )


def _add_split(interior: dict, feature: int, split: float, true: tuple, false: tuple) -> None:
    interior["feature"].append(feature)
    interior["split"].append(split)
    interior["true"].append(true[0])
    interior["true_leaf"].append(true[1])
    interior["false"].append(false[0])
    interior["false_leaf"].append(false[1])


def _score_nodes(model: PortableModel, helper) -> list:
    """``2 ** z`` within +-500, continued linearly above and as ``1 / z`` below (aad's score)."""
    ln2 = math.log(2.0)
    return [
        _const(helper, "scale", 1.0 / (model.n_estimators * model.normaliser)),
        _const(helper, "beyond", _LINEAR_BEYOND),
        _const(helper, "minus_beyond", -_LINEAR_BEYOND),
        _const(helper, "two", 2.0),
        _const(helper, "one", 1.0),
        _const(helper, "ln2", ln2),
        _const(helper, "shape_int", [-1], np.int64),
        helper.make_node("Mul", ["leaf_sum", "scale"], ["z_column"]),
        helper.make_node("Reshape", ["z_column", "shape_int"], ["z"]),
        helper.make_node("Clip", ["z", "minus_beyond", "beyond"], ["z_clipped"]),
        helper.make_node("Pow", ["two", "z_clipped"], ["power"]),
        # above +500: power * (1 + ln2 (z - 500))
        helper.make_node("Sub", ["z", "beyond"], ["over"]),
        helper.make_node("Mul", ["over", "ln2"], ["over_ln2"]),
        helper.make_node("Add", ["over_ln2", "one"], ["grow"]),
        helper.make_node("Greater", ["z", "beyond"], ["is_above"]),
        helper.make_node("Mul", ["power", "grow"], ["power_above"]),
        helper.make_node("Where", ["is_above", "power_above", "power"], ["capped"]),
        # below -500: power / (1 + ln2 (-500 - z))
        helper.make_node("Sub", ["minus_beyond", "z"], ["under"]),
        helper.make_node("Mul", ["under", "ln2"], ["under_ln2"]),
        helper.make_node("Add", ["under_ln2", "one"], ["shrink"]),
        helper.make_node("Less", ["z", "minus_beyond"], ["is_below"]),
        helper.make_node("Div", ["capped", "shrink"], ["power_below"]),
        helper.make_node("Where", ["is_below", "power_below", "capped"], ["anomaly_score"]),
    ]
