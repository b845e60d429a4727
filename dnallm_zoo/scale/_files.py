"""A scale-out run's input files: local paths, globs and directories, or URIs of any pyarrow filesystem.

Local inputs are found by `_inputs.expand_inputs` (a directory first becomes its sequence files) and
read by `_inputs.read_rows`, exactly as a single-process run reads them; a URI (`s3://...`,
`gs://...`, `hdfs://...`, `file://...`) is listed and opened through `pyarrow.fs` and parsed by dnaio
(FASTA or FASTQ, compression detected from its bytes). Nothing here imports ray.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._inputs import (
    SEQUENCE_SUFFIXES,
    STDIN,
    RawRecord,
    Source,
    expand_inputs,
    is_sequence_file,
    parse_reads,
    read_rows,
)
from ..errors import InputError, one_line

if TYPE_CHECKING:
    import pyarrow.fs as pafs

__all__ = ["SEQUENCE_SUFFIXES", "InputFile", "expand", "is_uri"]



def is_uri(name: str) -> bool:
    """Whether an input names a filesystem URI (scheme://...) rather than a local path."""
    head, sep, _ = name.partition("://")
    return bool(sep) and head.isascii() and head.replace("+", "").isalnum()


@dataclass(frozen=True)
class InputFile:
    """One input of a scale-out run: a local source, or a file of a pyarrow filesystem."""

    source: Source  # index, name (as the manifest records it) and kind
    size: int | None  # bytes on disk, when known
    filesystem: pafs.FileSystem | None = None  # None: a local path
    path: str | None = None  # the path within `filesystem`

    @property
    def name(self) -> str:
        return self.source.name

    def rows(self, *, id_column: str = "id", sequence_column: str = "sequence") -> Iterator[RawRecord]:
        """Stream the raw rows `(ordinal from 1, id or None, sequence or None)`."""
        if self.filesystem is None:
            return read_rows(self.source, id_column=id_column, sequence_column=sequence_column)
        return _remote_reads(self)


def _local(specs: Sequence[str]) -> list[str]:
    """Local specs with each directory replaced by its sequence files (sorted, recursively)."""
    out: list[str] = []
    for spec in specs:
        if spec == "-":
            raise InputError("'-' (standard input) cannot be read by Ray workers; name files")
        p = Path(spec)
        if p.is_dir():
            files = sorted(str(f) for f in p.rglob("*") if f.is_file() and is_sequence_file(f.name))
            if not files:
                raise InputError(f"{p}: directory holds no FASTA/FASTQ file ({', '.join(SEQUENCE_SUFFIXES)}, "
                                 "possibly compressed)")
            out.extend(files)
        else:
            out.append(spec)
    return out


def _remote(spec: str, filesystem: pafs.FileSystem | None) -> list[tuple[str, pafs.FileSystem, str, int]]:
    """(name, filesystem, path, size) of each file a URI names: a file, a directory or a glob."""
    import pyarrow.fs as pafs

    try:
        if filesystem is None:
            fs, path = pafs.FileSystem.from_uri(spec)
        else:
            fs, path = filesystem, spec.partition("://")[2] if is_uri(spec) else spec
        scheme = spec.partition("://")[0] if is_uri(spec) else None
        glob = any(ch in path for ch in "*?[")
        base = path
        if glob:
            head = path.split("/")
            k = next(i for i, part in enumerate(head) if any(ch in part for ch in "*?["))
            base = "/".join(head[:k]) or "/"
        info = fs.get_file_info(base)
        if info.type == pafs.FileType.NotFound:
            raise InputError(f"{spec}: no such file")
        if info.type == pafs.FileType.File and not glob:
            return [(spec, fs, path, info.size)]
        selected = fs.get_file_info(pafs.FileSelector(base, recursive=True))
    except InputError:
        raise
    except (OSError, ValueError, TypeError) as exc:  # pyarrow's filesystem errors
        raise InputError(f"{spec}: cannot list: {one_line(exc)}") from None
    files = sorted((f for f in selected if f.type == pafs.FileType.File), key=lambda f: f.path)
    if glob:
        files = [f for f in files if fnmatch.fnmatchcase(f.path, path)]
    else:
        files = [f for f in files if is_sequence_file(f.base_name)]
    if not files:
        raise InputError(f"{spec}: names no FASTA/FASTQ file")

    def name(p: str) -> str:
        return f"{scheme}://{p.lstrip('/') if scheme != 'file' else p}" if scheme else p

    return [(name(f.path), fs, f.path, f.size) for f in files]


def expand(specs: Sequence[str | Path], *, filesystem: pafs.FileSystem | None = None) -> list[InputFile]:
    """The input files of paths, globs, directories and URIs, in the order given; each file once.

    With `filesystem`, every spec is a path (or URI) within it.
    """
    texts = [str(s) for s in specs]
    if not texts:
        raise InputError("no input given")
    local = [t for t in texts if filesystem is None and not is_uri(t)]
    if local and len(local) != len(texts):
        raise InputError("inputs mix local paths and URIs; give one kind per run (file:///abs/path "
                         "names a local file as a URI)")
    if local:
        sources = expand_inputs(_local(local))
        for s in sources:
            if s.name == STDIN:
                raise InputError("'-' (standard input) cannot be read by Ray workers; name files")
        return [InputFile(s, Path(s.name).stat().st_size) for s in sources]
    found = [f for t in texts for f in _remote(t, filesystem)]
    seen: set[str] = set()
    out: list[InputFile] = []
    for name, fs, path, size in found:
        if name in seen:
            raise InputError(f"{name}: given twice (each input is read once)")
        seen.add(name)
        out.append(InputFile(Source(len(out), name, "reads"), size, fs, path))
    return out


def _remote_reads(item: InputFile) -> Iterator[RawRecord]:
    import dnaio
    import xopen

    assert item.filesystem is not None and item.path is not None
    fs, path = item.filesystem, item.path

    @contextmanager
    def open_reader() -> Iterator[Any]:
        with fs.open_input_file(path) as raw, dnaio.open(xopen.xopen(raw, "rb")) as reader:
            yield reader  # compression detected from the bytes

    return parse_reads(open_reader, item.name)
