"""`StockFamily` and `Family`: a family plugin made from a spec table registers, writes, loads and matches."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import spec_table_family as demo

from dnallm_zoo import ModelSpec
from dnallm_zoo.kit import Family, KmerVocab, StockBertEncoder, StockFamily, read_state_dict

IDS = [s.id for s in demo.SPECS]


@pytest.fixture
def zoo(zoo_isolated: Any, zoo_plugin: Callable[..., str]) -> Any:
    import dnallm_zoo

    zoo_plugin(demo.family, name="kitdemo")
    return dnallm_zoo


def test_registers_its_spec_table(zoo: Any) -> None:
    assert [s.id for s in zoo.list_models("kitdemo*")] == IDS
    assert all(zoo.get_spec(i).plugin == "kitdemo" for i in IDS)


@pytest.mark.parametrize("model_id", IDS)
def test_tiny_checkpoint_loads_strictly_and_is_matched(zoo: Any, tmp_path: Path, model_id: str) -> None:
    from dnallm_zoo.testing import make_test_checkpoint

    d = make_test_checkpoint(model_id, tmp_path / model_id)
    config = json.loads((d / "config.json").read_text())
    spec = zoo.get_spec(model_id)
    assert config["max_position_embeddings"] == spec.architecture.max_tokens
    enc = zoo.load(d, device="cpu")  # through match_checkpoint
    assert enc.spec.id == model_id and type(enc) is StockBertEncoder
    keys = set(read_state_dict(d / "model.safetensors"))
    assert keys == set(enc.state_dict_for_save())  # every tensor used, none missing (strict)
    x = enc.embed(["ACGTTGCAGGTACCA" * 3, "GATTACA"])
    assert x.shape == (2, 32) and np.isfinite(x).all()
    if spec.task == "sequence-classification":
        assert config["architectures"] == ["BertForSequenceClassification"]
        assert config["id2label"] == {"0": "no", "1": "yes"}


def test_kmer_vocab_and_specials_written(zoo: Any, tmp_path: Path) -> None:
    d = demo.family.write_checkpoint(demo.SPECS[0], tmp_path / "k")
    assert KmerVocab.detect(d) == KmerVocab(4)
    assert (d / "vocab.txt").read_text().splitlines()[:7] == [
        "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "AAAA", "AAAC"]
    assert json.loads((d / "config.json").read_text())["pad_token_id"] == 0


def test_declines_what_is_not_its_own(tmp_path: Path) -> None:
    d = demo.family.write_checkpoint(demo.SPECS[0], tmp_path / "k")
    config = json.loads((d / "config.json").read_text())
    f = demo.family
    assert f.match(d, config) == "kitdemo-4mer"
    classifier = {**config, "architectures": ["BertForSequenceClassification"]}
    assert f.match(d, classifier) == "kitdemo-4mer-promoter"
    assert f.match(d, {**config, "model_type": "esm"}) is None
    assert f.match(d, {**config, "alibi_starting_size": 512}) is None
    assert f.match(d, {**config, "auto_map": {"AutoModel": "bert_layers.BertModel"}}) is None
    other_k = tmp_path / "k3"
    KmerVocab(3).write(other_k)
    assert f.match(other_k, config) is None
    other_order = tmp_path / "atcg"
    KmerVocab(4, "ATCG").write(other_order)
    assert f.match(other_order, config) is None
    allowed = StockFamily("kitdemo", demo.SPECS, remote_modules=("modeling_x",))
    remote = {**config, "auto_map": {"AutoModel": "org/repo--modeling_x.XModel"}}
    assert allowed.match(d, remote) == "kitdemo-4mer"


def test_bpe_directory_needs_the_specials(tmp_path: Path) -> None:
    spec = demo.SPECS[2]
    d = demo.family.write_checkpoint(spec, tmp_path / "b")
    config = json.loads((d / "config.json").read_text())
    assert demo.family.match(d, config) == "kitdemo-bpe"
    other = StockFamily("kitdemo", demo.SPECS, specials=("<pad>", "<unk>", "<cls>", "<sep>", "<mask>"))
    assert other.match(d, config) is None


def test_local_weights_directory_claimed_by_its_spec(tmp_path: Path) -> None:
    local = demo.SPECS[0].model_copy(update={
        "id": "kitdemo-local", "weights": demo.SPECS[0].weights.model_copy(
            update={"repo_id": None, "path": str(tmp_path / "w")})})
    fam = StockFamily("kitdemo", (*demo.SPECS, local))
    d = fam.write_checkpoint(local, tmp_path / "w")
    config = json.loads((d / "config.json").read_text())
    assert fam.match(d, config) == "kitdemo-local"  # the path wins over the table order
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "vocab.txt").write_bytes((d / "vocab.txt").read_bytes())
    assert fam.match(copy, config) == "kitdemo-4mer"


def test_hooks_answer_none_for_other_families(tmp_path: Path) -> None:
    other = demo.SPECS[0].model_copy(update={"id": "else", "family": "else"})
    assert demo.family.make_test_checkpoint(spec=other, path=tmp_path / "x") is None
    assert not (tmp_path / "x").exists()
    got: list[tuple[ModelSpec, object]] = []
    demo.family.register_models(register=lambda spec, enc: got.append((spec, enc)))
    assert [s.id for s, _ in got] == IDS and {e for _, e in got} == {"dnallm_zoo.kit:StockBertEncoder"}


def test_family_checks_its_table() -> None:
    with pytest.raises(ValueError, match="not of family 'other'"):
        StockFamily("other", demo.SPECS)
    with pytest.raises(ValueError, match="twice"):
        StockFamily("kitdemo", (*demo.SPECS, demo.SPECS[0]))


def test_family_with_its_own_writer_and_matcher(tmp_path: Path) -> None:
    """`Family` takes "module:name" references, imported on first use."""
    seen: list[str] = []

    def write(spec: ModelSpec, path: Path) -> None:
        seen.append(spec.id)
        (path / "config.json").write_text("{}")

    fam = Family("kitdemo", demo.SPECS, encoder="pkg.encoder:Enc", checkpoint=write,
                 match="spec_table_family:family.match")
    assert fam.make_test_checkpoint(spec=demo.SPECS[1], path=tmp_path / "c") is True
    assert seen == ["kitdemo-4mer-promoter"] and (tmp_path / "c" / "config.json").is_file()
    d = demo.family.write_checkpoint(demo.SPECS[0], tmp_path / "k")
    assert fam.match_checkpoint(path=d, config=json.loads((d / "config.json").read_text())) == "kitdemo-4mer"
    bare = Family("kitdemo", demo.SPECS, encoder="pkg.encoder:Enc")
    assert bare.make_test_checkpoint(spec=demo.SPECS[0], path=tmp_path / "n") is None
    assert bare.match_checkpoint(path=d, config={}) is None


def test_listing_a_kit_family_imports_no_torch() -> None:
    code = (
        f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "import spec_table_family as demo\n"
        "from dnallm_zoo.testing import registered\n"
        "zoo = registered(demo.family, name='kitdemo')\n"
        f"assert [s.id for s in zoo.list_models('kitdemo*')] == {IDS!r}\n"
        "heavy = [m for m in ('torch', 'transformers', 'tokenizers') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
