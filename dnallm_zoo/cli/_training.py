"""The options finetune and benchmark share (training settings, columns, --config), and how the options
given on the command line go on top of a settings file. No training library is imported here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from importlib.util import find_spec
from typing import Any, TypeVar

import click
from click.core import ParameterSource

from ..errors import ZooError

__all__ = ["command_line_values", "require", "training_options"]

F = TypeVar("F", bound=Callable[..., Any])
_EXTRA = ("accelerate", "sklearn", "scipy")

_OPTIONS = [
    click.option("--config", "config", default=None, metavar="FILE.yaml",
                 help="Settings as YAML: the options' names as keys (learning_rate: 5e-4); an option given "
                      "on the command line wins. Each run writes back the settings it used."),
    click.option("--epochs", type=click.IntRange(min=1), default=3, show_default=True),
    click.option("--learning-rate", type=click.FloatRange(min=0, min_open=True), default=None,
                 help="Default: 5e-5 (full), 1e-4 (lora)."),
    click.option("--batch-size", type=click.IntRange(min=1), default=16, show_default=True),
    click.option("--metric", default=None,
                 help="The evaluation metric that picks the kept epoch (and the best model). Default: mcc "
                      "(binary, multiclass, token), f1 (multilabel), r2 (regression)."),
    click.option("--patience", type=click.IntRange(min=1), default=None,
                 help="Stop training after N epochs without a better evaluation --metric (needs an "
                      "evaluation split)."),
    click.option("--sequence-column", default="sequence", show_default=True),
    click.option("--label-column", multiple=True, default=("label",), show_default=True,
                 help="Repeat for several regression targets."),
    click.option("--rc-augment", is_flag=True, help="Add the reverse complement of every training sequence."),
    click.option("--device", default="auto", show_default=True, help="auto, cpu or cuda."),
    click.option("--quiet", "-q", is_flag=True, help="No progress bars."),
]


def training_options(f: F) -> F:
    """Decorate a command with the shared options (in this order in --help)."""
    for option in reversed(_OPTIONS):
        f = option(f)
    return f


def require(*modules: str) -> None:
    """The training extra's modules (and `modules`), or an error naming what to install."""
    missing = [m for m in (*_EXTRA, *modules) if find_spec(m) is None]
    if missing:
        names = ", ".join("scikit-learn" if m == "sklearn" else m for m in missing)
        raise ZooError(f"this command needs {names}: pip install 'dnallm-zoo[finetune]'")


def command_line_values(ctx: click.Context, rename: dict[str, str] | None = None,
                        skip: Iterable[str] = ("config", "quiet", "overwrite")) -> dict[str, Any]:
    """The parameters given on the command line (not defaults), as settings names and values."""
    names = rename or {}
    skipped = set(skip)
    out: dict[str, Any] = {}
    for name, value in ctx.params.items():
        if name in skipped:
            continue
        if ctx.get_parameter_source(name) not in (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT):
            continue
        out[names.get(name, name)] = list(value) if isinstance(value, tuple) else value
    return out

