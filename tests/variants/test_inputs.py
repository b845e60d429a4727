"""Reading VCFs, tables and references; every bad variant named in one report before any model work."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from dnallm_zoo._validation import BadRecordsError
from dnallm_zoo.variants import Reference, screen_variants

pytest.importorskip("pysam")

HEADER = "##fileformat=VCFv4.2\n##contig=<ID=chr1>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"


def vcf(tmp_path: Path, body: str, name: str = "v.vcf") -> Path:
    p = tmp_path / name
    p.write_text(HEADER + body)
    return p


def test_vcf_multiallelic_records_split_in_input_order(tmp_path, genome, genome_fa) -> None:
    c = genome["chr1"]
    body = (f"chr1\t10\trs1\t{c[9]}\t{'A' if c[9] != 'A' else 'C'},N\t.\t.\t.\n"
            f"chr1\t20\t.\t{c[19:22]}\t{c[19]}\t.\t.\t.\n")
    good, problems = screen_variants(vcf(tmp_path, body), Reference(genome_fa))
    assert problems == []
    # the line each was read from, and its number among the alleles (what names it in an output)
    assert [(v.pos, v.id, v.alt, v.line, v.n) for v in good] == [
        (10, "rs1", "A" if c[9] != "A" else "C", 4, 1), (10, "rs1", "N", 4, 2), (20, None, c[19], 5, 3)]


def test_bgzipped_vcf_and_reference(tmp_path, genome, genome_fa) -> None:
    import pysam

    c = genome["chr1"]
    plain = vcf(tmp_path, f"chr1\t5\tx\t{c[4]}\tN\t.\t.\t.\n")
    pysam.tabix_compress(str(plain), str(plain) + ".gz")
    pysam.tabix_compress(str(genome_fa), str(tmp_path / "g.fa.gz"))
    ref = Reference(tmp_path / "g.fa.gz")
    assert ref.fetch("chr1", 0, 30) == c[:30] and ref.lengths == {"chr1": 700, "chr2": 40}
    good, problems = screen_variants(str(plain) + ".gz", ref)
    assert problems == [] and good[0].ref == c[4]


def test_plain_gzip_reference_is_read_into_memory(tmp_path, genome, genome_fa) -> None:
    gz = tmp_path / "plain.fa.gz"
    gz.write_bytes(gzip.compress(genome_fa.read_bytes()))
    ref = Reference(gz)
    assert ref.fetch("chr2", 3, 9) == genome["chr2"][3:9]


def test_every_bad_variant_is_named_in_one_report(tmp_path, genome, genome_fa, tiny) -> None:
    c = genome["chr1"]
    wrong = "A" if c[99] != "A" else "C"
    body = (f"chr1\t100\trsREF\t{wrong}\tG\t.\t.\t.\n"        # line 4: REF is not the genome's
            f"chrX\t5\trsCONTIG\tA\tG\t.\t.\t.\n"              # line 5: unknown contig
            f"chr1\t701\trsEND\tA\tG\t.\t.\t.\n"               # line 6: past the end
            f"chr1\t7\trsALLELE\t{c[6]}\tR\t.\t.\t.\n"         # line 7: not ACGTN
            f"chr1\tnotanumber\trsBAD\tA\tG\t.\t.\t.\n"        # line 8: malformed
            f"chr1\t50\tgood\t{c[49]}\tN\t.\t.\t.\n")
    path = vcf(tmp_path, body)
    good, problems = screen_variants(path, Reference(genome_fa))
    assert [v.id for v in good] == ["good"]
    text = [str(p) for p in problems]
    assert [p.n for p in problems] == [4, 5, 6, 7, 8], text
    assert f"'rsREF'): chr1:100 REF expected '{wrong}', the reference has '{c[99]}'" in text[0]
    assert "contig 'chrX' is not in" in text[1] and "rsCONTIG" in text[1]
    assert "past the end of chr1 (700 bases)" in text[2]
    assert "ALT 'R'" in text[3]
    assert text[4].startswith(f"{path} line 8") and "malformed VCF line" in text[4]
    enc, _ = tiny("dnabert-3")
    with pytest.raises(BadRecordsError) as err:
        enc.score_variants(path, genome_fa)
    assert "5 bad records" in str(err.value) and "nothing was scored" in str(err.value)
    rows = enc.score_variants(path, genome_fa, skip_invalid=True, embedding=False)
    assert [r["id"] for r in rows] == ["good"] and rows[0]["status"] == "N allele"


def test_tables(tmp_path, genome, genome_fa) -> None:
    c = genome["chr1"]
    (tmp_path / "v.csv").write_text(
        f"chrom,pos,ref,alt,id\nchr1,3,{c[2]},N,a\nchr1,0,A,C,b\nchr1,9,{c[8]},,c\n")
    good, problems = screen_variants(tmp_path / "v.csv", Reference(genome_fa))
    assert [v.id for v in good] == ["a"]
    assert [(p.n, p.kind) for p in problems] == [(2, "bad-position"), (3, "missing-value")]
    (tmp_path / "v.tsv").write_text("chrom\tposition\tref\talt\nchr1\t3\tA\tC\n")
    good, problems = screen_variants(tmp_path / "v.tsv", Reference(genome_fa))
    assert good == [] and problems[0].kind == "missing-column" and "'pos'" in problems[0].what
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"chrom": ["chr2"], "pos": [4], "ref": [genome["chr2"][3]], "alt": ["N"]}),
                   tmp_path / "v.parquet")
    good, problems = screen_variants(tmp_path / "v.parquet", Reference(genome_fa))
    assert problems == [] and (good[0].chrom, good[0].pos) == ("chr2", 4)
