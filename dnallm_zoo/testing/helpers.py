"""Small helpers a plugin's tests share: a test file loaded as a module, one torch thread."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

__all__ = ["load_test_module", "one_torch_thread"]


def load_test_module(name: str, path: str | Path) -> ModuleType:
    """The file `path` imported once as module `name` (a unique name: several plugins ship a
    `reference.py`, and tests import it by that name)."""
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"{path}: cannot be loaded as a module")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@contextmanager
def one_torch_thread() -> Iterator[None]:
    """Run the block on one torch thread (on a busy 2-core machine OpenMP spinning costs 10-40x)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
