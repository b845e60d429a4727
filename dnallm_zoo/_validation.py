"""Bad records named before any model work: every bad record of a run's inputs, in one report.

A record is bad when it has no id, repeats an id seen before (in any input of the run), has no
bases, holds a character the normalisation policy refuses (`dnallm_zoo.tokenize.normalize`, the
rule the tokenizer applies), or is shorter than one token of a k-mer tokenizer. Files are checked
in a first pass (reading is cheap next to a forward pass) and read again for the model; standard
input cannot be read twice, so it is checked as it streams.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from ._inputs import RawRecord, SeqRecord, Source, read_rows
from ._names import KMER_KINDS
from ._spec import ModelSpec, NormalizationPolicy
from ._writers import AtomicPath
from .errors import EmptySequenceError, InputError, InvalidSequenceError, one_line
from .tokenize.normalize import normalize

__all__ = ["BadRecordsError", "Problem", "Screening", "Validator", "min_bases", "write_skipped"]

#: called with (records, bases) as records are checked
Progress = Callable[[int, int], None]
SHOWN = 50


@dataclass(frozen=True)
class Problem:
    """What is wrong with one record, and where it is."""

    source: str
    unit: str  # "record" (FASTA/FASTQ) or "row" (tables), numbered from 1
    n: int
    id: str | None
    kind: str  # no-id, duplicate, empty, invalid, too-short
    what: str

    def __str__(self) -> str:
        rid = f" ({self.id!r})" if self.id is not None else ""
        return f"{self.source} {self.unit} {self.n}{rid}: {self.what}"


class BadRecordsError(InputError):
    """Bad records in the input, every one of them (the message shows the first `SHOWN`)."""

    def __init__(self, problems: Sequence[Problem], *, hint: str = "") -> None:
        self.problems = list(problems)
        n = len(self.problems)
        lines = [f"  {p}" for p in self.problems[:SHOWN]]
        if n > SHOWN:
            lines.append(f"  and {n - SHOWN} more")
        head = f"{n} bad record{'s' * (n != 1)} in the input{hint}:"
        super().__init__(f"{head} {self.problems[0]}" if n == 1 else "\n".join([head, *lines]))


def min_bases(spec: ModelSpec) -> int:
    """The fewest bases that give a token: k for k-mer tokenizers, else 1."""
    tok = spec.tokenizer
    return tok.k if tok.kind in KMER_KINDS and tok.k else 1


class Validator:
    """Checks records one at a time under a normalisation policy; remembers ids to find repeats."""

    def __init__(self, policy: NormalizationPolicy | None, *, min_bases: int = 1) -> None:
        self.policy = policy  # None: characters are not checked
        self.min_bases = min_bases
        self._first: dict[str, tuple[str, str, int]] = {}

    def check_raw(self, source: Source, raw: RawRecord) -> Problem | None:
        """`check` of a record as read (a row the reader could not split is bad as it is)."""
        if raw.problem is not None:
            return Problem(source.name, source.unit, raw.n, raw.id, "ragged", raw.problem)
        return self.check(source, raw.n, raw.id, raw.sequence)

    def check(self, source: Source, n: int, rid: str | None, seq: str | None) -> Problem | None:
        """The problems of one record (all of them, in one `Problem`), or None when it is good."""
        found: list[tuple[str, str]] = []
        if rid is None:
            found.append(("no-id", "no id (its header line is empty)" if source.kind == "reads"
                          else "no id (its id cell is empty)"))
        else:
            first = self._first.get(rid)
            if first is None:
                self._first[rid] = (source.name, source.unit, n)
            else:
                at = (f"{first[1]} {first[2]}" if first[0] == source.name
                      else f"{first[0]} {first[1]} {first[2]}")
                found.append(("duplicate", f"duplicate id, first seen at {at}"))
        if not seq:
            found.append(("empty", "empty sequence"))
        elif self.policy is not None:
            try:
                norm = normalize(seq, self.policy, record=rid)
            except InvalidSequenceError as exc:
                found.append(("invalid", f"invalid character {exc.char!r} at position {exc.position + 1}"
                              + _detail(exc)))
            except EmptySequenceError:
                found.append(("empty", "empty sequence"))
            else:
                if len(norm) < self.min_bases:
                    found.append(("too-short", f"{len(norm)} bases give no tokens (a token takes "
                                  f"{self.min_bases})"))
        if not found:
            return None
        return Problem(source.name, source.unit, n, rid, found[0][0], "; ".join(w for _, w in found))


def _detail(exc: InvalidSequenceError) -> str:
    text = str(exc)
    return f" ({text.split(': ', 1)[1]})" if ": " in text else ""


class Screening:
    """A run's records, checked: files before any model work, standard input as it streams.

    `check_files` reads every file input once and, unless `skip_invalid`, raises `BadRecordsError`
    naming all bad records; `records` then streams the good ones, input by input, as `SeqRecord`s
    (their extra fields: the `extra_columns` asked for). `expected_ids` are the good ids seen (files,
    then streamed input) and `problems` every bad record found.
    """

    def __init__(self, sources: Sequence[Source], validator: Validator, *, skip_invalid: bool = False,
                 id_column: str = "id", sequence_column: str = "sequence",
                 extra_columns: tuple[str, ...] = ()) -> None:
        self.sources = list(sources)
        self.validator = validator
        self.skip_invalid = skip_invalid
        self.id_column = id_column
        self.sequence_column = sequence_column
        self.extra_columns = extra_columns
        self.problems: list[Problem] = []
        self.expected_ids: list[str] = []
        self._bad: dict[int, set[int]] = {}
        self._checked = False

    @property
    def hint(self) -> str:
        return "; nothing was written (--skip-invalid embeds the others)"

    def check_files(self, progress: Progress | None = None) -> None:
        for source in self.sources:
            if source.path is None:
                continue
            bad = self._bad.setdefault(source.index, set())
            for raw in self._read(source, extra=False):
                problem = self.validator.check_raw(source, raw)
                if problem is None:
                    assert raw.id is not None
                    self.expected_ids.append(raw.id)
                else:
                    self.problems.append(problem)
                    bad.add(raw.n)
                if progress is not None:
                    progress(1, len(raw.sequence or ""))
        self._checked = True
        if self.problems and not self.skip_invalid:
            raise BadRecordsError(self.problems, hint=self.hint)

    def _read(self, source: Source, *, extra: bool = True) -> Iterator[RawRecord]:
        return read_rows(source, id_column=self.id_column, sequence_column=self.sequence_column,
                         extra_columns=self.extra_columns if extra else ())

    def records(self, skip_ids: Iterable[str] = ()) -> Iterator[SeqRecord]:
        """The good records not in `skip_ids`, in input order."""
        if not self._checked:
            raise RuntimeError("check_files() first")
        skip = skip_ids if isinstance(skip_ids, (set, frozenset)) else set(skip_ids)
        for source in self.sources:
            if source.path is None:
                yield from self._streamed(source, skip)
                continue
            bad = self._bad.get(source.index, set())
            for raw in self._read(source):
                if raw.n in bad or raw.id in skip:
                    continue
                yield _good(source, raw)

    def _streamed(self, source: Source, skip: set[str] | frozenset[str]) -> Iterator[SeqRecord]:
        """Check as it streams; without `skip_invalid` the first bad record ends the model's input,
        the rest is read to name every bad record, then `BadRecordsError`."""
        failed = False
        for raw in self._read(source):
            problem = self.validator.check_raw(source, raw)
            if problem is not None:
                self.problems.append(problem)
                failed = not self.skip_invalid
                continue
            good = _good(source, raw)
            self.expected_ids.append(raw.id or "")
            if not failed and good.id not in skip:
                yield good
        if failed:
            raise BadRecordsError(self.problems, hint=" (standard input is checked as it streams)")


def _good(source: Source, raw: RawRecord) -> SeqRecord:
    """A record the validator passed, as the pipeline takes it."""
    assert raw.id is not None and raw.sequence is not None
    return SeqRecord(raw.id, raw.sequence, source.name, raw.n, raw.extra)


def skipped_path(output: str | Path) -> Path:
    """Where the skipped records of a run writing `output` are listed."""
    p = Path(output)
    if str(output).endswith("/") or p.is_dir():
        return p / "_skipped.tsv"
    return p.with_name(p.name + ".skipped.tsv")


def write_skipped(path: Path, problems: Sequence[Problem]) -> None:
    """The skipped records as TSV (source, unit, n, id, kind, problem), written atomically."""

    def cell(text: object) -> str:
        return " ".join(str(text).split())

    lines = ["source\tunit\tn\tid\tkind\tproblem"]
    lines += ["\t".join(cell(x) for x in (p.source, p.unit, p.n, p.id or "", p.kind, p.what))
              for p in problems]
    out = AtomicPath(path)
    try:
        out.tmp.write_text("\n".join(lines) + "\n")
        out.commit()
    except OSError as exc:
        out.discard()
        raise InputError(f"{path}: cannot write: {one_line(exc)}") from exc
    except BaseException:
        out.discard()
        raise
