"""The command group: entry points, usage errors, --debug, SIGTERM and killed runs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cli_support import run

import dnallm_zoo
from dnallm_zoo.cli import main


def test_python_dash_m_and_version() -> None:
    proc = subprocess.run([sys.executable, "-m", "dnallm_zoo", "--version"], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"dnallm-zoo, version {dnallm_zoo.__version__}"


def test_usage_errors_exit_with_2(toy: Any) -> None:
    assert run("list", "--bogus").exit_code == 2
    assert run("embed").exit_code == 2
    assert run("list", "--task", "nonsense").exit_code == 2


def test_debug_traces_hook_calls_to_stderr(toy: Any) -> None:
    result = run("--debug", "list", "--json")
    assert result.exit_code == 0
    assert "register_models [toy]" in result.stderr
    json.loads(result.stdout)
    assert "register_models" not in run("list", "--json").stderr  # tracing ends with the command


KILLED = """
import os, signal, sys
import numpy as np
from dnallm_zoo.cli._app import _on_sigterm
from dnallm_zoo._writers import RowLayout, open_writer
signal.signal(signal.SIGTERM, _on_sigterm)  # as main() does
with open_writer(sys.argv[1], layout=RowLayout.sequences(4)) as w:
    for i in range(3):
        w.write(f"r{i}", (4,), np.ones(4, np.float32))
        if i == 1:
            os.kill(os.getpid(), getattr(signal, sys.argv[2]))
"""


@pytest.mark.parametrize(("out", "sig", "code"), [("out.parquet", "SIGTERM", 128 + 15),
                                                  ("out.parquet", "SIGKILL", -9),
                                                  ("out.safetensors", "SIGKILL", -9)])
def test_a_killed_run_leaves_no_output(tmp_path: Path, out: str, sig: str, code: int) -> None:
    proc = subprocess.run([sys.executable, "-c", KILLED, str(tmp_path / out), sig],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == code, proc.stderr
    left = os.listdir(tmp_path)
    assert out not in left
    if sig == "SIGTERM":  # unwound like an error: the temporary file is gone too
        assert left == []


def test_main_turns_sigterm_into_an_exit(monkeypatch: pytest.MonkeyPatch) -> None:
    installed: dict[int, Any] = {}
    monkeypatch.setattr(signal, "signal", lambda sig, handler: installed.setdefault(sig, handler))
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    with pytest.raises(SystemExit) as exc:
        installed[signal.SIGTERM](signal.SIGTERM, None)
    assert exc.value.code == 128 + signal.SIGTERM
