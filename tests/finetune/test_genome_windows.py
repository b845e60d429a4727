"""scripts/make_genome_windows.py (the docs' task): the same files for a seed, disjoint splits, unique."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "make_genome_windows.py"


def make(out: Path, *extra: str) -> None:
    subprocess.run([sys.executable, str(SCRIPT), "-o", str(out), "--train-per-genome", "60",
                    "--eval-per-genome", "30", *extra], check=True, capture_output=True)


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def test_deterministic_disjoint_and_unique(tmp_path: Path) -> None:
    make(tmp_path / "a")
    make(tmp_path / "b")
    make(tmp_path / "c", "--seed", "1")
    for split in ("train.csv", "eval.csv"):
        assert (tmp_path / "a" / split).read_bytes() == (tmp_path / "b" / split).read_bytes()
        assert (tmp_path / "a" / split).read_bytes() != (tmp_path / "c" / split).read_bytes()
    train, evald = rows(tmp_path / "a" / "train.csv"), rows(tmp_path / "a" / "eval.csv")
    assert len(train) == 180 and len(evald) == 90
    for split in (train, evald):
        assert len({r["id"] for r in split}) == len(split)
        assert all(len(r["sequence"]) == 150 for r in split)

    def spans(split: list[dict[str, str]]) -> dict[str, list[tuple[int, int]]]:
        out: dict[str, list[tuple[int, int]]] = {}
        for r in split:
            genome, place, _ = r["id"].split(":")
            start, end = (int(x) for x in place.split("-"))
            assert genome == r["label"]
            out.setdefault(genome, []).append((start, end))
        return out

    tr, ev = spans(train), spans(evald)
    for genome, windows in ev.items():
        for s, e in windows:
            assert all(e <= a or b <= s for a, b in tr[genome]), (genome, s, e)  # no shared base


def test_mixed_lengths(tmp_path: Path) -> None:
    make(tmp_path, "--min-length", "60", "--max-length", "90")
    lengths = {len(r["sequence"]) for r in rows(tmp_path / "train.csv")}
    assert min(lengths) >= 60 and max(lengths) <= 90 and len(lengths) > 5


def test_a_test_split_from_the_evaluation_stretch(tmp_path: Path) -> None:
    make(tmp_path / "a")
    make(tmp_path / "t", "--test-per-genome", "10")
    assert not (tmp_path / "a" / "test.csv").exists()  # only when asked for
    evald, test = rows(tmp_path / "t" / "eval.csv"), rows(tmp_path / "t" / "test.csv")
    assert len(evald) == 90 and len(test) == 30
    assert not {r["id"] for r in evald} & {r["id"] for r in test}
    held_out = {"phix174": (5386 - 5386 // 5, 5386), "yersinia_pPCP1": (9609 - 9609 // 5, 9609),
                "arabidopsis_chloroplast": (112_000, 122_000)}
    for r in test:  # wholly inside the stretch no training window touches
        start, end = (int(x) for x in r["id"].split(":")[1].split("-"))
        lo, hi = held_out[r["label"]]
        assert lo <= start and end <= hi, r["id"]
