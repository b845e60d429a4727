"""`dnallm-zoo embed --engine ray`: its options and what it refuses, before any Ray or model work."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from dnallm_zoo.cli import cli


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_ray_options_need_the_ray_engine(tmp_path: Path) -> None:
    fa = tmp_path / "a.fa"
    fa.write_text(">r\nACGT\n")
    for extra in (["--actors", "1"], ["--gpus-per-actor", "1"], ["--cpus-per-actor", "2"],
                  ["--address", "auto"]):
        result = run("embed", fa, "-m", "toy-kmer3", "-o", f"{tmp_path}/out/", *extra)
        assert result.exit_code == 2, result.output
        assert f"{extra[0]} applies to --engine ray" in result.output
    assert not (tmp_path / "out").exists()


def test_the_ray_engine_writes_a_directory_from_files(tmp_path: Path) -> None:
    fa = tmp_path / "a.fa"
    fa.write_text(">r\nACGT\n")
    for name in ("e.parquet", "out"):  # no trailing slash: the message names the output with one
        result = run("embed", fa, "-m", "toy-kmer3", "-o", tmp_path / name, "--engine", "ray")
        assert result.exit_code == 2
        assert ("--engine ray writes a directory of shards: name it with a trailing slash, "
                f"-o {tmp_path / name}/") in " ".join(result.output.split())
        assert not (tmp_path / name).exists()
    result = run("embed", "-", "-m", "toy-kmer3", "-o", f"{tmp_path}/out/", "--engine", "ray")
    assert result.exit_code == 2 and "'-' (standard input) needs --engine local" in result.output
    result = run("embed", fa, "-m", "toy-kmer3", "-o", f"{tmp_path}/out/", "--engine", "ray",
                 "--segment-output")
    assert result.exit_code == 2 and "--segment-output writes one file" in result.output


def test_help_names_the_engines() -> None:
    result = run("embed", "--help")
    assert result.exit_code == 0
    for flag in ("--engine [local|ray]", "--address ADDR", "--actors", "--gpus-per-actor",
                 "--cpus-per-actor"):
        assert flag in result.output
