"""BPETokenizer on a tiny tokenizer.json laid out like DNABERT-2's, against `tokenizers` itself."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from tokenizers import Tokenizer, models, pre_tokenizers, processors, trainers

from dnallm_zoo.tokenize import BPETokenizer

SPECIALS = ["[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"]  # ids 0..4, as in DNABERT-2
UNK, CLS, SEP, PAD, MASK = range(5)


def corpus(rng: random.Random, n: int) -> list[str]:
    motifs = ["TATAAA", "GGGCGG", "CCAAT", "ACGT", "TTAGGG"]
    out = []
    for _ in range(n):
        parts = [rng.choice(motifs) if rng.random() < 0.4 else rng.choice("ACGT") for _ in range(30)]
        out.append("".join(parts))
    return out


def build(path: Path, post: str = "template") -> Path:
    """Train a ~60-token BPE and save it as tokenizer.json in `path`."""
    tk = Tokenizer(models.BPE(unk_token="[UNK]"))
    tk.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.BpeTrainer(vocab_size=60, special_tokens=SPECIALS, show_progress=False)
    tk.train_from_iterator(corpus(random.Random(0), 300), trainer=trainer)
    if post == "template":
        tk.post_processor = processors.TemplateProcessing(
            single="[CLS] $A [SEP]",
            pair="[CLS] $A [SEP] $B:1 [SEP]:1",
            special_tokens=[("[CLS]", CLS), ("[SEP]", SEP)],
        )
    elif post == "bert":
        tk.post_processor = processors.BertProcessing(("[SEP]", SEP), ("[CLS]", CLS))
    path.mkdir(parents=True, exist_ok=True)
    tk.save(str(path / "tokenizer.json"))
    return path


@pytest.fixture(scope="module")
def bpe_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("bpe"))


def random_seqs(rng: random.Random, n: int) -> list[str]:
    return ["".join(rng.choice("ACGTN") for _ in range(rng.randint(1, 120))) for _ in range(n)]


def test_special_ids(bpe_dir: Path) -> None:
    t = BPETokenizer(bpe_dir, max_length=512)
    assert (t.unk_token_id, t.cls_token_id, t.sep_token_id, t.pad_token_id, t.mask_token_id) == (
        UNK, CLS, SEP, PAD, MASK)
    assert t.prefix_ids.tolist() == [CLS] and t.suffix_ids.tolist() == [SEP]
    assert t.vocab_size == Tokenizer.from_file(str(bpe_dir / "tokenizer.json")).get_vocab_size()


def test_equals_tokenizers_encode(bpe_dir: Path) -> None:
    ref = Tokenizer.from_file(str(bpe_dir / "tokenizer.json"))
    t = BPETokenizer(bpe_dir / "tokenizer.json", max_length=512)
    seqs = random_seqs(random.Random(1), 400)
    merged = 0
    for seq in seqs:
        want = ref.encode(seq)  # specials added by the file's own template
        assert t.encode(seq).tolist() == want.ids, seq
        assert t.encode(seq, add_special_tokens=False).tolist() == ref.encode(
            seq, add_special_tokens=False).ids
        merged += len(want.ids) - 2 < len(seq)
    assert merged > 300  # the merges really ran: most sequences got multi-base tokens
    # the batch path gives the same ids, padded with [PAD] = 3
    out = t(seqs[:20], padding=True, return_tensors="np")
    for row, mask, seq in zip(out["input_ids"], out["attention_mask"], seqs[:20], strict=True):
        want_ids = ref.encode(seq).ids
        assert row[: len(want_ids)].tolist() == want_ids
        assert set(row[len(want_ids) :].tolist()) <= {PAD}
        assert mask.tolist() == [1] * len(want_ids) + [0] * (len(row) - len(want_ids))


def test_pads_with_3(bpe_dir: Path) -> None:
    t = BPETokenizer(bpe_dir, max_length=512)
    out = t(["TATAAAGGGCGGACGTACGTCCAAT", "A"], padding=True, return_tensors="pt")
    assert out["input_ids"][1].tolist()[:3] == [CLS, t.vocab["A"], SEP]
    assert out["input_ids"][1, 3:].tolist() == [PAD] * (out["input_ids"].shape[1] - 3)
    assert out["attention_mask"][1].sum() == 3


def test_normalised_before_bpe(bpe_dir: Path) -> None:
    t = BPETokenizer(bpe_dir, max_length=512)
    assert t.encode("tataaaggu").tolist() == t.encode("TATAAAGGT").tolist()
    # N is not in this vocabulary: the BPE's own unknown token
    assert UNK in t.encode("ACGNNACG").tolist()


def test_truncation(bpe_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    t = BPETokenizer(bpe_dir, max_length=8)
    seq = "ACGTTTAGGGCCAATGGGCGGTATAAAACGTACGGT"
    whole = t.encode(seq).tolist()
    assert len(whole) > 8 and t(seq)["input_ids"] == whole
    assert t([seq, seq], return_tensors="np")["input_ids"].tolist() == [whole, whole]
    assert [r.getMessage() for r in caplog.records] == [
        f"Token indices sequence length is longer than the specified maximum sequence length for this "
        f"model ({len(whole)} > 8). Running this sequence through the model will result in indexing errors"]
    ids = t(seq, truncation=True)["input_ids"]
    assert len(ids) == 8 and ids[0] == CLS and ids[-1] == SEP
    assert ids[1:-1] == t.encode(seq).tolist()[1:7]


@pytest.mark.parametrize("post", ["bert", "none"])
def test_other_post_processors(tmp_path: Path, post: str) -> None:
    d = build(tmp_path, post)
    ref = Tokenizer.from_file(str(d / "tokenizer.json"))
    t = BPETokenizer(d, max_length=512)
    for seq in random_seqs(random.Random(2), 50):
        assert t.encode(seq).tolist() == ref.encode(seq).ids
    assert t.num_special_tokens == (2 if post == "bert" else 0)


def test_save_pretrained(bpe_dir: Path, tmp_path: Path) -> None:
    t = BPETokenizer(bpe_dir, max_length=128)
    t.save_pretrained(tmp_path / "out")
    assert (tmp_path / "out" / "tokenizer.json").read_bytes() == (bpe_dir / "tokenizer.json").read_bytes()
    cfg = json.loads((tmp_path / "out" / "tokenizer_config.json").read_text())
    assert cfg["tokenizer_class"] == "PreTrainedTokenizerFast"
    assert cfg["pad_token"] == "[PAD]" and cfg["model_max_length"] == 128
    again = BPETokenizer(tmp_path / "out", max_length=128)
    seqs = random_seqs(random.Random(4), 30)
    assert again(seqs)["input_ids"] == t(seqs)["input_ids"]
    t.save_pretrained(bpe_dir)  # saving onto its own directory leaves the file alone
    assert Tokenizer.from_file(str(bpe_dir / "tokenizer.json")).get_vocab_size() == t.vocab_size


def test_no_pad_token_refused(tmp_path: Path) -> None:
    tk = Tokenizer(models.BPE(unk_token="[UNK]"))
    tk.train_from_iterator(["ACGTACGT"], trainer=trainers.BpeTrainer(special_tokens=["[UNK]"],
                                                                     show_progress=False))
    tk.save(str(tmp_path / "tokenizer.json"))
    with pytest.raises(ValueError, match="no pad or unk token"):
        BPETokenizer(tmp_path, max_length=16)


def test_min_tokens_is_a_lower_bound(bpe_dir: Path) -> None:
    t = BPETokenizer(bpe_dir, max_length=10_000)
    for seq in random_seqs(random.Random(3), 300):
        assert t.min_tokens(len(seq)) <= len(t.encode(seq)), seq
    longest = max((p for p in t.vocab if p.isalpha() and p not in SPECIALS), key=len)
    assert t.min_tokens(len(longest) * 7) == len(t.encode(longest * 7))  # tight on the longest piece
