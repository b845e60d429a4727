"""embed and predict read every input form in every compression: FASTA, FASTQ, CSV, TSV (plain, .gz,
.bz2, .xz, .zst where installed) and Parquet (its codecs); ids reach the output with their vectors."""

from __future__ import annotations

import bz2
import gzip
import lzma
import shutil
from collections.abc import Callable
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from cli_support import read_table, run

from dnallm_zoo import load

RECORDS = [("seq1", "ACGTACGTAC"), ("seq2", "TTGACCA"), ("seq3", "GGCATTACGA")]
ZSTD = shutil.which("zstd") is not None or find_spec("zstandard") is not None
COMPRESS: dict[str | None, Callable[[bytes], bytes]] = {
    None: lambda b: b, "gz": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress,
    "zst": lambda b: pa.compress(b, codec="zstd", asbytes=True),
}
TEXT = {
    "fasta": (".fa", lambda: "".join(f">{r} description\n{s}\n" for r, s in RECORDS)),
    "fastq": (".fq", lambda: "".join(f"@{r}\n{s}\n+\n{'I' * len(s)}\n" for r, s in RECORDS)),
    "csv": (".csv", lambda: "id,sequence,label\n" + "".join(f"{r},{s},1\n" for r, s in RECORDS)),
    "tsv": (".tsv", lambda: "id\tsequence\tlabel\n" + "".join(f"{r}\t{s}\t1\n" for r, s in RECORDS)),
}
CASES = [pytest.param(form, comp, marks=pytest.mark.skipif(comp == "zst" and not ZSTD, reason="no zstd"))
         for form in TEXT for comp in COMPRESS]
CASES += [pytest.param("parquet", codec) for codec in ("none", "snappy", "gzip", "zstd", "brotli")]


def write_input(directory: Path, form: str, compression: str | None) -> Path:
    """RECORDS in one form: a text file compressed by suffix, or Parquet with a codec of its own."""
    if form == "parquet":
        path = directory / "in.parquet"
        table = pa.table({"id": [r for r, _ in RECORDS], "sequence": [s for _, s in RECORDS],
                          "label": [1] * len(RECORDS)})
        pq.write_table(table, path, compression=compression)
        return path
    suffix, text = TEXT[form]
    path = directory / ("in" + suffix + (f".{compression}" if compression else ""))
    path.write_bytes(COMPRESS[compression](text().encode()))
    return path


@pytest.mark.parametrize(("form", "compression"), CASES)
@pytest.mark.parametrize("command", ["embed", "predict"])
def test_every_form_and_compression(toy: Any, tmp_path: Path, command: str, form: str,
                                    compression: str | None) -> None:
    src = write_input(tmp_path, form, compression)
    model = "toy-3" if command == "embed" else "toy-classifier"
    out = tmp_path / "out.parquet"
    result = run(command, src, "-m", model, "-o", out)
    assert result.exit_code == 0, result.output
    ids, ints, matrix, _ = read_table(out)
    assert ids == [r for r, _ in RECORDS] and ints["length"] == [len(s) for _, s in RECORDS]
    encoder = load(model)
    seqs = [s for _, s in RECORDS]
    want = encoder.embed(seqs) if command == "embed" else encoder.predict(seqs)
    np.testing.assert_allclose(matrix, np.asarray(want), rtol=1e-5, atol=1e-6)
    assert pq.read_table(out)["source"].to_pylist() == [str(src)] * len(RECORDS)
