"""`dnallm-zoo check`: the conformance suite on one model."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cli_support import run


# ----------------------------------------------------------------------------------------- check
@dataclass
class FakeResult:
    name: str
    ok: bool
    skipped: bool = False
    detail: str = ""


def fake_checks(results: list[FakeResult], seen: list[tuple[str, Path | None]]) -> Any:
    def run_checks(model: str, *, weights: Path | None = None) -> list[FakeResult]:
        seen.append((model, weights))
        return results

    return run_checks


def test_check_prints_one_line_per_check_and_fails_on_a_failure(
    toy: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dnallm_zoo.testing

    seen: list[tuple[str, Path | None]] = []
    results = [FakeResult("shapes", True), FakeResult("device", False, True, "no cuda"),
               FakeResult("determinism", False, detail="runs differ\nby 1e-3")]
    monkeypatch.setattr(dnallm_zoo.testing, "run_checks", fake_checks(results, seen), raising=False)
    result = run("check", "toy-3", "--weights", tmp_path)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == ["ok    shapes", "SKIP  device: no cuda",
                                          "FAIL  determinism: runs differ by 1e-3"]
    assert "1 passed, 1 failed, 1 skipped" in result.stderr
    assert seen == [("toy-3", tmp_path)]

    data = json.loads(run("check", "toy-3", "--json").stdout)
    assert data[2] == {"name": "determinism", "ok": False, "skipped": False,
                       "detail": "runs differ\nby 1e-3"}
    assert seen[-1] == ("toy-3", None)


def test_check_passes_when_nothing_failed(toy: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import dnallm_zoo.testing

    results = [FakeResult("shapes", True), FakeResult("device", False, True, "no cuda")]
    monkeypatch.setattr(dnallm_zoo.testing, "run_checks", fake_checks(results, []), raising=False)
    result = run("check", "toy-3")
    assert result.exit_code == 0, result.output


def test_check_runs_the_real_conformance_suite_on_the_toy_model(toy: Any) -> None:
    result = run("check", "toy-3")
    assert result.exit_code == 0, result.output
    names = [line.split()[1].rstrip(":") for line in result.stdout.splitlines()]
    assert {"strict_load", "batch_invariance", "save_round_trip"} <= set(names)
    assert all(line.startswith(("ok ", "SKIP ")) for line in result.stdout.splitlines())
