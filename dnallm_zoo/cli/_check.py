"""`dnallm-zoo check`: the conformance suite on one model."""

from __future__ import annotations

import json
from pathlib import Path

import click

__all__ = ["check"]


@click.command()
@click.argument("model")
@click.option("--weights", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Check this checkpoint directory instead of a tiny random one.")
@click.option("--json", "as_json", is_flag=True, help="A JSON list of check results.")
@click.pass_context
def check(ctx: click.Context, model: str, weights: Path | None, as_json: bool) -> None:
    """Run the conformance checks on MODEL; exit status 1 if any fails."""
    try:
        from ..testing import run_checks
    except ImportError as exc:
        raise click.ClickException(f"the conformance suite (dnallm_zoo.testing) is unavailable: {exc}"
                                   ) from None
    results = list(run_checks(model, weights=weights))
    failed = [r for r in results if not r.ok and not r.skipped]
    if as_json:
        click.echo(json.dumps([
            {"name": r.name, "ok": bool(r.ok), "skipped": bool(r.skipped), "detail": r.detail}
            for r in results
        ], indent=2))
    else:
        for r in results:
            status = "SKIP" if r.skipped else "ok" if r.ok else "FAIL"
            detail = " ".join(str(r.detail).split())
            click.echo(f"{status:<4}  {r.name}" + (f": {detail}" if detail else ""))
        skipped = sum(1 for r in results if r.skipped)
        click.echo(f"{len(results) - skipped - len(failed)} passed, {len(failed)} failed, "
                   f"{skipped} skipped", err=True)
    if failed:
        ctx.exit(1)
