"""The public API: `dnallm_zoo.__all__` is pinned, sorted, complete, and every name imports (httpx-style).

Adding a public name means adding it here too: that is the point.
"""

from __future__ import annotations

import subprocess
import sys
from types import ModuleType

import pytest

import dnallm_zoo

EXPORTED = [
    "ArchitectureSpec",
    "Capabilities",
    "CheckpointError",
    "DNAEncoder",
    "EncoderOutput",
    "InputError",
    "ModelSpec",
    "NormalizationPolicy",
    "RegisterFn",
    "Segment",
    "SequenceTooLongError",
    "TokenizerSpec",
    "UnknownModelError",
    "WeightsSource",
    "ZooError",
    "errors",
    "get_spec",
    "hookimpl",
    "kit",
    "list_models",
    "load",
    "tokenize",
]
#: the subpackages a plugin builds on, named by the top level (``from dnallm_zoo import kit``)
SUBPACKAGES = {"errors", "kit", "tokenize"}
LAZY = {"DNAEncoder", "EncoderOutput", "Segment", "kit", "tokenize"}
# names __init__ needs for itself, not part of the API
IMPLEMENTATION = {"annotations", "TYPE_CHECKING", "lazy_getattr"}


def test_all_is_pinned() -> None:
    assert dnallm_zoo.__all__ == EXPORTED


def test_all_is_sorted_and_unique() -> None:
    assert dnallm_zoo.__all__ == sorted(set(dnallm_zoo.__all__))


def test_every_public_name_is_exported() -> None:
    public = {
        name for name, value in vars(dnallm_zoo).items()
        if not name.startswith("_") and name not in IMPLEMENTATION
        and (not isinstance(value, ModuleType) or name in SUBPACKAGES)
    }
    assert public | LAZY == set(dnallm_zoo.__all__)


@pytest.mark.parametrize("name", EXPORTED)
def test_importable(name: str) -> None:
    value = getattr(dnallm_zoo, name)
    if name == "hookimpl":  # pluggy's marker, bound to our project name
        assert value.project_name == "dnallm_zoo"
    elif name in SUBPACKAGES:
        assert isinstance(value, ModuleType) and value.__name__ == f"dnallm_zoo.{name}"
    else:
        assert value.__module__.startswith("dnallm_zoo."), value  # ours, not a re-export
    namespace: dict[str, object] = {}
    exec(f"from dnallm_zoo import {name}", namespace)
    assert namespace[name] is value


def test_star_import() -> None:
    namespace: dict[str, object] = {}
    exec("from dnallm_zoo import *", namespace)
    assert set(EXPORTED) <= set(namespace)


def test_unknown_attribute() -> None:
    with pytest.raises(AttributeError, match="module 'dnallm_zoo' has no attribute 'Encoder'"):
        _ = dnallm_zoo.Encoder  # type: ignore[attr-defined]
    assert isinstance(dnallm_zoo.__version__, str)


def test_lazy_names_stay_lazy() -> None:
    code = (
        "import sys, dnallm_zoo\n"
        f"lazy = {sorted(LAZY)!r}\n"
        "assert not [n for n in lazy if n in vars(dnallm_zoo)], 'imported eagerly'\n"
        "assert 'torch' not in sys.modules and 'transformers' not in sys.modules\n"
        "print('ok')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"
