"""Helpers of the CLI tests: invoke the CLI, write FASTA, read outputs back."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
from click.testing import CliRunner, Result

from dnallm_zoo.cli import cli

LONG = "ACGTTGCA" * 5  # 40 bases: more than the 16 a toy forward pass takes
RECORDS = [("seq1", "ACGTACGTAC"), ("seq2", "TTGACCA"), ("long", LONG)]


def run(*args: str | Path, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], env=env)


def fasta(path: Path, records: list[tuple[str, str]] = RECORDS, *, wrap: int = 7) -> Path:
    text = "".join(
        f">{rid} some description\n" + "".join(seq[i:i + wrap] + "\n" for i in range(0, len(seq), wrap))
        for rid, seq in records
    )
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


def one_line_error(result: Result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


def read_table(path: Path) -> tuple[list[str], dict[str, list[int]], np.ndarray, dict[str, str]]:
    table = pq.read_table(path)
    meta = {k.decode(): v.decode() for k, v in (table.schema.metadata or {}).items()}
    vec = table.schema.names[-1]
    width = table.schema.field(vec).type.list_size
    matrix = np.array(table[vec].to_pylist(), np.float32).reshape(len(table), width)
    ints = {c: table[c].to_pylist() for c in table.schema.names[1:-1] if c != "source"}
    return table["id"].to_pylist(), ints, matrix, meta


def read_matrix(path: Path) -> np.ndarray:
    if path.suffix == ".parquet":
        return read_table(path)[2]
    if path.suffix == ".npy":
        return np.load(path)
    if path.suffix == ".npz":
        with np.load(path) as z:
            assert z["ids"].tolist() == [r for r, _ in RECORDS]
            assert z["lengths"].tolist() == [len(s) for _, s in RECORDS]
            return z["embeddings"]
    from safetensors import safe_open

    with safe_open(str(path), "np") as f:
        assert json.loads(f.metadata()["ids"]) == [r for r, _ in RECORDS]
        return f.get_tensor("embeddings")


def kill_after_shards(proc: subprocess.Popen[str], out: Path, shards: int = 2) -> list[str]:
    """SIGKILL a running `-o out/` run once `shards` shards are there; the shards it left."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if out.is_dir() and len([f for f in os.listdir(out) if f.startswith("part-")]) >= shards:
            break
        time.sleep(0.02)
    assert proc.poll() is None, f"the run ended before the kill: {proc.stderr.read() if proc.stderr else ''}"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    return [f for f in os.listdir(out) if f.startswith("part-")]
