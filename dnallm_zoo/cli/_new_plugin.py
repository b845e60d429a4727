"""`dnallm-zoo new-plugin NAME`: a plugin project on the stock-family kit, from the templates beside it.

The project (pyproject with the entry point, a spec table, the family object that writes tiny test
checkpoints and claims directories, a conformance test, a README) installs and passes its tests as
written; its TODOs mark the facts its author must read from the original's files. No torch here.
"""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING

import click

from .. import __version__

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

__all__ = ["create_plugin_project", "new_plugin", "render_plugin_project"]

_NAME = re.compile(r"[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*")
_TEMPLATES = "templates/plugin"

# what differs between a k-mer and a BPE family: the tokenizer, the capabilities, the imports
_KMER = {
    "imports": "from dnallm_zoo import ArchitectureSpec, ModelSpec, TokenizerSpec, WeightsSource, kit",
    "tokenizer_note": "k, and max_tokens = the tokenizer's model_max_length",
    "tokenizer": 'TokenizerSpec(kind="kmer", k=$k, max_tokens=512)',
    "capabilities_note": "chunks of max_tokens tokens whose k-mer windows share k - 1 bases",
    "capabilities": "kit.kmer_capabilities(TOKENIZER)",
    "vocab_file": "vocab.txt",
}
_BPE = {
    "imports": "from dnallm_zoo import ArchitectureSpec, Capabilities, ModelSpec, TokenizerSpec, "
               "WeightsSource, kit",
    "tokenizer_note": "max_tokens = the tokenizer's model_max_length",
    "tokenizer": 'TokenizerSpec(kind="bpe", vocab_file="tokenizer.json", max_tokens=512)',
    # a BPE token spells at least one base: max_tokens - 2 bases always fit beside [CLS] and [SEP]
    "capabilities_note": "TODO: 510 bases always fit 512 tokens (a token spells >= 1 base); the overlap",
    "capabilities": "Capabilities(max_bases=510, chunk_overlap=32)",
    "vocab_file": "tokenizer.json",
}


def _walk(node: Traversable, prefix: str = "") -> list[tuple[str, Traversable]]:
    out = []
    for child in sorted(node.iterdir(), key=lambda c: c.name):
        rel = f"{prefix}{child.name}"
        if child.is_dir():
            out += _walk(child, rel + "/")
        elif child.name.endswith(".tmpl"):
            out.append((rel.removesuffix(".tmpl"), child))
    return out


def render_plugin_project(name: str, *, tokenizer: str = "kmer", k: int = 6) -> dict[str, str]:
    """The files of a plugin project for family `name`: relative path -> text."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"plugin name {name!r}: lower-case letters and digits, words joined by - or _")
    package = "dnallm_zoo_" + name.replace("-", "_")
    variant = {"kmer": _KMER, "bpe": _BPE}[tokenizer]
    values = {
        "name": name, "model_id": name, "package": package, "dist": "dnallm-zoo-" + name.replace("_", "-"),
        "bibkey": package, "core_version": __version__, "k": str(k),
    }
    values.update({key: Template(text).substitute(values) for key, text in variant.items()})
    out = {}
    for rel, template in _walk(files("dnallm_zoo.cli").joinpath(_TEMPLATES)):
        target = package + rel.removeprefix("package") if rel.startswith("package/") else rel
        out[target] = Template(template.read_text(encoding="utf-8")).substitute(values)
    return out


def create_plugin_project(dest: Path, name: str, *, tokenizer: str = "kmer", k: int = 6) -> list[Path]:
    """Write the project into `dest` (created; an existing one must be empty); returns the files written."""
    rendered = render_plugin_project(name, tokenizer=tokenizer, k=k)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise FileExistsError(f"{dest} exists and is not an empty directory; refusing to overwrite it")
    written = []
    for rel, text in rendered.items():
        path = dest / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as fh:  # "x": never replace a file, even one made meanwhile
            fh.write(text)
        written.append(path)
    return written


@click.command("new-plugin")
@click.argument("name")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="The project directory to create (default ./NAME); it must not exist or be empty.")
@click.option("--tokenizer", type=click.Choice(["kmer", "bpe"]), default="kmer", show_default=True,
              help="kmer: overlapping k-mers from vocab.txt; bpe: byte-pair encoding from tokenizer.json.")
@click.option("-k", "--k", "k", type=click.IntRange(1, 12), default=6, show_default=True,
              help="k of a kmer tokenizer.")
def new_plugin(name: str, output: Path | None, tokenizer: str, k: int) -> None:
    """Create a plugin project for the family NAME: pip-installable, with a spec, a test, a README."""
    if not _NAME.fullmatch(name):
        raise click.BadParameter("lower-case letters and digits, words joined by - or _ (e.g. 'my-bert')",
                                 param_hint="NAME")
    dest = output if output is not None else Path(name)
    try:
        written = create_plugin_project(dest, name, tokenizer=tokenizer, k=k)
    except FileExistsError as exc:
        raise click.ClickException(str(exc)) from None
    for path in written:
        click.echo(f"created {path}")
    click.echo(f"next: fill in the TODOs, then `pip install -e \"{dest}[test]\"`, `dnallm-zoo check {name}` "
               f"and `pytest {dest}`", err=True)
