"""Beyond one machine: a model file scored out of core and on Dask; a table too big to label whole.

On a generated table (``--rows`` x 20 features of ``aad.benchmark.make_benchmark_data``,
written as 10 Parquet files of row groups of 131,072 rows: made here, never committed), each
measurement in a fresh process (so that each peak-memory figure is its own):

1. **out of core, in one process**: ``TableScorer`` (what ``aad score --model`` runs) on the
   first 1, 3 and all 10 files, with every core, and on all of them with one thread: rows per
   second and peak resident memory (flat in the number of rows: a batch at a time);
2. **Dask**: ``score_dask`` on a local cluster of 2 worker processes of 1 thread each
   (``aad score --engine dask``), writing partitioned Parquet: rows per second, the peak
   memory of the client and of each worker, and the compute time of every partition (score
   and write), from which the time for 100M rows on N workers is extrapolated;
3. **ONNX Runtime** on one file, for comparison (2 threads);
4. **a working set** of the whole table (a uniform sample of 1M rows and the 10,000 rows the
   forest scores highest, ``aad app TABLE``): time and peak memory;
5. **the labelling loop** at that size, in memory: ``aad bench --rows N`` (fit, first query,
   per-label p50 / p95, peak memory).

Writes ``results/beyond.json`` and ``results/beyond.md``. The machine is shared: run it when
it is otherwise idle.

    python benchmarks/bench_beyond.py [--rows 10000000] [--folder /tmp/aad-beyond] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).with_name("results")
N_FILES, FEATURES, GROUP_ROWS = 10, 20, 131_072


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM) in MB. Not ``ru_maxrss``, which Linux carries
    over from the parent across fork and exec: a child would report the parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# --------------------------------------------------------------------------- the table and the model


def make_table(folder: Path, rows: int) -> list[Path]:
    """The generated table, as N_FILES Parquet files (reused when it is already there)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from aad.benchmark import make_benchmark_data

    files = [folder / f"part.{i}.parquet" for i in range(N_FILES)]
    stamp = folder / "rows.txt"
    if stamp.exists() and stamp.read_text() == str(rows) and all(f.exists() for f in files):
        return files
    folder.mkdir(parents=True, exist_ok=True)
    X, y = make_benchmark_data(rows, FEATURES, random_state=0)
    names = [f"f{j}" for j in range(FEATURES)]
    bounds = np.linspace(0, rows, N_FILES + 1).astype(int)
    for path, lo, hi in zip(files, bounds[:-1], bounds[1:], strict=True):
        table = pa.table({name: X[lo:hi, j] for j, name in enumerate(names)})
        pq.write_table(table, path, row_group_size=GROUP_ROWS)
    pq.write_table(pa.table({"planted": y[:200_000]}), folder.parent / "truth.parquet")  # outside the table
    stamp.write_text(str(rows))
    return files


def make_model(folder: Path, out: Path) -> Path:
    """A model learned on the first 200,000 rows with 50 labels (ground truth), as aad-model/1."""
    import pandas as pd

    import aad

    frame = pd.read_parquet(folder / "part.0.parquet").iloc[:200_000]
    y = pd.read_parquet(folder.parent / "truth.parquet")["planted"].to_numpy()[: len(frame)]
    dataset = aad.dataset_from_frame(frame, name="beyond", label_column=None)
    rng = np.random.default_rng(0)
    labelled = np.r_[rng.choice(np.flatnonzero(y), 25, replace=False), rng.choice(np.flatnonzero(~y), 25)]
    known = np.full(len(frame), aad.UNLABELLED)
    known[labelled] = y[labelled].astype(int)
    forest = aad.AADForest(random_state=0).fit(dataset.X, known)
    aad.export_model(forest, dataset, n_labels=50, n_anomalies=25).save(out)
    return out


# --------------------------------------------------------------------------- children (fresh processes)


def child_inprocess(model: str, files: list[str], out: str, n_jobs: int | None) -> dict:
    import aad
    from aad.scale import TableScorer

    start = time.perf_counter()
    report = TableScorer(aad.load_model(model), files, n_jobs=n_jobs).write(out)
    seconds = time.perf_counter() - start
    return {
        "rows": report.rows,
        "seconds": seconds,
        "rows_per_second": report.rows / seconds,
        "peak_mb": peak_mb(),
    }


def child_dask(model: str, files: list[str], out: str, workers: int) -> dict:
    from distributed import Client, LocalCluster, get_task_stream

    import aad
    from aad.scale.dask import score_dask

    portable = aad.load_model(model)
    tick = time.perf_counter()
    with LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as cluster:
        with Client(cluster) as client:
            started = time.perf_counter() - tick
            client.run(lambda: None)
            start = time.perf_counter()
            with get_task_stream(client) as stream:
                report = score_dask(portable, files, out, client=client)
            seconds = time.perf_counter() - start
            worker_peaks = list(client.run(peak_mb).values())
    busy: dict[str, list[float]] = {"score": [], "write": []}
    for task in stream.data:
        name = str(task["key"])
        kind = "score" if "aad-score" in name else "write" if "_write_partition" in name else None
        if kind is not None:
            busy[kind].append(
                sum(s["stop"] - s["start"] for s in task["startstops"] if s["action"] == "compute")
            )
    partitions = len(busy["write"])
    score, write = statistics.median(busy["score"] or [0.0]), statistics.median(busy["write"] or [0.0])
    return {
        "rows": report.rows,
        "workers": workers,
        "cluster_start_seconds": started,
        "seconds": seconds,
        "rows_per_second": report.rows / seconds,
        "partitions": partitions,
        "tasks": {k: len(v) for k, v in busy.items()},
        "rows_per_partition": report.rows / max(partitions, 1),
        "partition_seconds_median": score + write,
        "score_seconds_median": score,
        "write_seconds_median": write,
        "client_peak_mb": peak_mb(),
        "worker_peak_mb": worker_peaks,
    }


def child_onnx(model: str, file: str) -> dict:
    import onnxruntime
    import pyarrow.parquet as pq

    import aad
    from aad.scale.onnx_export import to_onnx

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 2
    session = onnxruntime.InferenceSession(to_onnx(aad.load_model(model)), options)
    X = pq.read_table(file).to_pandas().to_numpy(dtype=np.float64)
    start = time.perf_counter()
    for lo in range(0, len(X), 65_536):
        session.run(None, {"X": X[lo : lo + 65_536]})
    seconds = time.perf_counter() - start
    return {"rows": len(X), "seconds": seconds, "rows_per_second": len(X) / seconds, "peak_mb": peak_mb()}


def child_working_set(folder: str, kept: str) -> dict:
    from aad.scale.working_set import build_working_set

    start = time.perf_counter()
    built = build_working_set(folder, kept, sample_rows=1_000_000, top_rows=10_000, seed=0)
    seconds = time.perf_counter() - start
    spec = built.spec
    return {
        "rows": spec["table_rows"],
        "sample_rows": spec["sample_rows"],
        "top_rows": spec["top_rows"],
        "seconds": seconds,
        "peak_mb": peak_mb(),
    }


def child_prepare(folder: str, rows: int, model: str) -> dict:
    """Make the table and the model (in a child, so that the parent's memory stays small)."""
    files = make_table(Path(folder), rows)
    make_model(Path(folder), Path(model))
    return {"files": [str(f) for f in files], "peak_mb": peak_mb()}


CHILDREN = {
    "prepare": child_prepare,
    "inprocess": child_inprocess,
    "dask": child_dask,
    "onnx": child_onnx,
    "working_set": child_working_set,
}


def run_child(name: str, *args) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--child", name, json.dumps(args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if done.returncode != 0:
        raise SystemExit(f"{name} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_labelling_loop(rows: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "bench.json"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "app.cli",
                "bench",
                "--rows",
                str(rows),
                "--features",
                "20",
                "--json",
                str(out),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            cwd=ROOT,
        )
        return json.loads(out.read_text())


# --------------------------------------------------------------------------- report


def _load(results: dict) -> str:
    """``; load average 4.1 then 3.2`` when the run recorded it."""
    seen = [f"{results[k][0]:.1f}" for k in ("load_average_at_start", "load_average_at_end") if k in results]
    return f"; load average {' then '.join(seen)}" if seen else ""


def report(results: dict) -> str:
    rows = results["rows"]
    cores = results["cores"]
    lines = [
        f"Table: {rows:,} rows x {FEATURES} features, {N_FILES} Parquet files (row groups of "
        f"{GROUP_ROWS:,}); "
        f"model: 100 trees, 50 labels; machine: {cores} cores (shared{_load(results)}). {results['date']}.",
        "",
        "| scorer | rows | wall time | rows / s | rows / s per core | peak memory |",
        "|---|---|---|---|---|---|",
    ]
    for r in results["inprocess"]:
        threads = r["threads"]
        lines.append(
            f"| out of core, 1 process, {threads} thread{'s' if threads > 1 else ''} | {r['rows']:,} | "
            f"{r['seconds']:.1f} s | {r['rows_per_second']:,.0f} | {r['rows_per_second'] / threads:,.0f} | "
            f"{r['peak_mb']:.0f} MB |"
        )
    d = results["dask"]
    lines.append(
        f"| Dask, local cluster of {d['workers']} workers x 1 thread | {d['rows']:,} | {d['seconds']:.1f} s "
        f"(+ {d['cluster_start_seconds']:.1f} s to start) | {d['rows_per_second']:,.0f} | "
        f"{d['rows_per_second'] / d['workers']:,.0f} | client {d['client_peak_mb']:.0f} MB, workers "
        + ", ".join(f"{m:.0f}" for m in d["worker_peak_mb"])
        + " MB |"
    )
    o = results["onnx"]
    lines.append(
        f"| ONNX Runtime, 2 threads (one file in memory) | {o['rows']:,} | {o['seconds']:.1f} s | "
        f"{o['rows_per_second']:,.0f} | {o['rows_per_second'] / 2:,.0f} | {o['peak_mb']:.0f} MB |"
    )
    single = next(r for r in results["inprocess"] if r["threads"] == 1 and r["rows"] == rows)
    per_core_dask = d["rows_per_second"] / d["workers"]
    per_core_inprocess = single["rows_per_second"]
    seconds_100m = 100_000_000 / d["rows_per_partition"] * d["partition_seconds_median"]
    lines += [
        "",
        f"Dask per core: {per_core_dask:,.0f} rows/s against {per_core_inprocess:,.0f} in one process on one "
        f"thread: {per_core_inprocess / per_core_dask:.2f}x slower (target: within 2x).",
        "",
        f"Per partition ({d['rows_per_partition']:,.0f} rows): {d['partition_seconds_median']:.2f} s median "
        f"of compute ({d['score_seconds_median']:.2f} s reading and scoring, "
        f"{d['write_seconds_median']:.2f} s writing). 100M rows are "
        f"{100_000_000 / d['rows_per_partition']:,.0f} such partitions, "
        f"{seconds_100m:,.0f} s of compute: on N workers of one core, about "
        + ", ".join(f"{seconds_100m / n / 60:.1f} min on {n}" for n in (2, 8, 32, 100))
        + " (plus the cluster's start and the scheduler's few ms per task; the files must be readable "
        "from every worker).",
        "",
    ]
    w = results["working_set"]
    lines += [
        f"Working set of the table ({w['sample_rows']:,} uniform rows + {w['top_rows']:,} top rows, "
        f"two passes over {w['rows']:,} rows): {w['seconds']:.0f} s, peak {w['peak_mb']:.0f} MB.",
        "",
    ]
    b = results["labelling_loop"]
    lat = b["label_latency_ms"]
    lines += [
        f"Labelling loop in memory at {b['rows']:,} x {b['features']} (`aad bench --rows {b['rows']}`): "
        f"fit + index {b['fit_seconds']:.1f} s, first query {b['first_query_seconds']:.1f} s, per label "
        f"p50 {lat['p50']:.0f} ms / p95 {lat['p95']:.0f} ms, peak {b['peak_rss_mb'] / 1024:.2f} GB "
        "(targets: 150 ms p50, 40 s, 6 GB).",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--folder", type=Path, default=Path(tempfile.gettempdir()) / "aad-beyond")
    parser.add_argument("--keep", action="store_true", help="keep the generated table")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("args", nargs="?", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(CHILDREN[args.child](*json.loads(args.args))))
        return
    tick = time.perf_counter()
    work = args.folder / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    model = str(work / "model.json")
    files = run_child("prepare", str(args.folder / "table"), args.rows, model)["files"]
    print(f"table and model ready ({time.perf_counter() - tick:.0f} s)", flush=True)
    results = {"rows": args.rows, "cores": os.cpu_count(), "date": time.strftime("%Y-%m-%d"), "inprocess": []}
    results["load_average_at_start"] = os.getloadavg()  # the machine is shared: how busy it was
    for k in (1, 3, N_FILES):
        r = run_child("inprocess", model, files[:k], str(work / f"scores-{k}.parquet"), None)
        results["inprocess"].append({**r, "threads": os.cpu_count()})
        print(results["inprocess"][-1], flush=True)
    r = run_child("inprocess", model, files, str(work / "scores-1thread.parquet"), 1)
    results["inprocess"].append({**r, "threads": 1})
    print(results["inprocess"][-1], flush=True)
    results["dask"] = run_child("dask", model, [str(args.folder / "table")], str(work / "dask"), 2)
    print(results["dask"], flush=True)
    results["onnx"] = run_child("onnx", model, files[0])
    print(results["onnx"], flush=True)
    results["working_set"] = run_child("working_set", str(args.folder / "table"), str(work / "kept"))
    print(results["working_set"], flush=True)
    shutil.rmtree(work, ignore_errors=True)
    results["labelling_loop"] = run_labelling_loop(args.rows)
    print(results["labelling_loop"], flush=True)
    if not args.keep:
        shutil.rmtree(args.folder, ignore_errors=True)
    results["load_average_at_end"] = os.getloadavg()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "beyond.json").write_text(json.dumps(results, indent=1))
    (RESULTS / "beyond.md").write_text(report(results))
    print(report(results))


if __name__ == "__main__":
    main()
