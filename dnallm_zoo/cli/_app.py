"""The `dnallm-zoo` command group, its error handling and the console script.

The commands live beside it: `_listing` (list, info, plugins, schema: neither torch nor transformers is
imported), `_run` (embed, predict), `_check` (check), `_finetune` (finetune, evaluate), `_benchmark`
(benchmark), `_variants` (vep, mutagenesis), `_interpret` (attention, explain, plot-embeddings); terminal
rendering in `_render` and `_progress`.
Every `ZooError` becomes a one-line message and exit status 1; usage errors exit with 2.
"""

from __future__ import annotations

import signal
from collections.abc import Sequence
from types import FrameType
from typing import Any

import click

from .. import __version__
from ..errors import UnknownModelError, ZooError
from ._benchmark import benchmark
from ._check import check
from ._finetune import evaluate, finetune
from ._interpret import attention, explain, plot_embeddings
from ._listing import info, list_cmd, plugins, schema
from ._new_plugin import new_plugin
from ._run import embed, predict
from ._variants import mutagenesis, vep

__all__ = ["cli", "main"]


# ----------------------------------------------------------------------------------------- group
def _message(exc: ZooError) -> str:
    """One line for the terminal (a list of bad records: one line each); an unknown model also names
    plugins that failed to load."""
    from .._validation import BadRecordsError

    if isinstance(exc, BadRecordsError):
        return str(exc)  # one record a line (ids are quoted with repr: no newline inside)
    msg = " ".join(str(exc).split())
    if isinstance(exc, UnknownModelError):
        from .._discovery import get_manager

        failed = sorted(i.name for i in get_manager(load=False).info.values() if i.errors)
        if failed:
            msg += f" (plugins that failed to load: {', '.join(failed)}; see `dnallm-zoo plugins`)"
    return msg


class _ZooGroup(click.Group):
    """A group whose commands' `ZooError`s become one-line messages (exit status 1)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ZooError as exc:
            raise click.ClickException(_message(exc)) from None


@click.group(cls=_ZooGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="dnallm-zoo")
@click.option("--debug", is_flag=True, help="Trace plugin loading and hook calls (pluggy) to stderr.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """DNA language models of the BERT family behind one interface."""
    if debug:
        from .._discovery import get_manager

        manager = get_manager(load=False)
        manager.pm.trace.root.setwriter(lambda line: click.echo(line, err=True, nl=False))
        undo = manager.enable_tracing()

        def stop() -> None:
            undo()
            manager.pm.trace.root.setwriter(None)

        ctx.call_on_close(stop)


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> None:
    """The console script; SIGTERM unwinds like Ctrl-C, so no partial output is left behind."""
    signal.signal(signal.SIGTERM, _on_sigterm)
    cli.main(args=list(argv) if argv is not None else None, prog_name="dnallm-zoo")


for _command in (list_cmd, info, plugins, schema, embed, predict, check, new_plugin, finetune, evaluate,
                 benchmark, vep, mutagenesis, attention, explain, plot_embeddings):
    cli.add_command(_command)
