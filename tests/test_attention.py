"""Attention maps: per layer and head, tokens x tokens with each token's bases; .npz and heatmap."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dnallm_zoo import InputError, SequenceTooLongError
from dnallm_zoo._attention import attention_maps, plot_attention, save_attention_npz

SEQS = [("a", "ACGTAGCTAGCTAGGATCGATTTACG"), ("b", "GATTACAGATTACA")]
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def toy(zoo_toy: object) -> object:
    import dnallm_zoo

    return dnallm_zoo.load("toy-kmer3", device="cpu", dtype="float32")


def test_maps_equal_the_forward_weights_with_each_tokens_bases(toy: object) -> None:
    maps = toy.attentions(SEQS)  # type: ignore[attr-defined]
    assert [m.name for m in maps] == ["a", "b"]
    for m, (_, seq) in zip(maps, SEQS, strict=True):
        n = len(seq) - 2 + 2  # 3-mers every base, [CLS] and [SEP]
        assert m.weights.shape == (2, 2, n, n) and m.weights.dtype == np.float32 and m.layers == (0, 1)
        np.testing.assert_allclose(m.weights.sum(-1), 1.0, atol=1e-5)
        ids = torch.from_numpy(toy.tokenizer.encode(seq))[None]  # type: ignore[attr-defined]
        with torch.inference_mode():
            out = toy.forward(ids, torch.ones_like(ids), output_attentions=True)  # type: ignore[attr-defined]
        np.testing.assert_array_equal(m.weights, torch.stack(out.attentions)[:, 0].numpy())
        assert m.tokens[0] == "[CLS]" and m.tokens[-1] == "[SEP]" and m.tokens[1] == seq[:3]
        assert m.spans[1].tolist() == [0, 3] and m.spans[-2].tolist() == [len(seq) - 3, len(seq)]
        assert m.spans[0].tolist() == [0, 0]
        assert all(seq[a:b] == t for t, (a, b) in zip(m.tokens[1:-1], m.spans[1:-1].tolist(), strict=True))
    last = toy.attentions(SEQS[0][1], layers=-1)[0]  # type: ignore[attr-defined]
    assert last.layers == (1,) and last.name == "sequence 0"
    np.testing.assert_array_equal(last.weights[0], maps[0].weights[1])


def test_npz_and_heatmap(toy: object, tmp_path: object) -> None:
    from pathlib import Path

    pytest.importorskip("matplotlib")
    d = Path(str(tmp_path))
    maps = toy.attentions(SEQS, layers=[-1])  # type: ignore[attr-defined]
    save_attention_npz(maps, d / "att.npz", model="toy-kmer3")
    with np.load(d / "att.npz", allow_pickle=False) as z:
        assert z["ids"].tolist() == ["a", "b"] and z["layers"].tolist() == [1]
        np.testing.assert_array_equal(z["weights_1"], maps[1].weights)
        np.testing.assert_array_equal(z["spans_0"], maps[0].spans)
        assert z["tokens_0"].tolist() == list(maps[0].tokens)
    for head in (None, 1):
        out = plot_attention(maps[0], d / f"att{head}.png", head=head)
        assert out.read_bytes()[:8] == PNG
    with pytest.raises(InputError, match="head 2 out of range: the model has 2 heads"):
        plot_attention(maps[0], d / "x.png", head=2)
    assert sorted(p.name for p in d.iterdir()) == ["att.npz", "att1.png", "attNone.png"]  # no temporaries


def test_bad_input_is_named_before_model_work(toy: object, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_forward(*args: object, **kwargs: object) -> object:
        raise AssertionError("the model ran")

    monkeypatch.setattr(toy, "forward", no_forward)
    with pytest.raises(InputError, match=r"layer 2 out of range: toy-kmer3 has 2 attention layers"):
        attention_maps(toy, SEQS, layers=[0, 2])  # type: ignore[arg-type]
    long = "ACGT" * 10  # 40 bases: 40 tokens, the toy takes 34
    with pytest.raises(SequenceTooLongError, match=r"2 sequences cannot be run whole:\n  record 'x': 40 bases"
                                                   r" give 40 tokens.*\n  record 'y'"):
        attention_maps(toy, [("x", long), ("ok", "ACGTACGT"), ("y", long)])  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"'@' at position 4 in record 'bad'"):
        attention_maps(toy, [("bad", "ACG@T")])  # type: ignore[arg-type]
