"""`dnallm-zoo finetune` and `dnallm-zoo evaluate` end to end on the demo model, and what they refuse."""

from __future__ import annotations

import bz2
import json
import lzma
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from dnallm_zoo.cli import cli
from dnallm_zoo.cli._finetune import TASK_CHOICES
from dnallm_zoo.finetune.data import TASKS


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def table(text: str) -> dict[str, str]:
    return dict(line.split() for line in text.splitlines() if line and not line.startswith("#"))


def test_task_choices_are_the_data_tasks() -> None:
    assert TASK_CHOICES == TASKS


def test_the_command_module_imports_no_training_library() -> None:
    code = ("import sys; import dnallm_zoo.cli._finetune; "
            "print(sorted(m for m in ('torch', 'transformers', 'sklearn', 'peft') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.slow
def test_probe_then_evaluate(gc_task: tuple[Path, Path], tmp_path: Path) -> None:
    train, evald = gc_task
    out = tmp_path / "probe"
    code, stdout, stderr = run("finetune", "-m", "dnabert-demo", "--train", str(train), "--eval", str(evald),
                               "--task", "binary", "--method", "probe", "-o", str(out), "-q")
    assert code == 0, stderr
    assert "probe: embedded 32 sequences" in stderr
    printed = table(stdout)
    assert set(printed) == {"accuracy", "f1", "mcc", "auroc", "auprc"}
    assert float(printed["accuracy"]) >= 0.9
    saved = json.loads((out / "metrics.json").read_text())
    assert saved["method"] == "probe" and saved["train"]["rows"] == 32
    code, again, stderr = run("evaluate", "-m", str(out), "--data", str(evald), "-q")
    assert code == 0, stderr
    assert table(again) == printed  # evaluate prints what finetune printed
    code, as_json, _ = run("evaluate", "-m", str(out), "--data", str(evald), "-q", "--json")
    assert json.loads(as_json)["accuracy"] == pytest.approx(float(printed["accuracy"]), abs=1e-4)


@pytest.mark.slow
def test_compressed_data_reads_as_embed_reads_it(gc_task: tuple[Path, Path], tmp_path: Path) -> None:
    """train.csv.bz2 (once detected as CSV, then unreadable) and a tab-separated eval.tsv.xz."""
    train, evald = gc_task
    train_bz2 = tmp_path / "train.csv.bz2"
    train_bz2.write_bytes(bz2.compress(train.read_bytes()))
    eval_xz = tmp_path / "eval.tsv.xz"
    eval_xz.write_bytes(lzma.compress(evald.read_text().replace(",", "\t").encode()))
    out = tmp_path / "probe"
    code, _, stderr = run("finetune", "-m", "dnabert-demo", "--train", str(train_bz2), "--task", "binary",
                          "--method", "probe", "-o", str(out), "-q")
    assert code == 0, stderr
    code, compressed, stderr = run("evaluate", "-m", str(out), "--data", str(eval_xz), "-q")
    assert code == 0, stderr
    assert table(compressed) == table(run("evaluate", "-m", str(out), "--data", str(evald), "-q")[1])


@pytest.mark.slow
def test_full_one_epoch_then_evaluate_and_predict(gc_task: tuple[Path, Path], tmp_path: Path) -> None:
    train, evald = gc_task
    out = tmp_path / "full"
    code, stdout, stderr = run("finetune", "-m", "dnabert-demo", "--train", str(train), "--eval", str(evald),
                               "--task", "binary", "-o", str(out), "--epochs", "1", "--batch-size", "8",
                               "--learning-rate", "1e-3", "--rc-augment", "--device", "cpu", "-q")
    assert code == 0, stderr
    assert "epoch 1/1, train loss" in stderr and "eval mcc" in stderr
    saved = json.loads((out / "metrics.json").read_text())
    assert saved["train"]["rows_trained"] == 64  # each training sequence and its reverse complement
    code, again, stderr = run("evaluate", "-m", str(out), "--data", str(evald), "-q")
    assert code == 0, stderr
    assert table(again) == table(stdout)
    fasta = tmp_path / "e.fa"
    lines = evald.read_text().splitlines()[1:]
    fasta.write_text("".join(f">s{i}\n{line.split(',')[0]}\n" for i, line in enumerate(lines)))
    pred = tmp_path / "p.parquet"
    code, _, stderr = run("predict", str(fasta), "-m", str(out), "-o", str(pred))
    assert code == 0, stderr  # the directory is a classifier the zoo's predict runs
    assert pred.stat().st_size > 0


def test_bad_data_is_refused_before_any_model_work(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("sequence,label\nACGTACGT,1\nACGTAC,3\nAAAAAAAA,0\nCCCCCC,x\n")
    code, _, stderr = run("finetune", "-m", "dnabert-demo", "--train", str(bad), "--task", "binary",
                          "-o", str(tmp_path / "o"))
    assert code == 1
    assert stderr.count("\n") == 1  # one line
    assert f"{bad}: 2 bad lines" in stderr
    assert "line 3, column 'label': label outside the 2 labels" in stderr
    assert "line 5, column 'label'" in stderr
    assert not (tmp_path / "o").exists()


def test_missing_column_and_unknown_metric(gc_task: tuple[Path, Path], tmp_path: Path) -> None:
    train, _ = gc_task
    code, _, stderr = run("finetune", "-m", "dnabert-demo", "--train", str(train), "--task", "binary",
                          "-o", str(tmp_path / "o"), "--label-column", "class")
    assert code == 1 and "no column 'class'" in stderr and str(train) in stderr
    code, _, stderr = run("finetune", "-m", "dnabert-demo", "--train", str(train), "--task", "binary",
                          "-o", str(tmp_path / "o"), "--metric", "spearman")
    assert code == 1 and "not a binary metric" in stderr


@pytest.mark.slow
def test_evaluate_refuses_a_base_model(gc_task: tuple[Path, Path]) -> None:
    code, _, stderr = run("evaluate", "-m", "dnabert-demo", "--data", str(gc_task[1]))
    assert code == 1 and "no task head" in stderr
