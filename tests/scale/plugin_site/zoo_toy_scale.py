"""The toy family as an installed plugin, so that Ray's worker processes find it as the driver does.

`tests/scale/conftest.py` puts this directory on the path of the driver and of every worker (by
PYTHONPATH, inherited from the driver when it starts Ray). In a process started with
DNALLM_ZOO_TEST_FAULTS set (the Ray workers only), the toy encoder's forward pass carries two faults a
test arms by creating a file in that directory: `raise.armed` makes one forward pass raise, and
`kill.armed` makes one kill its own process with SIGKILL. The armed file may name a directory: the
fault then waits until a shard exists there. Renaming the file claims the fault, so it fires once.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

from dnallm_zoo.testing import ToyPlugin

plugin = ToyPlugin(os.environ.get("DNALLM_ZOO_TOY_HOME"))
FAULTS = os.environ.get("DNALLM_ZOO_TEST_FAULTS")


def _claim(name: str) -> bool:
    """Whether this process fires the fault `name` (armed, its condition met, and claimed first)."""
    assert FAULTS is not None
    armed = Path(FAULTS) / f"{name}.armed"
    try:
        wait_for = armed.read_text().strip()
    except FileNotFoundError:
        return False
    if wait_for and not any(Path(wait_for).glob("part-*.parquet")):
        return False
    try:
        os.rename(armed, Path(FAULTS) / f"{name}.fired.{os.getpid()}")
    except FileNotFoundError:  # another process claimed it
        return False
    return True


if FAULTS:
    from dnallm_zoo.testing.toy import ToyEncoder

    _forward = ToyEncoder.forward

    def _faulty_forward(self: Any, *args: Any, **kwargs: Any) -> Any:
        if _claim("raise"):
            raise RuntimeError("injected fault: this batch fails once")
        if _claim("kill"):
            os.kill(os.getpid(), signal.SIGKILL)
        return _forward(self, *args, **kwargs)

    ToyEncoder.forward = _faulty_forward  # type: ignore[method-assign]
