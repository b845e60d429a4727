"""The listing commands: list, info, plugins, schema. None of them imports torch or transformers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

import click

from .. import __version__
from .._spec import Device, ModelSpec, Task
from ._render import describe_spec, table

if TYPE_CHECKING:
    from .._registry import Entry, Registry

__all__ = ["info", "list_cmd", "plugins", "schema"]


def _report_problems(reg: Registry) -> None:
    """Id conflicts and failed plugins on stderr, one line each."""
    from .._discovery import get_manager

    for conflict in reg.conflicts:
        click.echo(f"warning: {conflict}", err=True)
    for info in sorted(get_manager().info.values(), key=lambda i: i.name):
        if info.errors:
            click.echo(
                f"warning: plugin {info.name!r} failed ({' '.join(info.errors[0].split())}); "
                "`dnallm-zoo plugins --traceback` shows more",
                err=True,
            )


@click.command("list")
@click.argument("pattern", default="*")
@click.option("--family", help="Only this family (e.g. dnabert).")
@click.option("--task", type=click.Choice(get_args(Task)), help="Only models for this task.")
@click.option("--license", "license_", metavar="SPDX", help="Only this license (wildcards allowed).")
@click.option("--device", type=click.Choice(get_args(Device)), help="Only models that run there.")
@click.option("--json", "as_json", is_flag=True,
              help='{"schema_version": 1, "models": [spec, ...]} (dnallm_zoo/schemas/list.schema.json).')
def list_cmd(
    pattern: str, family: str | None, task: str | None, license_: str | None, device: str | None,
    as_json: bool,
) -> None:
    """The installed models whose id or alias matches PATTERN (wildcards; plain text matches within)."""
    from .._registry import get_registry

    if not any(ch in pattern for ch in "*?["):
        pattern = f"*{pattern}*"
    reg = get_registry()
    specs = reg.list(pattern, family=family, task=task, license=license_, device=device)
    _report_problems(reg)
    if as_json:
        from ..schemas import list_document

        click.echo(json.dumps(list_document(specs), indent=2))
        return
    if not specs:
        click.echo("no installed model matches", err=True)
        return
    rows = [
        [s.id, s.family, s.task, s.license, str(s.capabilities.max_bases), s.plugin or ""]
        for s in specs
    ]
    header = ["id", "family", "task", "license", "max bases", "plugin"]
    click.echo(table(header, rows, drop_order=(5, 3, 1, 4), right=frozenset({4})))


def _entry(name: str) -> tuple[Entry, str]:
    """A registered model by name, or the one a checkpoint directory belongs to; with its weights."""
    p = Path(name)
    if p.is_dir():
        from .._loading import match_directory

        return match_directory(p), f"local directory {p}"
    from .._registry import get_registry

    entry = get_registry().resolve(name)
    return entry, entry.spec.weights.describe()


@click.command()
@click.argument("model")
@click.option("--json", "as_json", is_flag=True,
              help='{"spec": ..., "weights_from": ..., "qualified_name": "plugin:id"}')
def info(model: str, as_json: bool) -> None:
    """Everything known of MODEL (id, alias, hub id, 'plugin:id' or a checkpoint directory)."""
    from .._discovery import get_manager

    entry, weights = _entry(model)
    spec = entry.spec
    if as_json:
        out = {"spec": spec.model_dump(mode="json"), "weights_from": weights,
               "qualified_name": entry.qualified}
        click.echo(json.dumps(out, indent=2))
        return
    pinfo = get_manager().info.get(spec.plugin or "")
    plugin_line = spec.plugin or "?"
    if pinfo is not None and pinfo.distribution:
        plugin_line += f" ({pinfo.distribution} {pinfo.version or ''})".replace(" )", ")")
    click.echo(describe_spec(spec, weights, plugin_line))


@click.command()
@click.option("--json", "as_json", is_flag=True, help="A JSON list, one object per plugin.")
@click.option("--traceback", "show_traceback", is_flag=True, help="Show the tracebacks of failures.")
def plugins(as_json: bool, show_traceback: bool) -> None:
    """The plugins found, where they come from, their models and their failures."""
    from .._discovery import get_manager
    from .._registry import get_registry

    get_registry()  # asks every plugin for its models: fills `models` and records hook failures
    infos = sorted(get_manager().info.values(), key=lambda i: i.name)
    for i in infos:  # the core registers itself without a version
        if i.distribution == "dnallm-zoo" and i.version is None:
            i.version = __version__
    if as_json:
        out = []
        for i in infos:
            item: dict[str, Any] = {
                "name": i.name, "distribution": i.distribution, "version": i.version,
                "module": i.module, "models": i.models, "blocked": i.blocked, "ok": i.ok,
                "errors": i.errors,
            }
            if show_traceback:
                item["tracebacks"] = i.tracebacks
            out.append(item)
        click.echo(json.dumps(out, indent=2))
        return
    rows = []
    for i in infos:
        origin = " ".join(x for x in (i.distribution, i.version) if x) or "-"
        if i.blocked:
            state = "blocked (DNALLM_ZOO_BLOCK_PLUGINS)"
        elif i.errors:
            state = f"FAILED ({len(i.errors)} error{'s' * (len(i.errors) > 1)})"
        else:
            shown = ", ".join(i.models[:6]) + (", …" if len(i.models) > 6 else "")
            state = f"{len(i.models)} model{'s' * (len(i.models) != 1)}" + (f": {shown}" if shown else "")
        rows.append((i, [i.name, origin, state]))
    name_w = max(len("plugin"), *(len(r[0]) for _, r in rows))
    origin_w = max(len("distribution"), *(len(r[1]) for _, r in rows))
    click.echo(f"{'plugin'.ljust(name_w)}  {'distribution'.ljust(origin_w)}  state")
    for i, (name, origin, state) in rows:
        click.echo(f"{name.ljust(name_w)}  {origin.ljust(origin_w)}  {state}")
        for err in i.errors:
            click.echo(f"    error: {' '.join(err.split())}")
        if show_traceback:
            for tb in i.tracebacks:
                click.echo("\n".join("      " + line for line in tb.rstrip().splitlines()))


@click.command()
def schema() -> None:
    """The JSON Schema of a model spec (what `register(spec, ...)` accepts)."""
    click.echo(json.dumps(ModelSpec.model_json_schema(), indent=2))
