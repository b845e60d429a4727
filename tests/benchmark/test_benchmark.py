"""`dnallm-zoo benchmark` on tiny checkpoints: cells equal `evaluate`, resuming, plots, failures, bad input.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from dnallm_zoo.cli import cli

from .conftest import write_csv

PNG = b"\x89PNG\r\n\x1a\n"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def cells(out: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted((out / "cells").glob("*.json"))]


def results(out: Path) -> dict[tuple[Any, ...], float]:
    rows = pq.read_table(out / "results.parquet").to_pylist()
    return {(r["model"], r["dataset"], r["method"], r["seed"], r["fold"], r["metric"]): r["value"]
            for r in rows}


def same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Equal figures (NaN equal to NaN and to JSON's null)."""
    def norm(v: Any) -> Any:
        return None if v is None or (isinstance(v, float) and math.isnan(v)) else v
    return a.keys() == b.keys() and all(norm(a[k]) == norm(b[k]) for k in a)


def fold_files(out: Path, data: Path, dataset: str, fold: int, where: Path) -> tuple[Path, Path]:
    """The train and test rows of a fold (from folds.parquet) as CSV files."""
    folds = pq.read_table(out / "folds.parquet").to_pylist()
    lines = data.read_text().splitlines()
    paths = []
    for split in ("train", "test"):
        rows = [r["row"] for r in folds if (r["dataset"], r["fold"], r["split"]) == (dataset, fold, split)]
        p = where / f"{dataset}-{fold}-{split}.csv"
        p.write_text("\n".join([lines[0], *(lines[1 + i] for i in rows)]) + "\n")
        paths.append(p)
    return paths[0], paths[1]


@pytest.mark.slow
def test_probe_benchmark_cells_equal_evaluate(tiny_models: tuple[str, str], datasets: tuple[Path, Path],
                                              tmp_path: Path) -> None:
    from dnallm_zoo.finetune.evaluation import evaluate

    a, b = tiny_models
    gc, share = datasets
    out = tmp_path / "bench"
    code, stdout, stderr = run("benchmark", "--models", f"{a},{b}", "--data", f"{gc},{share}", "--folds", "2",
                               "-o", str(out), "--keep-models", "-q")
    assert code == 0, stderr
    assert "gc: binary (inferred), 2 labels; 2-fold cross-validation of 24 rows" in stderr
    assert "gcshare: regression (inferred)" in stderr
    assert "6 of 6 cells done, 0 failed" in stderr and stdout.strip() == f"{out}/results.md"
    recs = cells(out)
    assert len(recs) == 6 and {r["status"] for r in recs} == {"ok"}
    table = results(out)
    assert len(table) == 2 * 2 * 5 + 2 * 1 * 5  # one row per model, dataset, method, seed, fold, metric
    for r in recs:  # each cell's figures are what evaluate gives its model on its test rows
        test = (share / "test.csv" if r["dataset"] == "gcshare"
                else fold_files(out, gc, "gc", r["fold"], tmp_path)[1])
        assert same(evaluate(out / "models" / r["cell"], test, device="cpu"), r["metrics"])
        for metric, value in r["metrics"].items():
            assert same({"v": table[(r["model"], r["dataset"], "probe", 0, r["fold"], metric)]}, {"v": value})
    # and what `dnallm-zoo finetune` + `dnallm-zoo evaluate` print for the same model, data and seed
    for model, dataset, fold, (train, test) in (
            (b, "gcshare", 0, (share / "train.csv", share / "test.csv")),
            (a, "gc", 1, fold_files(out, gc, "gc", 1, tmp_path))):
        task = "regression" if dataset == "gcshare" else "binary"
        run_dir = tmp_path / f"ft-{dataset}"
        code, _, stderr = run("finetune", "-m", model, "--train", str(train), "--task", task,
                              "--method", "probe", "-o", str(run_dir), "-q")
        assert code == 0, stderr
        code, printed, stderr = run("evaluate", "-m", str(run_dir), "--data", str(test), "--json", "-q")
        assert code == 0, stderr
        mine = {m: v for (mo, d, _, _, f, m), v in table.items() if (mo, d, f) == (model, dataset, fold)}
        assert same(json.loads(printed), mine)
    md = (out / "results.md").read_text()
    assert " ± " in md and "## gc" in md and "## gcshare" in md
    bold = [line for line in md.splitlines() if line.startswith("| **")]
    assert len(bold) == 2  # one best per dataset, by its metric (mcc, r2)
    for line, (dataset, metric) in zip(bold, (("gc", "mcc"), ("gcshare", "r2")), strict=True):
        means = {m: sum(v for (mo, d, _, _, _, me), v in table.items() if (mo, d, me) == (m, dataset, metric))
                 for m in (a, b)}
        assert line.startswith(f"| **{max(means, key=means.__getitem__)}** | **probe** |")
    plots = sorted(p.name for p in (out / "plots").iterdir())
    assert plots == ["gc_metric.png", "gc_pr.png", "gc_roc.png", "gcshare_metric.png",
                     "gcshare_pred_vs_true.png"]
    import matplotlib.image

    for name in plots:
        p = out / "plots" / name
        assert p.read_bytes()[:8] == PNG
        assert matplotlib.image.imread(p).ndim == 3  # decodes as an image
    saved = (out / "benchmark.yaml").read_text()
    assert "task: binary" in saved and "task: regression" in saved and "name: gcshare" in saved


@pytest.mark.slow
def test_a_killed_benchmark_resumes_to_the_same_results(tiny_models: tuple[str, str],
                                                        datasets: tuple[Path, Path], tmp_path: Path) -> None:
    a, b = tiny_models
    gc, _ = datasets
    args = ["benchmark", "--models", f"{a},{b}", "--data", str(gc), "--folds", "3", "--seeds", "0,1", "-q"]
    out = tmp_path / "killed"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "dnallm_zoo", *args, "-o", str(out)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 600
        while not list(out.glob("cells/*.json")):
            assert proc.poll() is None, "the benchmark ended before a cell was written"
            assert time.monotonic() < deadline
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    done = len(list((out / "cells").glob("*.json")))
    assert 0 < done < 12
    code, _, stderr = run(*args, "-o", str(out))
    assert code == 0, stderr
    assert f"12 cells; resuming: {done} already in {out}" in stderr
    code, _, stderr = run(*args, "-o", str(tmp_path / "fresh"))
    assert code == 0, stderr
    assert results(out) == results(tmp_path / "fresh")
    assert len(results(out)) == 12 * 5


@pytest.mark.slow
def test_a_failing_cell_is_recorded_and_the_others_go_on(tiny_models: tuple[str, str],
                                                         datasets: tuple[Path, Path], tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    import dnallm_zoo.finetune.train as train

    a, b = tiny_models
    _, share = datasets
    original = train.finetune

    def out_of_memory(model: str, *args: Any, **kw: Any) -> Any:
        if model == b:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return original(model, *args, **kw)

    monkeypatch.setattr(train, "finetune", out_of_memory)
    out = tmp_path / "bench"
    args = ["benchmark", "--models", f"{a},{b}", "--data", str(share), "-o", str(out), "-q"]
    code, _, stderr = run(*args)
    assert code == 0, stderr
    assert "FAILED (OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB)" in stderr
    assert "1 of 2 cells failed" in stderr
    rows = pq.read_table(out / "results.parquet").to_pylist()
    failed = [r for r in rows if r["status"] == "error"]
    assert len(failed) == 1 and failed[0]["model"] == b and failed[0]["metric"] is None
    assert failed[0]["error"].startswith("OutOfMemoryError: CUDA out of memory")
    assert {r["metric"] for r in rows if r["model"] == a} == {"mse", "mae", "r2", "pearson", "spearman"}
    assert "## Failed cells" in (out / "results.md").read_text()
    monkeypatch.undo()
    code, _, stderr = run(*args)  # resuming keeps the failure unless asked
    assert "resuming: 2 already" in stderr and "1 of 2 cells failed" in stderr
    code, _, stderr = run(*args, "--retry-failed")
    assert code == 0 and "2 of 2 cells done, 0 failed" in stderr
    # the directory is this benchmark's: other settings are refused, not mixed in
    code, _, stderr = run(*args, "--seeds", "1")
    assert code == 1 and "holds a benchmark with other settings (seeds differ)" in stderr


def test_bad_input_is_named_before_any_model_work(tmp_path: Path) -> None:
    no_label = write_csv(tmp_path / "nolabel.csv", ["sequence", "target"], [("ACGTACGT", 1), ("GGGCCC", 0)])
    small = write_csv(tmp_path / "small.csv", ["sequence", "label"],
                      [("ACGTACGTAA", "a")] * 10 + [("GGCCGGCCGG", "b")] * 2)
    out = tmp_path / "out"
    code, _, stderr = run("benchmark", "--models", "dnabert-demo,no-such-model",
                          "--data", f"{no_label},{small}", "--folds", "3", "-o", str(out))
    assert code == 1
    msg = " ".join(stderr.split())
    assert "3 problem(s)" in msg
    assert "unknown model 'no-such-model'" in msg
    assert f"dataset '{no_label}': {no_label}: no column 'label'" in msg
    assert (f"dataset 'small' ({small}): --folds 3 is more than a class's rows (class 'b' has 2); "
            "use at most 2") in msg
    assert not out.exists()  # nothing started
    missing = tmp_path / "absent.csv"
    code, _, stderr = run("benchmark", "--models", "dnabert-demo", "--data", str(missing), "-o", str(out))
    assert code == 1 and f"{missing}: no such file" in stderr


def test_settings_file_checked_and_the_command_line_wins(tmp_path: Path) -> None:
    cfg = tmp_path / "bench.yaml"
    cfg.write_text("models: [dnabert-demo]\ndata: [x.csv]\nfolds: 1\nbatchsize: 8\n")
    code, _, stderr = run("benchmark", "--config", str(cfg))
    msg = " ".join(stderr.split())
    assert code == 1 and "3 bad setting(s)" in msg
    assert "folds: Input should be greater than or equal to 2" in msg and "batchsize: not a setting" in msg
    assert "output: missing (--output or the key 'output')" in msg
    from dnallm_zoo.finetune.config import BenchmarkSettings, read_settings

    cfg.write_text("models: a,b\ndata:\n  - gc.csv\n  - {train: t.csv, test: s.csv, task: regression}\n"
                   "methods: [probe, lora]\nseeds: [0, 1]\nfolds: 3\noutput: o\nlearning_rate: 1e-4\n")
    s = read_settings(BenchmarkSettings, cfg, {"folds": 4, "learning_rate": 5e-4})
    assert s.models == ["a", "b"] and s.methods == ["probe", "lora"] and s.seeds == [0, 1]
    assert s.folds == 4 and s.learning_rate == 5e-4  # options given on the command line win
    assert s.data[0].path == "gc.csv" and s.data[1].task == "regression"
    cfg.write_text("models: a\ndata: [{train: t.csv}]\noutput: o\n")
    with pytest.raises(Exception, match="needs a test or an eval split"):
        read_settings(BenchmarkSettings, cfg, {})


def test_training_settings_share_the_train_config_defaults() -> None:
    from dnallm_zoo.cli._finetune import finetune
    from dnallm_zoo.finetune.config import _TRAIN_FIELDS, FinetuneSettings, TrainingSettings
    from dnallm_zoo.finetune.train import TrainConfig

    assert set(_TRAIN_FIELDS) == set(TrainConfig.__dataclass_fields__) - {"method", "seed", "progress"}
    for name in _TRAIN_FIELDS:
        assert TrainingSettings.model_fields[name].default == getattr(TrainConfig, name), name
    fields = FinetuneSettings.model_fields
    for p in finetune.params:  # the options' defaults are the settings' (a file fills what is not given)
        if p.name in fields and not getattr(p, "is_flag", False) and p.default is not None \
                and fields[p.name].default is not None:
            default = list(p.default) if isinstance(p.default, tuple) else p.default
            assert default == fields[p.name].get_default(call_default_factory=True), p.name


def test_the_task_is_inferred_or_asked_for(tmp_path: Path) -> None:
    from dnallm_zoo.benchmark.plan import infer_task
    from dnallm_zoo.errors import InputError

    def task(labels: list[object]) -> str:
        p = write_csv(tmp_path / "t.csv", ["sequence", "label"], [("ACGTACGTAC", y) for y in labels])
        return infer_task(p, sequence_column="sequence", label_column=["label"])

    assert task(["a", "b", "a"]) == "binary"
    assert task([0, 1, 2, 1]) == "multiclass"
    assert task([0.25, 1.5, 2]) == "regression"
    assert task([0, 1, 1]) == "binary"
    with pytest.raises(InputError, match="are multilabel; name the task"):
        task(["a;b", "a"])
    with pytest.raises(InputError, match="several targets"):
        task(["0.5;1", "1;2"])
    with pytest.raises(InputError, match=r"2 distinct integer labels .* per-base labels"):
        task(["0011001100", "1100110011"])
    with pytest.raises(InputError, match="30 distinct integer labels"):
        task(list(range(30)))
