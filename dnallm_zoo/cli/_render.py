"""Terminal rendering for the CLI: tables fitted to the terminal, a model spec described in words."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Sequence

from .._spec import ModelSpec

__all__ = ["describe_spec", "table"]


def fit_widths(widths: list[int], limit: int, *, floor: int = 10) -> list[int]:
    """Shrink the widest columns but the first (none below `floor`) until the row fits `limit`."""
    w = list(widths)
    gaps = 2 * (len(w) - 1)
    while sum(w) + gaps > limit:
        shrinkable = [j for j in range(1, len(w)) if w[j] > floor]
        if not shrinkable:
            break
        w[max(shrinkable, key=lambda j: w[j])] -= 1
    return w


def table(
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
    widths = fit_widths([full[j] for j in keep], limit)
    while sum(widths) + 2 * (len(widths) - 1) > limit and drops:
        keep.remove(drops.pop(0))
        widths = fit_widths([full[j] for j in keep], limit)
    dots = "…" if (sys.stdout.encoding or "").lower().replace("-", "").startswith("utf") else "~"

    def line(row: Sequence[str]) -> str:
        cells = []
        for width, j in zip(widths, keep, strict=True):
            text = row[j] if len(row[j]) <= width else row[j][: width - 1] + dots
            cells.append(text.rjust(width) if j in right else text.ljust(width))
        return "  ".join(cells).rstrip()

    return "\n".join(line(row) for row in (header, *rows))


# SPDX's two special values, which name no license: what they mean for someone about to use the weights
_LICENSE_NOTES = {
    "NONE": " (its authors declare no license: none grants you rights to the weights; ask them before use)",
    "NOASSERTION": " (the license was not determined: check the model's origin before use)",
}


def describe_spec(spec: ModelSpec, weights: str, plugin_line: str) -> str:
    """The `info` text of a spec: one field a line, then the citation."""
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
        ("license", spec.license + _LICENSE_NOTES.get(spec.license, "")),
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
