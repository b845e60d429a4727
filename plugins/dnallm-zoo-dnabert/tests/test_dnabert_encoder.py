"""DNABERT encoder on tiny original-layout checkpoints against `transformers.BertModel` (fp32)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from dnallm_zoo_dnabert.encoder import DNABERTEncoder
from dnallm_zoo_dnabert.specs import dnabert_spec
from transformers import BertConfig, BertModel, BertTokenizer

from dnallm_zoo import CheckpointError, SequenceTooLongError
from dnallm_zoo.kit import read_state_dict

ATOL = 1e-5
SEQS = ["ACGTTGCAAGGCTTAACGNNACGTAGCTAGCTTAGGC" * 3, "GATTACA" * 4, "acgtNNNNacgtTTGACCA", "ACGTAC"]


def reference_model(path: Path) -> BertModel:
    """Plain transformers BertModel (eager attention) on the checkpoint's encoder weights."""
    config = json.loads((path / "config.json").read_text())
    cfg = BertConfig.from_dict(config)
    cfg._attn_implementation = "eager"
    model = BertModel(cfg, add_pooling_layer=False)
    sd = read_state_dict(next(p for p in (path / "model.safetensors", path / "pytorch_model.bin")
                              if p.is_file()))
    enc = {k.removeprefix("bert."): v for k, v in sd.items()
           if k.startswith("bert.") and not k.startswith("bert.pooler.")}
    missing, unexpected = model.load_state_dict(enc, strict=False)
    assert not unexpected and set(missing) <= {"embeddings.position_ids"}
    return model.eval()


def reference_batch(path: Path, seqs: list[str], k: int) -> dict[str, torch.Tensor]:
    tok = BertTokenizer(str(path / "vocab.txt"), do_lower_case=False)
    text = [" ".join(s.upper()[i : i + k] for i in range(len(s) - k + 1)) for s in seqs]
    return tok(text, padding=True, return_tensors="pt")


def copy_with_weights(src: Path, dst: Path, sd: dict[str, torch.Tensor], *, bin: bool = False) -> Path:
    """The checkpoint at `src` with other weights (a transformers 2.x-style .bin with `bin`)."""
    from safetensors.torch import save_file

    dst.mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "vocab.txt"):
        shutil.copy(src / name, dst / name)
    if bin:
        torch.save(sd, dst / "pytorch_model.bin")
    else:
        save_file({k: v.contiguous() for k, v in sd.items()}, str(dst / "model.safetensors"))
    return dst


def load(path: Path, k: int, **kw: Any) -> DNABERTEncoder:
    return DNABERTEncoder.from_pretrained(path, dnabert_spec(k), device="cpu", dtype="float32", **kw)


@pytest.mark.parametrize(("k", "safetensors"), [(3, True), (4, True), (5, True), (6, True), (6, False)])
def test_hidden_states_equal_bert_model(tiny_dir: Callable[..., Path], k: int, safetensors: bool) -> None:
    path = tiny_dir(k, safetensors=safetensors)
    assert (path / ("model.safetensors" if safetensors else "pytorch_model.bin")).is_file()
    enc = load(path, k)
    ref = reference_model(path)
    batch = reference_batch(path, SEQS, k)
    ids, mask = enc.tokenizer.pad([enc.tokenizer.encode(s) for s in SEQS])
    assert ids.tolist() == batch["input_ids"].tolist()
    assert mask.tolist() == batch["attention_mask"].tolist()
    with torch.inference_mode():
        out = enc.forward(torch.from_numpy(ids), torch.from_numpy(mask), output_hidden_states=True)
        want = ref(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                   output_hidden_states=True)
    real = batch["attention_mask"].bool()
    assert out.hidden_states is not None and len(out.hidden_states) == len(want.hidden_states) == 3
    torch.testing.assert_close(out.last_hidden_state[real], want.last_hidden_state[real],
                               atol=ATOL, rtol=0)
    for got_h, want_h in zip(out.hidden_states, want.hidden_states, strict=True):
        torch.testing.assert_close(got_h[real], want_h[real], atol=ATOL, rtol=0)
    # batch invariance: the shortest sequence alone equals its row of the padded batch
    alone = enc.forward(torch.from_numpy(ids[3:, : int(mask[3].sum())]),
                        torch.from_numpy(mask[3:, : int(mask[3].sum())]))
    torch.testing.assert_close(alone.last_hidden_state[0], out.last_hidden_state[3, : int(mask[3].sum())],
                               atol=ATOL, rtol=0)


def test_masked_lm_logits_equal_transformers(tiny_dir: Callable[..., Path]) -> None:
    from transformers import BertForMaskedLM

    path = tiny_dir(4)
    enc = load(path, 4)
    ref = BertForMaskedLM.from_pretrained(str(path), attn_implementation="eager").eval()
    batch = reference_batch(path, SEQS, 4)
    with torch.inference_mode():
        got = enc.forward(batch["input_ids"], batch["attention_mask"], with_logits=True).logits
        want = ref(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    real = batch["attention_mask"].bool()
    assert got is not None
    torch.testing.assert_close(got[real], want[real], atol=ATOL, rtol=0)


def test_strict_load(tiny_dir: Callable[..., Path], tmp_path: Path) -> None:
    src = tiny_dir(3)
    sd = read_state_dict(src / "model.safetensors")
    query = "bert.encoder.layer.0.attention.self.query.weight"

    missing = {k: v for k, v in sd.items() if k != query}
    with pytest.raises(CheckpointError, match=r"missing 1: " + query.replace(".", r"\.")):
        load(copy_with_weights(src, tmp_path / "missing", missing), 3)

    unexpected = {**sd, "cls.seq_relationship.weight": torch.zeros(2, 32)}
    with pytest.raises(CheckpointError, match=r"unexpected 1: cls\.seq_relationship\.weight"):
        load(copy_with_weights(src, tmp_path / "unexpected", unexpected), 3)

    misshaped = {**sd, query: torch.zeros(32, 31)}
    with pytest.raises(CheckpointError, match=r"wrong shape 1: .*query\.weight"):
        load(copy_with_weights(src, tmp_path / "misshaped", misshaped), 3)

    # an old file: untrained pooler, the position_ids buffer and the tied decoder weight
    old = {**sd, "bert.pooler.dense.weight": torch.randn(32, 32), "bert.pooler.dense.bias": torch.randn(32),
           "bert.embeddings.position_ids": torch.arange(512)[None],
           "cls.predictions.decoder.weight": sd["bert.embeddings.word_embeddings.weight"]}
    enc_old = load(copy_with_weights(src, tmp_path / "old", old, bin=True), 3)
    enc = load(src, 3)
    ids, mask = enc.tokenizer.pad([enc.tokenizer.encode(s) for s in SEQS])
    a = enc.forward(torch.from_numpy(ids), torch.from_numpy(mask), with_logits=True)
    b = enc_old.forward(torch.from_numpy(ids), torch.from_numpy(mask), with_logits=True)
    assert torch.equal(a.last_hidden_state, b.last_hidden_state)
    assert a.logits is not None and b.logits is not None and torch.equal(a.logits, b.logits)
    module = enc_old.module
    assert module.cls.predictions.decoder.weight is module.bert.embeddings.word_embeddings.weight


def test_config_extras_tolerated_and_kept(tiny_dir: Callable[..., Path], tmp_path: Path) -> None:
    path = tiny_dir(5)
    config = json.loads((path / "config.json").read_text())
    assert {"split", "rnn", "num_rnn_layer", "rnn_dropout", "rnn_hidden", "auto_map"} <= set(config)
    clean = DNABERTEncoder.network_config(config)
    assert not {"split", "rnn", "num_rnn_layer", "rnn_dropout", "rnn_hidden", "auto_map"} & set(clean)
    assert clean["hidden_size"] == config["hidden_size"]
    enc = load(path, 5)
    assert not hasattr(enc.module.config, "rnn_hidden")
    enc.save_pretrained(tmp_path / "saved")  # the original config.json goes back out unchanged
    assert json.loads((tmp_path / "saved" / "config.json").read_text()) == config
    again = load(tmp_path / "saved", 5)
    x = ["ACGTTGCAGGT" * 5]
    np.testing.assert_array_equal(enc.embed(x), again.embed(x))


def test_refuses_what_is_not_dnabert(tiny_dir: Callable[..., Path], tmp_path: Path) -> None:
    src = tiny_dir(3)
    with pytest.raises(CheckpointError, match="6-mers of dnabert-6 are not in the vocabulary"):
        DNABERTEncoder.from_pretrained(src, dnabert_spec(6), device="cpu")
    rel = tmp_path / "relative"
    shutil.copytree(src, rel)
    config = json.loads((rel / "config.json").read_text())
    (rel / "config.json").write_text(json.dumps({**config, "position_embedding_type": "relative_key"}))
    with pytest.raises(CheckpointError, match="relative_key"):
        load(rel, 3)


def test_load_directory_picks_this_plugin(zoo: Any, tiny_dir: Callable[..., Path]) -> None:
    for k in (3, 6):
        enc = zoo.load(tiny_dir(k), device="cpu")
        assert type(enc) is DNABERTEncoder
        assert enc.spec.id == f"dnabert-{k}" and enc.spec.plugin == "dnabert"
        assert enc.hidden_size == 32 and enc.max_bases == 509 + k


def test_embed_chunks_long_sequences(tiny_dir: Callable[..., Path]) -> None:
    k = 3
    enc = load(tiny_dir(k), k)
    rng = np.random.default_rng(0)
    seq = "".join(rng.choice(list("ACGT"), size=1300))
    assert enc.max_bases == 512 and enc.spec.capabilities.chunk_overlap == k - 1
    spans = [(0, 512), (510, 1022), (1020, 1300)]
    # the chunks' k-mers are exactly the sequence's k-mers, each once
    body = np.concatenate([enc.tokenizer.encode(seq[a:b], add_special_tokens=False) for a, b in spans])
    assert body.tolist() == enc.tokenizer.encode(seq, add_special_tokens=False).tolist()
    parts = enc.embed([seq[a:b] for a, b in spans])
    weights = np.array([b - a - k + 1 + 2 for a, b in spans], dtype=np.float64)
    want = (parts * weights[:, None]).sum(0) / weights.sum()
    got = enc.embed(seq)
    np.testing.assert_allclose(got[0], want, atol=ATOL, rtol=0)
    with pytest.raises(SequenceTooLongError, match="1300 bases"):
        enc.embed(seq, long="error")
    fits = seq[: 509 + k]
    np.testing.assert_allclose(enc.embed(fits, long="error"), enc.embed(fits), atol=0, rtol=0)
    with pytest.raises(SequenceTooLongError):
        enc.embed(seq[: 510 + k], long="error")


@pytest.mark.parametrize("k", [3, 6])
def test_attentions_equal_bert_model_output_attentions(tiny_dir: Callable[..., Path], k: int) -> None:
    """forward(output_attentions=True) gives transformers' eager BertModel weights, every layer and head."""
    path = tiny_dir(k)
    enc = load(path, k)
    ref = reference_model(path)
    batch = reference_batch(path, SEQS, k)
    with torch.inference_mode():
        out = enc.forward(batch["input_ids"], batch["attention_mask"], output_attentions=True)
        plain = enc.forward(batch["input_ids"], batch["attention_mask"])
        want = ref(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                   output_attentions=True)
    assert plain.attentions is None and out.attentions is not None
    assert len(out.attentions) == len(want.attentions) == enc.num_layers
    real = batch["attention_mask"].bool()
    for got, exp in zip(out.attentions, want.attentions, strict=True):
        assert got.shape == exp.shape == (len(SEQS), enc.num_heads, real.shape[1], real.shape[1])
        torch.testing.assert_close(got, exp, atol=1e-6, rtol=0)
    # SDPA stays the attention of plain calls: asking for weights once does not switch it
    assert enc.module.config._attn_implementation == "sdpa"
    torch.testing.assert_close(out.last_hidden_state[real], plain.last_hidden_state[real], atol=ATOL, rtol=0)


def test_features_of_every_layer_equal_bert_model_hidden_states_pooled(tiny_dir: Callable[..., Path]) -> None:
    """embed(layers='all') = transformers' BertModel output_hidden_states, mean over each sequence."""
    path = tiny_dir(6)
    enc = load(path, 6)
    ref = reference_model(path)
    seqs = [s.upper().replace("N", "A") for s in SEQS]
    batch = reference_batch(path, seqs, 6)
    with torch.inference_mode():
        want = ref(**batch, output_hidden_states=True).hidden_states
    mask = batch["attention_mask"][:, :, None].float()
    pooled = torch.stack([(h * mask).sum(1) / mask.sum(1) for h in want], 1).numpy()  # [N, layers + 1, H]
    got = enc.embed(seqs, layers="all")
    assert got.shape == pooled.shape == (len(seqs), enc.num_layers + 1, enc.hidden_size)
    np.testing.assert_allclose(got, pooled, atol=ATOL, rtol=0)
    np.testing.assert_allclose(enc.embed(seqs, layers=[-1, 1])[:, 1], pooled[:, 1], atol=ATOL, rtol=0)
