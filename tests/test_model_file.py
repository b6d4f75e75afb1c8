"""The learned model as a file (aad-model/1) and as ONNX: the session's scores, exactly; bad files refused."""

from __future__ import annotations

import json
import re

import numpy as np
import onnxruntime
import pandas as pd
import pytest

import aad
from aad.model import _score_from_raw
from aad.scale import PortableModel, Tree, read_model
from aad.scale.onnx_export import to_onnx
from app.cli import main


@pytest.fixture(scope="module")
def labelled(tmp_path_factory) -> tuple[aad.Session, aad.Store]:
    """A session on a table with gaps, 6 labels given (and one undone) in the workbench's way."""
    folder = tmp_path_factory.mktemp("labelled")
    rng = np.random.default_rng(5)
    X = np.vstack([rng.normal(size=(400, 3)), rng.normal(4, 0.2, size=(8, 3))])
    frame = pd.DataFrame(X, columns=["a", "b c", "δ"])
    frame.iloc[[3, 50, 51], 1] = np.nan
    frame.to_csv(folder / "table.csv", index=False)
    store = aad.Store(folder / "s.sqlite")
    session = aad.Session.create(aad.load_data(str(folder / "table.csv")), store=store, seed=4)
    for _ in range(5):
        row = int(session.batch()[0])
        session.label(row, "anomaly" if row >= 400 else "nominal")
    session.label(int(session.batch()[0]), "nominal")
    session.undo()
    return session, store


def _export(session: aad.Session) -> PortableModel:
    return aad.export_model(
        session.model, session.dataset, n_labels=session.n_labels, n_anomalies=session.n_anomalies
    )


def test_the_file_scores_new_rows_as_the_session_does_and_its_own_rows_to_1e12(labelled, tmp_path):
    session, _ = labelled
    path = _export(session).save(tmp_path / "model.json")
    model = aad.load_model(path)
    new = np.random.default_rng(1).normal(0, 3, size=(500, 3))
    np.testing.assert_array_equal(model.anomaly_score(new), session.model.anomaly_score(new))
    np.testing.assert_allclose(model.anomaly_score(session.dataset.X), session.scores(), rtol=1e-12, atol=0)
    assert list(model.feature_names_in_) == ["a", "b c", "δ"]
    # a missing cell takes the median of the data the model learned from, as `aad score --apply` does
    gap = new[:4].copy()
    gap[:, 1] = np.nan
    filled = new[:4].copy()
    filled[:, 1] = np.median(session.dataset.X[:, 1])
    np.testing.assert_array_equal(model.anomaly_score(gap), session.model.anomaly_score(filled))


def test_a_round_trip_keeps_every_array_and_the_provenance(labelled, tmp_path):
    session, _ = labelled
    written = _export(session)
    again = aad.load_model(written.save(tmp_path / "m.json"))
    assert again.to_dict() == written.to_dict()
    provenance = again.provenance
    assert provenance["data"]["fingerprint"] == session.dataset.fingerprint
    assert provenance["seed"] == 4
    assert provenance["labels"] == {
        "count": 5,
        "anomalies": session.n_anomalies,
        "nominals": 5 - session.n_anomalies,
    }
    assert provenance["params"]["n_estimators"] == session.record.params["n_estimators"] == 200
    assert provenance["params"]["eta"] == 1.0
    doc = json.loads((tmp_path / "m.json").read_text())
    assert doc["schema"] == "aad-model/1"
    assert len(doc["trees"]) == doc["score"]["n_estimators"] == 200
    assert doc["fill"] == np.median(session.dataset.X, axis=0).tolist()


def test_a_reopened_session_exports_the_same_model(labelled):
    session, store = labelled
    again = aad.Session.open(session.id, store=store)
    first, second = _export(session).to_dict(), _export(again).to_dict()
    first["provenance"].pop("created"), second["provenance"].pop("created")
    assert first == second


def test_a_dataframe_is_matched_by_name_and_a_wrong_width_is_refused(labelled):
    session, _ = labelled
    model = _export(session)
    rows = session.dataset.X[:5]
    frame = pd.DataFrame({"δ": rows[:, 2], "id": list("vwxyz"), "a": rows[:, 0], "b c": rows[:, 1]})
    np.testing.assert_array_equal(model.anomaly_score(frame), model.anomaly_score(rows))
    with pytest.raises(aad.DataError, match=r"shape 5x2 but the model has 3 features \(a, b c, δ\)"):
        model.anomaly_score(rows[:, :2])
    with pytest.raises(aad.DataError, match=r"lack the column\(s\) 'b c'"):
        model.anomaly_score(frame.drop(columns=["b c"]))
    with pytest.raises(aad.DataError, match="column 'a' holds an infinite value at row 1"):
        model.anomaly_score(np.array([[0, 0, 0], [np.inf, 0, 0]]))


def test_the_trees_route_on_float32_at_and_between_their_thresholds(labelled):
    """Values at every threshold, one float64 step either side, and the float32 neighbours: the
    file and ONNX route each row as scikit-learn's float32 trees do."""
    session, _ = labelled
    model = _export(session)
    forest = session.model.forest_
    inside = forest.nodes.feature >= 0
    features, thresholds = forest.nodes.feature[inside], forest.nodes.threshold[inside]
    values = []
    for t in thresholds[:300]:
        t32 = np.float32(t)
        values += [t, np.nextafter(t, np.inf), np.nextafter(t, -np.inf), float(t32)]
        values += [
            float(np.nextafter(t32, np.float32(np.inf))),
            float(np.nextafter(t32, np.float32(-np.inf))),
        ]
    rows = np.tile(np.median(session.dataset.X, axis=0), (len(values), 1))
    rows[np.arange(len(values)), np.repeat(features[:300], 6)] = values
    expected = session.model.anomaly_score(rows)
    np.testing.assert_array_equal(model.anomaly_score(rows), expected)
    onnx_scores = onnxruntime.InferenceSession(to_onnx(model)).run(None, {"X": rows})[0]
    np.testing.assert_allclose(onnx_scores, expected, rtol=1e-12, atol=0)


def test_onnx_scores_as_aad_with_gaps_filled(labelled, tmp_path):
    session, _ = labelled
    model = _export(session)
    assert main(["model", "export", "--session", session.id, "--db", str(session.store.path),
                 "--output", str(tmp_path / "m.onnx")]) == 0  # fmt: skip
    ort = onnxruntime.InferenceSession(str(tmp_path / "m.onnx"))
    rows = np.random.default_rng(2).normal(0, 2, size=(300, 3))
    rows[::7, 0] = np.nan
    np.testing.assert_allclose(ort.run(None, {"X": rows})[0], model.anomaly_score(rows), rtol=1e-5, atol=0)
    np.testing.assert_allclose(ort.run(None, {"X": rows})[0], model.anomaly_score(rows), rtol=1e-12, atol=0)
    meta = ort.get_modelmeta().custom_metadata_map
    assert json.loads(meta["feature_names"]) == ["a", "b c", "δ"]
    assert json.loads(meta["provenance"])["session"] == session.id
    with pytest.raises(
        aad.ModelFileError, match=r"m.onnx is the ONNX export of an aad model, for ONNX Runtime"
    ):
        aad.load_model(tmp_path / "m.onnx")  # an engineer's review: it said "not UTF-8 text (byte 62)"


def _one_split(values: tuple[float, float], *, n_features: int = 1) -> Tree:
    return Tree(
        feature=np.array([0, -1, -1], np.int32),
        threshold=np.array([0.5, np.nan, np.nan]),
        left=np.array([1, -1, -1], np.int32),
        right=np.array([2, -1, -1], np.int32),
        value=np.array([np.nan, *values]),
    )


def test_scores_beyond_two_to_the_500_continue_as_the_engine_does():
    """Thousands of labels can push the exponent past +-500: the file and ONNX continue it alike."""
    leaf = Tree(np.array([-1], np.int32), np.array([np.nan]), np.array([-1], np.int32),
                np.array([-1], np.int32), np.array([3.0]))  # fmt: skip
    model = PortableModel(
        feature_names=["x"], fill_values=[0.0], trees=[_one_split((-20000.0, 20000.0)), leaf], max_samples=256
    )
    X = np.array([[0.0], [1.0], [np.nan]])
    z = np.array([-20000.0 + 3, 20000.0 + 3, -20000.0 + 3]) / 2 / model.normaliser
    np.testing.assert_array_equal(model.anomaly_score(X), _score_from_raw(z))
    assert np.abs(z).min() > 500
    scores = onnxruntime.InferenceSession(to_onnx(model)).run(None, {"X": X})[0]
    np.testing.assert_allclose(scores, _score_from_raw(z), rtol=1e-12)


# --------------------------------------------------------------------------- bad files


def _good(labelled) -> dict:
    return _export(labelled[0]).to_dict()


def _edit(doc: dict, change) -> str:
    doc = json.loads(json.dumps(doc))
    change(doc)
    return json.dumps(doc)


BAD = {
    "malformed": (lambda text: text.replace('"trees":', '"trees"'), "not valid JSON (line 1, column"),
    "truncated": (lambda text: text[: len(text) // 2], "ends before the JSON does (truncated?)"),
    "truncated inside a number": (
        lambda text: text[: re.search(r"[\[,:]-\d", text).start() + 2],  # just after a minus sign
        "ends before the JSON does",
    ),
    "another version": (
        lambda text: text.replace('"aad-model/1"', '"aad-model/2"'),
        "is an aad-model/2 file; this aad reads aad-model/1",
    ),
    "no schema": (lambda text: text.replace('"schema":"aad-model/1",', ""), 'has no "schema" field'),
    "rules": (
        lambda text: '{"schema": "aad-rules/1", "rules": []}',
        "holds rules (aad-rules/1), not a model",
    ),
    "a list": (lambda text: "[1, 2]", "holds a JSON list, not a model"),
    "NaN": (lambda text: text.replace('"fill":[', '"fill":[NaN,', 1), "holds NaN, which strict JSON has not"),
}


def _tree_edit(key: str, node_value):
    def change(doc):
        tree = doc["trees"][3]
        inside = next(i for i, f in enumerate(tree["feature"]) if f >= 0)
        leaf = next(i for i, f in enumerate(tree["feature"]) if f < 0)
        tree[key][inside if key != "value" else leaf] = node_value

    return change


EDITS = {
    "a threshold that is text": (
        _tree_edit("threshold", "0.5"),
        "tree 3, threshold, node 0: '0.5' is not a number",
    ),
    "a missing threshold": (
        _tree_edit("threshold", None),
        "tree 3, node 0: threshold is null; expected a finite",
    ),
    "a leaf value that is text": (_tree_edit("value", "big"), "tree 3, value, node"),
    "a leaf value whose scores overflow": (  # finite, but 200 trees of it sum to inf
        _tree_edit("value", 1e308),
        "value is 1e+308, so large that scores overflow",
    ),
    "a feature beyond the features": (
        _tree_edit("feature", 3),
        "feature is 3; expected a feature number from 0 to 2",
    ),
    "a child outside the tree": (_tree_edit("left", 10_000), "left is 10000; expected a later node's number"),
    "a child pointing back": (_tree_edit("right", 0), "right is 0; expected a later node's number"),
    "a fill too few": (lambda d: d["fill"].pop(), "fill must hold one number per feature (3); got 2 values"),
    "a fill that is text": (lambda d: d["fill"].__setitem__(0, "x"), "fill value 0 is 'x'"),
    "a tree too few": (lambda d: d["trees"].pop(), "score.n_estimators is 200 but the file holds 199 trees"),
    "a wrong normaliser": (
        lambda d: d["score"].__setitem__("normaliser", 3.0),
        "score.normaliser is 3.0, but max_samples 408 gives",  # the 408 rows: fewer than 512
    ),
    "a feature twice": (lambda d: d["features"].__setitem__(1, "a"), "feature 'a' is named twice"),
    "no trees": (lambda d: d.pop("trees"), "'trees' must be a list; it is missing"),
    "bool threshold": (_tree_edit("threshold", True), "True is not a number"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_damaged_file_gets_one_clear_line_and_status_2(labelled, tmp_path, capsys, case):
    damage, message = BAD[case]
    text = json.dumps(_good(labelled), separators=(",", ":"))
    (tmp_path / "m.json").write_text(damage(text))
    (tmp_path / "t.csv").write_text("a,b c,δ\n1,2,3\n")
    assert main(["score", "--model", str(tmp_path / "m.json"), str(tmp_path / "t.csv")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith("aad: error: ")
    assert message in err, err
    assert "Traceback" not in err


@pytest.mark.parametrize("case", sorted(EDITS))
def test_arrays_that_make_no_model_are_named(labelled, case):
    change, message = EDITS[case]
    with pytest.raises(aad.ModelFileError) as caught:
        read_model(_edit(_good(labelled), change), name="m.json")
    assert message in str(caught.value)
    assert "xport the model again with `aad model export`" in str(caught.value)


def test_a_tree_whose_node_has_two_parents_or_is_unreachable_is_refused():
    shared = Tree(np.array([0, 0, -1, -1], np.int32), np.array([0.5, 0.2, np.nan, np.nan]),
                  np.array([1, 2, -1, -1], np.int32), np.array([2, 3, -1, -1], np.int32),
                  np.array([np.nan, np.nan, 1.0, 2.0]))  # fmt: skip
    with pytest.raises(aad.ModelFileError, match="child of two nodes"):
        PortableModel(feature_names=["x"], fill_values=[0], trees=[shared], max_samples=8)
    lonely = Tree(np.array([-1, -1], np.int32), np.array([np.nan, np.nan]), np.array([-1, -1], np.int32),
                  np.array([-1, -1], np.int32), np.array([1.0, 2.0]))  # fmt: skip
    with pytest.raises(aad.ModelFileError, match="1 of its 2 nodes cannot be reached"):
        PortableModel(feature_names=["x"], fill_values=[0], trees=[lonely], max_samples=8)


def test_missing_empty_binary_and_folder_files_are_refused(tmp_path):
    with pytest.raises(aad.ModelFileError, match="does not exist"):
        aad.load_model(tmp_path / "none.json")
    with pytest.raises(aad.ModelFileError, match="is a folder"):
        aad.load_model(tmp_path)
    (tmp_path / "empty.json").write_text("")
    with pytest.raises(aad.ModelFileError, match="is empty"):
        aad.load_model(tmp_path / "empty.json")
    (tmp_path / "bin.json").write_bytes(b"\x80\x81PK")
    with pytest.raises(aad.ModelFileError, match="not UTF-8 text"):
        aad.load_model(tmp_path / "bin.json")


def test_model_show_prints_the_provenance_and_model_export_checks_before_fitting(labelled, tmp_path, capsys):
    session, store = labelled
    out = tmp_path / "m.json"
    assert (
        main(["model", "export", "--session", session.id, "--db", str(store.path), "--output", str(out)]) == 0
    )
    assert f"wrote the model of session {session.id} (5 labels" in capsys.readouterr().err
    assert main(["model", "show", str(out), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["features"] == ["a", "b c", "δ"]
    assert shown["provenance"]["session"] == session.id
    assert main(["model", "export", "--session", session.id, "--db", str(store.path), "--seed", "3",
                 "--output", str(out)]) == 2  # fmt: skip
    assert "--seed applies to DATA with --labels" in capsys.readouterr().err
    assert main(["model", "export", "toy2", "--output", str(tmp_path / "no" / "m.json")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["model", "export", "toy2", "--output", str(out), "--format", "pmml"]) == 2
    assert "expected one of json, onnx; got 'pmml'" in capsys.readouterr().err
    named = tmp_path / "onnx_bytes.json"  # a reader of .json would be misled
    assert main(["model", "export", "toy2", "--output", str(named), "--format", "onnx"]) == 2
    assert (
        "writes onnx, but the output 'onnx_bytes.json' is named .json; name it .onnx"
        in capsys.readouterr().err
    )
    assert not named.exists()


def test_a_model_file_over_the_size_limit_is_refused_before_it_is_parsed(tmp_path, monkeypatch):
    """Parsing takes about ten times a file's size in memory: a file over ``AAD_MAX_MODEL_MB``
    (200 by default) is refused by its size, in one line that says how to raise the limit."""
    path = tmp_path / "huge.json"
    path.write_text("[" + "0," * 1_000_000 + "0]")  # 2 MB of JSON that would parse
    monkeypatch.setenv("AAD_MAX_MODEL_MB", "1")
    with pytest.raises(
        aad.ModelFileError, match=r"huge\.json is 2 MB, over the limit of 1 MB .*AAD_MAX_MODEL_MB"
    ):
        aad.load_model(path)
    monkeypatch.delenv("AAD_MAX_MODEL_MB")
    with pytest.raises(
        aad.ModelFileError
    ) as parsed:  # under the default limit: read, and refused as no model
        aad.load_model(path)
    assert "over the limit" not in str(parsed.value)


def test_a_number_of_thousands_of_digits_is_refused_in_the_models_words(tmp_path):
    """Python refuses to read an integer of more than 4,300 digits and names its own setting;
    the message names the file and the fix instead."""
    path = tmp_path / "bigint.json"
    path.write_text('{"schema": "aad-model/1", "max_samples": ' + "9" * 5000 + "}")
    with pytest.raises(
        aad.ModelFileError, match=r"bigint\.json holds a whole number of thousands of digits"
    ) as err:
        aad.load_model(path)
    assert "set_int_max_str_digits" not in str(err.value)


def test_export_counts_the_labels_itself_and_refuses_counts_or_a_table_that_are_not_the_models(labelled):
    session, _ = labelled
    counted = aad.export_model(session.model, session.dataset).provenance["labels"]
    assert counted == {"count": 6 - 1, "anomalies": session.n_anomalies, "nominals": 5 - session.n_anomalies}
    with pytest.raises(aad.ModelFileError, match="n_anomalies=99, but the model holds 5 labels"):
        aad.export_model(session.model, session.dataset, n_labels=5, n_anomalies=99)  # nominals: -94
    other = aad.load_dataset("toy2")
    with pytest.raises(aad.ModelFileError, match="485 rows of 2 features, but the model was fitted on 408"):
        aad.export_model(session.model, other)


def test_saving_to_a_folder_or_into_a_missing_folder_is_refused_and_leaves_nothing(labelled, tmp_path):
    model = _export(labelled[0])
    with pytest.raises(aad.ModelFileError, match="is a folder; save the model to a file in it"):
        model.save(tmp_path)
    with pytest.raises(aad.ModelFileError, match=r"there is no folder .*nowhere to save m\.json in"):
        model.save(tmp_path / "nowhere" / "m.json")
    assert list(tmp_path.iterdir()) == []  # no .part left behind
    assert model.save(tmp_path / "m.json").read_text() == model.to_json()
