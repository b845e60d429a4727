"""The `dnallm-zoo` command line: list, info, plugins, schema, embed, predict, check.

Listing commands (`list`, `info`, `plugins`, `schema`) import neither torch nor transformers.
Every `ZooError` becomes a one-line message and exit status 1; usage errors exit with 2.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any, get_args

import click

from .. import __version__
from .._batching import DEFAULT_TOKEN_BUDGET
from .._spec import Device, ModelSpec, Task
from ..errors import InputError, UnknownModelError, ZooError

if TYPE_CHECKING:
    from .._encoder import DNAEncoder
    from .._registry import Entry, Registry
    from .._writers import EmbeddingWriter

__all__ = ["cli", "main"]


# ----------------------------------------------------------------------------------------- group
def _message(exc: ZooError) -> str:
    """One line for the terminal; an unknown model also names plugins that failed to load."""
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


# ----------------------------------------------------------------------------------------- listing
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


def _fit(widths: list[int], limit: int, *, floor: int = 10) -> list[int]:
    """Shrink the widest columns but the first (none below `floor`) until the row fits `limit`."""
    w = list(widths)
    gaps = 2 * (len(w) - 1)
    while sum(w) + gaps > limit:
        shrinkable = [j for j in range(1, len(w)) if w[j] > floor]
        if not shrinkable:
            break
        w[max(shrinkable, key=lambda j: w[j])] -= 1
    return w


def _table(
    header: Sequence[str], rows: Sequence[Sequence[str]], *, drop_order: Sequence[int] = (),
    right: frozenset[int] = frozenset(),
) -> str:
    """Aligned columns fitted to the terminal width (COLUMNS, else 80 when not a terminal).

    The first column is never cut; others are cut with an ellipsis down to a readable width, then
    dropped in `drop_order` while the table is still too wide.
    """
    limit = shutil.get_terminal_size().columns
    keep = list(range(len(header)))
    full = [max(len(header[j]), *(len(r[j]) for r in rows)) for j in keep]
    drops = list(drop_order)
    widths = _fit([full[j] for j in keep], limit)
    while sum(widths) + 2 * (len(widths) - 1) > limit and drops:
        keep.remove(drops.pop(0))
        widths = _fit([full[j] for j in keep], limit)
    dots = "…" if (sys.stdout.encoding or "").lower().replace("-", "").startswith("utf") else "~"

    def line(row: Sequence[str]) -> str:
        cells = []
        for width, j in zip(widths, keep, strict=True):
            text = row[j] if len(row[j]) <= width else row[j][: width - 1] + dots
            cells.append(text.rjust(width) if j in right else text.ljust(width))
        return "  ".join(cells).rstrip()

    return "\n".join(line(row) for row in (header, *rows))


@cli.command("list")
@click.argument("pattern", default="*")
@click.option("--family", help="Only this family (e.g. dnabert).")
@click.option("--task", type=click.Choice(get_args(Task)), help="Only models for this task.")
@click.option("--license", "license_", metavar="SPDX", help="Only this license (wildcards allowed).")
@click.option("--device", type=click.Choice(get_args(Device)), help="Only models that run there.")
@click.option("--json", "as_json", is_flag=True, help="A JSON list of model specs.")
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
        click.echo(json.dumps([s.model_dump(mode="json") for s in specs], indent=2))
        return
    if not specs:
        click.echo("no installed model matches", err=True)
        return
    rows = [
        [s.id, s.family, s.task, s.license, str(s.capabilities.max_bases), s.plugin or ""]
        for s in specs
    ]
    header = ["id", "family", "task", "license", "max bases", "plugin"]
    click.echo(_table(header, rows, drop_order=(5, 3, 1, 4), right=frozenset({4})))


def _entry(name: str) -> tuple[Entry, str]:
    """A registered model by name, or the one a checkpoint directory belongs to; with its weights."""
    p = Path(name)
    if p.is_dir():
        from .._loading import match_directory

        return match_directory(p), f"local directory {p}"
    from .._registry import get_registry

    entry = get_registry().resolve(name)
    return entry, entry.spec.weights.describe()


def _describe(spec: ModelSpec, weights: str, plugin_line: str) -> str:
    cap, tok, arch = spec.capabilities, spec.tokenizer, spec.architecture
    norm = tok.normalization
    tok_text = tok.kind + (f", k={tok.k}" if tok.k else "") + (
        f", stride {tok.stride}" if tok.kind in ("kmer", "lca") else "") + f", max {tok.max_tokens} tokens"
    tok_text += "; input " + ", ".join([
        "upper-cased" if norm.uppercase else "case kept",
        *(["U read as T"] if norm.u_to_t else []),
        "IUPAC codes read as N" if norm.iupac == "unk" else "IUPAC codes refused",
    ])
    arch_text = f"{arch.kind}: hidden {arch.hidden_size}, {arch.num_layers} layers, {arch.num_heads} heads"
    if arch.intermediate_size:
        arch_text += f", intermediate {arch.intermediate_size}"
    if arch.vocab_size:
        arch_text += f", vocab {arch.vocab_size}"
    if arch.parameters:
        arch_text += f", {arch.parameters:,} parameters"
    devices = "; ".join(f"{d} ({', '.join(cap.dtypes.get(d, ()))})" for d in cap.devices)
    long_text = f"{tok.max_tokens} tokens / {cap.max_bases} bases a forward pass; longer input is "
    long_text += f"chunked with {cap.chunk_overlap} bases overlap"
    if cap.any_length:
        long_text += " (or run whole: the network takes any length)"
    fields: list[tuple[str, str]] = [
        ("plugin", plugin_line),
        ("family", spec.family),
        ("aliases", ", ".join(spec.aliases) or "-"),
        ("task", spec.task),
    ]
    if spec.labels:
        fields.append(("labels", f"{', '.join(spec.labels)} ({spec.problem_type})"))
    fields += [
        ("license", spec.license),
        ("weights", weights),
        ("tokenizer", tok_text),
        ("architecture", arch_text),
        ("devices", f"{devices}; default dtype {cap.default_dtype}"),
        ("input", long_text),
        ("poolings", ", ".join(cap.poolings)),
        ("embedding", f"{arch.hidden_size} values, {arch.num_layers} layers"),
    ]
    if spec.paper_url:
        fields.append(("paper", spec.paper_url))
    if spec.origin_url:
        fields.append(("origin", spec.origin_url))
    width = max(len(k) for k, _ in fields)
    lines = [f"{spec.id}: {spec.description}"]
    lines += [f"  {k.ljust(width)}  {v}" for k, v in fields]
    lines.append("citation:")
    lines += ["  " + line for line in spec.citation.strip().splitlines()]
    return "\n".join(lines)


@cli.command()
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
    click.echo(_describe(spec, weights, plugin_line))


@cli.command()
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


@cli.command()
def schema() -> None:
    """The JSON Schema of a model spec (what `register(spec, ...)` accepts)."""
    click.echo(json.dumps(ModelSpec.model_json_schema(), indent=2))


# ----------------------------------------------------------------------------------------- running
_DEVICE = re.compile(r"auto|cpu|mps|cuda(:\d+)?")
_DTYPES = ("auto", "float32", "float16", "bfloat16", "fp32", "fp16", "bf16")


def _check_device(ctx: click.Context, param: click.Parameter, value: str) -> str:
    if not _DEVICE.fullmatch(value):
        raise click.BadParameter(f"{value!r}: use auto, cpu, cuda, cuda:N or mps")
    return value


def _model_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The options every command that runs a model shares."""
    opts = [
        click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path)),
        click.option("--model", "-m", required=True, metavar="NAME|DIR",
                     help="A model id, alias, hub id, 'plugin:id' or a checkpoint directory."),
        click.option("--output", "-o", required=True, type=click.Path(path_type=Path),
                     help="Output file: .parquet, .npy, .npz or .safetensors."),
        click.option("--device", default="auto", show_default=True, callback=_check_device,
                     help="auto, cpu, cuda, cuda:N or mps."),
        click.option("--dtype", default="auto", show_default=True,
                     type=click.Choice(_DTYPES, case_sensitive=False)),
        click.option("--token-budget", type=click.IntRange(min=1), default=DEFAULT_TOKEN_BUDGET,
                     show_default=True, help="Most tokens (padding included) in one forward pass."),
        click.option("--iupac", type=click.Choice(["unk", "error"]), default=None,
                     help="Ambiguity codes (R, Y, ...): read as N, or refuse. Default: the model's."),
        click.option("--no-uppercase", is_flag=True,
                     help="Do not upper-case input (as the originals; lower case becomes unknown)."),
        click.option("--no-u-to-t", is_flag=True,
                     help="Do not read U as T (with --no-uppercase: exactly the originals' input)."),
    ]
    for opt in reversed(opts):
        fn = opt(fn)
    return fn


def _load(
    model: str, device: str, dtype: str, iupac: str | None, no_uppercase: bool, no_u_to_t: bool
) -> DNAEncoder:
    from .._loading import load

    norm: dict[str, Any] = {}
    if iupac is not None:
        norm["iupac"] = iupac
    if no_uppercase:
        norm["uppercase"] = False
    if no_u_to_t:
        norm["u_to_t"] = False
    return load(model, device=device, dtype=dtype.lower(), normalization=norm or None)


def _human(x: float) -> str:
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if x >= scale:
            return f"{x / scale:.2f} {unit}"
    return f"{x:.0f} "


class _Progress:
    """Counts sequences and bases; a tqdm bar on stderr only when stderr is a terminal."""

    def __init__(self, desc: str) -> None:
        from tqdm import tqdm

        self.seqs = 0
        self.bases = 0
        self.start = time.perf_counter()
        self._shown = self.start
        self.bar = tqdm(desc=desc, unit=" seq", file=sys.stderr, dynamic_ncols=True, leave=False,
                        disable=not sys.stderr.isatty())

    def __call__(self, n_seqs: int, n_bases: int) -> None:
        self.seqs += n_seqs
        self.bases += n_bases
        self.bar.update(n_seqs)
        now = time.perf_counter()
        if now - self._shown >= 0.5:
            self._shown = now
            self.bar.set_postfix_str(f"{_human(self.bases / (now - self.start))}bases/s", refresh=False)

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.start

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.bar.close()

    def summary(self, verb: str, output: Path, extra: str = "") -> str:
        secs = self.seconds
        rate = self.bases / secs if secs > 0 else 0.0
        return (f"{verb} {self.seqs:,} sequence{'s' * (self.seqs != 1)}, {self.bases:,} bases{extra} "
                f"in {secs:.1f} s ({_human(rate)}bases/s) -> {output}")


def _tracked(records: Iterable[tuple[str, str]], pending: deque[tuple[str, int]]
             ) -> Iterator[tuple[str, str]]:
    """Pass records on, remembering (id, length) of those not yet written."""
    for rid, seq in records:
        pending.append((rid, len(seq)))
        yield rid, seq


@cli.command()
@_model_options
@click.option("--pooling", type=click.Choice(["mean", "cls", "max"]), default="mean", show_default=True)
@click.option("--layer", type=int, default=-1, show_default=True,
              help="Hidden state to pool: -1 the last layer, 0 the embeddings, i layer i.")
@click.option("--long", "long_", type=click.Choice(["chunk", "error"]), default="chunk",
              show_default=True, help="Sequences longer than the model takes: embed in chunks, or refuse.")
@click.option("--overlap", type=click.IntRange(min=0), default=None,
              help="Bases shared by neighbouring chunks/segments. Default: the model's (0 for segments).")
@click.option("--segment-output", is_flag=True,
              help="One row per window (id, start, end, embedding) instead of one per sequence.")
@click.option("--segment-size", type=click.IntRange(min=1), default=None,
              help="Bases per window with --segment-output. Default: the most the model takes.")
def embed(
    input_path: Path, model: str, output: Path, device: str, dtype: str, token_budget: int,
    iupac: str | None, no_uppercase: bool, no_u_to_t: bool, pooling: str, layer: int, long_: str,
    overlap: int | None, segment_output: bool, segment_size: int | None,
) -> None:
    """Embed every sequence of a FASTA(.gz) file INPUT ('-': stdin) into OUTPUT (format by suffix).

    Rows are `id` (the header's first word), `length` and `embedding`; with --segment-output
    `id`, `start`, `end` (0-based, half-open) and `embedding`. See `dnallm_zoo._writers` for the formats.
    """
    from .. import _writers as io
    from .._fasta import read_fasta

    if segment_size is not None and not segment_output:
        raise click.UsageError("--segment-size needs --segment-output")
    io.check_output(output)
    records = read_fasta(input_path)
    encoder = _load(model, device, dtype, iupac, no_uppercase, no_u_to_t)
    window = segment_size or encoder.max_bases
    if overlap is not None and overlap >= window:
        raise InputError(f"--overlap {overlap} must be smaller than the window of {window} bases")
    meta = {"model": encoder.spec.id, "pooling": pooling, "layer": str(layer)}
    pending: deque[tuple[str, int]] = deque()
    with _Progress("embedding") as progress:
        if segment_output:
            meta.update(segment_size=str(window), overlap=str(overlap or 0))
            layout = io.RowLayout.segments(encoder.hidden_size)
            with io.open_writer(output, layout=layout, metadata=meta) as writer:
                segments = _write_segments(writer, encoder, _tracked(records, pending), pending,
                                           progress, window=window, overlap=overlap or 0,
                                           pooling=pooling, layer=layer, token_budget=token_budget)
            extra = f" ({segments:,} segments)"
        else:
            layout = io.RowLayout.sequences(encoder.hidden_size)
            with io.open_writer(output, layout=layout, metadata=meta) as writer:
                for vec in encoder.embed_iter(
                    _tracked(records, pending), pooling=pooling, layer=layer,
                    token_budget=token_budget, long=long_,  # type: ignore[arg-type]
                    overlap=overlap, progress=progress,
                ):
                    rid, n = pending.popleft()
                    writer.write(rid, (n,), vec)
            extra = ""
    click.echo(progress.summary("embedded", output, extra), err=True)


def _write_segments(
    writer: EmbeddingWriter, encoder: DNAEncoder, records: Iterable[tuple[str, str]],
    pending: deque[tuple[str, int]], progress: _Progress, *, window: int, overlap: int,
    pooling: str, layer: int, token_budget: int,
) -> int:
    """Write one row per segment; a sequence counts as done once a later one's segments arrive."""
    done = 0
    rows = 0
    for seg in encoder.embed_segments(records, segment_bases=window, overlap=overlap,
                                      pooling=pooling, layer=layer, token_budget=token_budget):
        while done < seg.index:
            progress(1, pending.popleft()[1])
            done += 1
        writer.write(seg.record if seg.record is not None else str(seg.index),
                     (seg.start, seg.end), seg.vector)
        rows += 1
    while pending:
        progress(1, pending.popleft()[1])
    return rows


def _batches(records: Iterable[tuple[str, str]], *, max_seqs: int = 1024, max_bases: int = 4_000_000
             ) -> Iterator[list[tuple[str, str]]]:
    """Groups of records, bounded in count and bases."""
    batch: list[tuple[str, str]] = []
    bases = 0
    for rec in records:
        batch.append(rec)
        bases += len(rec[1])
        if len(batch) >= max_seqs or bases >= max_bases:
            yield batch
            batch, bases = [], 0
    if batch:
        yield batch


@cli.command()
@_model_options
@click.option("--long", "long_", type=click.Choice(["chunk", "error"]), default="error",
              show_default=True, help="Sequences longer than the model takes: average the chunks' "
              "logits, or refuse.")
def predict(
    input_path: Path, model: str, output: Path, device: str, dtype: str, token_budget: int,
    iupac: str | None, no_uppercase: bool, no_u_to_t: bool, long_: str,
) -> None:
    """Label probabilities of every sequence of INPUT ('-': stdin) by a classifier, into OUTPUT.

    Rows are `id`, `length` and `probabilities` (one float32 per label, in the order of the
    `labels` metadata entry, a JSON list; `values` instead of `probabilities` for regression).
    Parquet stores them as a fixed-size list column, .npz as a matrix, .npy as the matrix alone.
    """
    from .. import _writers as io
    from .._fasta import read_fasta

    io.check_output(output)
    records = read_fasta(input_path)
    encoder = _load(model, device, dtype, iupac, no_uppercase, no_u_to_t)
    spec = encoder.spec
    if spec.task != "sequence-classification" or not spec.labels:
        raise InputError(
            f"{spec.id} is a {spec.task} model; predict needs a sequence-classification model "
            "(`dnallm-zoo list --task sequence-classification`)"
        )
    vector = "values" if spec.problem_type == "regression" else "probabilities"
    layout = io.RowLayout.predictions(len(spec.labels), vector=vector)
    meta = {"model": spec.id, "labels": json.dumps(list(spec.labels)),
            "problem_type": str(spec.problem_type)}
    with _Progress("predicting") as progress, \
            io.open_writer(output, layout=layout, metadata=meta) as writer:
        for batch in _batches(records):
            scores = encoder.predict(batch, token_budget=token_budget, long=long_)  # type: ignore[arg-type]
            for (rid, seq), row in zip(batch, scores, strict=True):
                writer.write(rid, (len(seq),), row)
            progress(len(batch), sum(len(s) for _, s in batch))
    click.echo(progress.summary("scored", output), err=True)


@cli.command()
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
