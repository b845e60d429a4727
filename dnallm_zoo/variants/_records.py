"""Variants from a VCF (pysam) or a table (pyarrow), one per alternative allele, every bad one named."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._inputs import table_kind
from .._validation import Problem
from ..errors import InputError, one_line

__all__ = ["Variant", "as_variants", "check_alleles", "read_variants"]

_ALLELE = re.compile(r"^[ACGTN]+$")
COLUMNS = ("chrom", "pos", "ref", "alt")


@dataclass(frozen=True)
class Variant:
    """One alternative allele at a 1-based position, and where it was read.

    `line` is the line (VCF) or row (table) it was read from, for messages; `n` its 1-based number
    among the input's alleles in input order (a multi-allelic line gives consecutive numbers): what
    names it once in a run's output. `tile`: where the wild-type marginal's window grid starts
    (mutagenesis: its region's start; None: the window is centred on the variant).
    """

    chrom: str
    pos: int
    ref: str
    alt: str
    id: str | None = None
    source: str = "<variants>"
    unit: str = "row"
    line: int = 0
    n: int = 0
    tile: int | None = None

    @property
    def is_snv(self) -> bool:
        return len(self.ref) == 1 and len(self.alt) == 1

    @property
    def length(self) -> int:
        """Bases of the reference allele."""
        return len(self.ref)

    def problem(self, kind: str, what: str) -> Problem:
        """A `Problem` naming this variant (id, chrom, pos) and where it was read."""
        return Problem(self.source, self.unit, self.line, self.id, kind, f"{self.chrom}:{self.pos} {what}")


def check_alleles(v: Variant) -> Problem | None:
    """REF and ALT must be A, C, G, T or N (upper case) letters."""
    bad = [f"{name} {a!r}" for name, a in (("REF", v.ref), ("ALT", v.alt)) if not _ALLELE.match(a)]
    if bad:
        return v.problem("invalid-allele", f"{' and '.join(bad)}: alleles must be A, C, G, T or N")
    if v.ref == v.alt:
        return v.problem("invalid-allele", f"ALT {v.alt!r} equals REF")
    return None


def as_variants(items: Iterable[Any]) -> Iterator[Variant]:
    """`Variant`s, tuples (chrom, pos, ref, alt[, id]) or mappings with those keys, as `Variant`s."""
    for n, item in enumerate(items, 1):
        if isinstance(item, Variant):
            yield item
        elif isinstance(item, dict):
            yield Variant(str(item["chrom"]), int(item["pos"]), str(item["ref"]).upper(),
                          str(item["alt"]).upper(), item.get("id"), line=n, n=n)
        else:
            chrom, pos, ref, alt, *rest = item
            yield Variant(str(chrom), int(pos), str(ref).upper(), str(alt).upper(),
                          rest[0] if rest else None, line=n, n=n)


def read_variants(path: str | Path) -> tuple[list[Variant], list[Problem]]:
    """Every alternative allele of a VCF (plain or bgzipped) or a CSV/TSV/Parquet table, in input
    order and numbered so (`Variant.n`, bad alleles included), and the problems found (malformed
    lines, missing columns, bad alleles), all of them."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{path}: no such file")
    kind = table_kind(p)
    if kind is None:
        return _vcf(p, str(path))
    return _table(p, kind, str(path))


def _split(source: str, unit: str, line: int, chrom: str, pos: int, rid: str | None, ref: str,
           alts: Sequence[str], out: list[Variant], problems: list[Problem], counter: list[int]) -> None:
    for alt in alts:
        counter[0] += 1
        v = Variant(chrom, pos, ref.upper(), alt.upper(), rid, source, unit, line, counter[0])
        problem = check_alleles(v)
        if problem is None:
            out.append(v)
        else:
            problems.append(problem)


def _text_lines(p: Path) -> Iterator[str]:
    """The file's lines as text (bgzip and gzip read as gzip)."""
    import gzip

    with open(p, "rb") as fh:
        magic = fh.read(2)
    opener: Any = gzip.open if magic == b"\x1f\x8b" else open
    with opener(p, "rt", encoding="utf-8", errors="replace") as fh:
        yield from fh


def _header_lines(p: Path) -> int:
    n = 0
    for text in _text_lines(p):
        if not text.startswith("#"):
            break
        n += 1
    return n


def _raw_line(p: Path, number: int) -> str:
    for i, text in enumerate(_text_lines(p), 1):
        if i == number:
            return text.rstrip("\n")
    return ""


def _vcf(p: Path, name: str) -> tuple[list[Variant], list[Problem]]:
    import pysam

    out: list[Variant] = []
    problems: list[Problem] = []
    counter = [0]
    line = _header_lines(p)
    before = pysam.set_verbosity(0)  # htslib's own stderr lines: each problem is reported here
    try:
        try:
            vf = pysam.VariantFile(name)
        except (OSError, ValueError) as exc:
            raise InputError(f"{name}: cannot read as VCF: {one_line(exc)}") from None
        with vf:
            records = iter(vf)
            while True:
                line += 1
                try:
                    rec = next(records)
                except StopIteration:
                    break
                except (OSError, ValueError):
                    raw = _raw_line(p, line)
                    shown = raw if len(raw) <= 80 else raw[:77] + "..."
                    problems.append(Problem(name, "line", line, None, "malformed",
                                            f"malformed VCF line {shown!r}"))
                    continue
                rid = rec.id if rec.id not in (None, ".") else None
                alts = rec.alts or ()
                if not alts:
                    problems.append(Problem(name, "line", line, rid, "invalid-allele",
                                            f"{rec.chrom}:{rec.pos} no ALT allele"))
                    continue
                _split(name, "line", line, rec.chrom, rec.pos, rid, rec.ref or "", alts, out, problems,
                       counter)
    finally:
        pysam.set_verbosity(before)
    return out, problems


def _table(p: Path, kind: str, name: str) -> tuple[list[Variant], list[Problem]]:
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        if kind == "parquet":
            import pyarrow.parquet as pq

            table = pq.read_table(name)
        else:
            import pyarrow.csv as pcsv

            table = pcsv.read_csv(
                name, parse_options=pcsv.ParseOptions(delimiter="\t" if kind == "tsv" else ","),
                convert_options=pcsv.ConvertOptions(
                    column_types={c: pa.string() for c in ("chrom", "ref", "alt", "id", "pos")},
                    strings_can_be_null=True),
            )
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"{name}: cannot read as {kind.upper()}: {one_line(exc)}") from None
    missing = [c for c in COLUMNS if c not in table.column_names]
    if missing:
        return [], [Problem(name, "file", 0, None, "missing-column",
                            f"no column {', '.join(map(repr, missing))} (it has {table.column_names}); "
                            f"a variant table needs {', '.join(COLUMNS)} and may have id")]
    cols = {c: pc.cast(table[c], pa.string()).to_pylist() for c in (*COLUMNS, "id")
            if c in table.column_names}
    out: list[Variant] = []
    problems: list[Problem] = []
    counter = [0]
    for i in range(table.num_rows):
        n = i + 1
        rid = cols["id"][i] if "id" in cols else None
        chrom, pos_text, ref, alt = (cols[c][i] for c in COLUMNS)
        empty = [c for c, v in zip(COLUMNS, (chrom, pos_text, ref, alt), strict=True) if not v]
        if empty:
            problems.append(Problem(name, "row", n, rid, "missing-value", f"empty {', '.join(empty)}"))
            continue
        try:
            pos = int(str(pos_text))
        except ValueError:
            pos = 0
        if pos < 1:
            problems.append(Problem(name, "row", n, rid, "bad-position",
                                    f"{chrom}: pos {pos_text!r} is not a 1-based position"))
            continue
        _split(name, "row", n, str(chrom), pos, rid or None, str(ref), str(alt).split(","), out, problems,
               counter)
    return out, problems
