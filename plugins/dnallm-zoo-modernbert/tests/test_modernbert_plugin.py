"""ModernBERT DNA encoders: the zoo equals transformers' ModernBert classes on the same files; so what is
tested here is the zoo's tokenizer, its layout detection and the heads' layout."""

from __future__ import annotations

import json
import random
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

_RNG = random.Random(0)
SEQS = ["ACGTAGCATCGGATCTATCTATCGACACTTGG", "TTGACAGGCA", "ACGTNNACGTGGCCATTAGGCTAGCTAGGATCCA" * 3,
        "".join(_RNG.choice("ACGT") for _ in range(700))]


@pytest.fixture(scope="module")
def tiny(zoo: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    import dnallm_zoo_modernbert

    path = tmp_path_factory.mktemp("moderngena")
    return dnallm_zoo_modernbert.family.write_checkpoint(zoo.get_spec("moderngena-base"), path)


def test_hidden_states_and_logits_equal_transformers_modernbert(zoo: Any, tiny: Path) -> None:
    from transformers import AutoModelForMaskedLM, AutoTokenizer

    enc = zoo.load(tiny, device="cpu")
    hf_tok = AutoTokenizer.from_pretrained(str(tiny))
    hf = AutoModelForMaskedLM.from_pretrained(str(tiny), attn_implementation="eager").eval()
    assert type(hf).__name__ == "ModernBertForMaskedLM"
    want = hf_tok(SEQS, padding=True, return_tensors="pt")
    batch = enc.tokenizer(SEQS, padding=True, return_tensors="pt")
    assert batch["input_ids"].tolist() == want["input_ids"].tolist()  # every id, as transformers gives them
    assert batch["attention_mask"].tolist() == want["attention_mask"].tolist()
    with torch.no_grad():
        ref = hf(**want, output_hidden_states=True, output_attentions=True)
        out = enc.forward(batch["input_ids"], batch["attention_mask"], output_hidden_states=True,
                          with_logits=True, output_attentions=True)
    real = batch["attention_mask"].bool()
    assert len(out.hidden_states) == len(ref.hidden_states)
    torch.testing.assert_close(out.last_hidden_state[real], ref.hidden_states[-1][real], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(out.logits[real], ref.logits[real], atol=1e-5, rtol=1e-5)
    for got, exp in zip(out.attentions, ref.attentions, strict=True):
        torch.testing.assert_close(got.transpose(1, 2)[real], exp.transpose(1, 2)[real], atol=1e-5, rtol=1e-5)
    cfg = json.loads((tiny / "config.json").read_text())
    assert cfg["local_attention"] < max(real.sum(1).tolist())  # the sliding-window layers are exercised


def test_offsets_follow_the_bpe_pieces(zoo: Any, tiny: Path) -> None:
    from dnallm_zoo.tokenize.offsets import token_spans

    tok = zoo.load(tiny, device="cpu").tokenizer
    spans = token_spans(tok, SEQS[0])
    body = spans[1:-1]
    assert tuple(spans[0]) == tuple(spans[-1]) == (0, 0)
    assert body[0, 0] == 0 and body[-1, 1] == len(SEQS[0]) and (body[1:, 0] == body[:-1, 1]).all()


def test_a_new_sequence_head_loads_in_transformers_class_with_no_missing_keys(
    zoo: Any, tiny: Path, tmp_path: Path
) -> None:
    from transformers import AutoTokenizer, ModernBertForSequenceClassification

    from dnallm_zoo.compat import ZooModel

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = ZooModel.from_pretrained(tiny, task="sequence-classification", labels=["no", "yes"], seed=0)
    model.eval()
    model.save_pretrained(tmp_path)
    assert json.loads((tmp_path / "config.json").read_text())["architectures"] == \
        ["ModernBertForSequenceClassification"]
    hf, info = ModernBertForSequenceClassification.from_pretrained(str(tmp_path), output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"], info
    enc = AutoTokenizer.from_pretrained(str(tmp_path))(SEQS[:3], padding=True, return_tensors="pt")
    torch.testing.assert_close(model(**enc).logits, hf.eval()(**enc).logits, atol=1e-5, rtol=1e-5)
    back = zoo.load(tmp_path, device="cpu")
    assert back.spec.task == "sequence-classification" and back.spec.id.startswith("moderngena-base")
    probs = torch.softmax(model(**enc).logits, -1).detach().numpy()
    np.testing.assert_allclose(back.predict(SEQS[:3]), probs, atol=1e-5)


def test_each_publishers_directory_is_claimed_by_its_name_and_others_are_not(zoo: Any, tiny: Path) -> None:
    import dnallm_zoo_modernbert

    family = dnallm_zoo_modernbert.family
    config = json.loads((tiny / "config.json").read_text())
    assert family.match(tiny, config) == "moderngena-base"
    for repo, model in (("AIRI-Institute/moderngena-large", "moderngena-large"),
                        ("RaphaelMourad/ModernBert-DNA-v1-37M-virus", "modernbert-dna-37m-virus")):
        assert family.match(tiny, config | {"_name_or_path": repo}) == model
    assert family.match(tiny, config | {"model_type": "bert"}) is None  # GENA-LM's BERT is not ModernBERT
    assert family.match(tiny, config | {"auto_map": {"AutoModel": "modeling_x.M"}}) is None  # remote code


def test_no_shape_is_claimed_as_read(zoo: Any) -> None:
    """The hub configs were not readable: every spec says so, and a directory's config decides the shape."""
    for spec in zoo.list_models(family="modernbert-dna"):
        assert "shape NOT read" in spec.description


def _gena_tokenizer_json() -> str:
    """A small tokenizer.json in GENA's layout (ModernGENA ships GENA's): specials 0-4, `-` 5, the normaliser
    (strip, runs of 10+ N -> `-`), a `-` split, BertProcessing."""
    from tokenizers import AddedToken, Regex, Tokenizer, models, normalizers, pre_tokenizers, processors

    from dnallm_zoo import kit

    specials = ("[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]", "-")
    merges = kit.dna_merges((2, 3))
    vocab = {t: i for i, t in enumerate((*specials, *"ACGNT", *(a + b for a, b in merges)))}
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token="[UNK]", fuse_unk=False))
    tok.normalizer = normalizers.Sequence([normalizers.Strip(), normalizers.Replace(Regex("N{10,}"), "-")])
    tok.pre_tokenizer = pre_tokenizers.Split("-", behavior="isolated")
    tok.post_processor = processors.BertProcessing(("[SEP]", 2), ("[CLS]", 1))
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in specials])
    return tok.to_str()


def test_genas_tokenizer_layout_gives_transformers_ids(zoo: Any, tiny: Path, tmp_path: Path) -> None:
    from transformers import AutoTokenizer

    for f in tiny.iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    (tmp_path / "tokenizer.json").write_text(_gena_tokenizer_json())
    (tmp_path / "tokenizer_config.json").write_text('{"tokenizer_class": "PreTrainedTokenizerFast"}')
    hf = AutoTokenizer.from_pretrained(str(tmp_path))
    tok = zoo.load(tmp_path, device="cpu").tokenizer
    for s in [*SEQS, "ACGT" + "N" * 25 + "GGCA", "NNNNACGT", "A"]:
        assert tok.encode(s).tolist() == hf(s)["input_ids"], s
    assert 5 in tok.encode("ACGT" + "N" * 12 + "A").tolist()  # the run became `-`
