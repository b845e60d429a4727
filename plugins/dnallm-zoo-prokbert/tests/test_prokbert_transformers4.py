"""Optional: the zoo's ProkBERT against transformers 4.x MegatronBertForMaskedLM on the same files.

transformers < 5 still implements relative_key_query attention in MegatronBert. Where such a
transformers is importable (installed here, or a directory named by DNALLM_ZOO_TRANSFORMERS4_PATH,
put first on the path of a subprocess), it loads the tiny `megatron-bert` flavour checkpoints with
`from_pretrained` (no remote code) and its outputs are compared with `load(dir)` through the zoo.
That also proves the tiny checkpoints are in the layout the original stack reads. Skipped otherwise.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

import dnallm_zoo

ENV = "DNALLM_ZOO_TRANSFORMERS4_PATH"
ATOL = 1e-5

# Runs under transformers 4.x: loads a checkpoint, runs the batch, saves every output.
SCRIPT = r"""
import json, sys
import numpy as np, torch, transformers
from transformers import MegatronBertForMaskedLM

path, batch, out = sys.argv[1:4]
assert int(transformers.__version__.split(".")[0]) < 5, transformers.__version__
model, info = MegatronBertForMaskedLM.from_pretrained(path, output_loading_info=True)
model.eval()
data = np.load(batch)
ids, mask = torch.from_numpy(data["ids"]), torch.from_numpy(data["mask"])
with torch.no_grad():
    res = model(input_ids=ids, attention_mask=mask, output_hidden_states=True)
arrays = {f"hidden_{i}": h.numpy() for i, h in enumerate(res.hidden_states)}
np.savez(out, logits=res.logits.numpy(), **arrays)
print(json.dumps({"version": transformers.__version__,
                  "missing": sorted(info["missing_keys"]), "unexpected": sorted(info["unexpected_keys"]),
                  "mismatched": [list(map(str, m)) for m in info["mismatched_keys"]]}))
"""


def _has_relative_megatron(origin: str | None) -> bool:
    if origin is None:
        return False
    source = Path(origin).parent / "models" / "megatron_bert" / "modeling_megatron_bert.py"
    return source.is_file() and "distance_embedding" in source.read_text(encoding="utf-8")


def _transformers4_path() -> str | None:
    """'' for the installed transformers, a directory for DNALLM_ZOO_TRANSFORMERS4_PATH, else None."""
    extra = os.environ.get(ENV)
    if extra:
        return extra if _has_relative_megatron(str(Path(extra) / "transformers" / "__init__.py")) else None
    spec = importlib.util.find_spec("transformers")
    return "" if spec is not None and _has_relative_megatron(spec.origin) else None


PATH = _transformers4_path()
pytestmark = pytest.mark.skipif(
    PATH is None,
    reason=f"no transformers < 5 with MegatronBert relative_key_query (installed, or ${ENV})",
)


def _run_transformers4(checkpoint: Path, ids: np.ndarray, mask: np.ndarray, tmp: Path) -> tuple[
    dict[str, object], dict[str, np.ndarray]
]:
    np.savez(tmp / "batch.npz", ids=ids, mask=mask)
    (tmp / "run.py").write_text(SCRIPT)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if PATH:
        env["PYTHONPATH"] = PATH
    env.update({"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})
    run = subprocess.run(
        [sys.executable, str(tmp / "run.py"), str(checkpoint), str(tmp / "batch.npz"), str(tmp / "out.npz")],
        capture_output=True, text=True, timeout=300, env=env,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    info = json.loads(run.stdout.strip().splitlines()[-1])
    with np.load(tmp / "out.npz") as data:
        return info, {k: data[k] for k in data.files}


@pytest.mark.parametrize("fmt", ["safetensors", "bin"])
@pytest.mark.parametrize("model_id", ["prokbert-mini", "prokbert-mini-c", "prokbert-mini-long"])
def test_zoo_equals_transformers4_megatron_bert(
    registered: None, prokbert_dir: Callable[..., Path], tmp_path: Path, model_id: str, fmt: str
) -> None:
    path = prokbert_dir(model_id, flavour="megatron-bert", fmt=fmt)
    enc = dnallm_zoo.load(path)
    assert enc.spec.id == model_id
    rng = np.random.default_rng(11)
    seqs = ["".join(rng.choice(list("ACGTN"), size=n, p=[0.24] * 4 + [0.04])) for n in (300, 41, 7, 120)]
    batch = enc.tokenizer(seqs, padding=True, return_tensors="np")
    ids, mask = batch["input_ids"], batch["attention_mask"]
    info, want = _run_transformers4(path, ids, mask, tmp_path)
    # the original loads every tensor: nothing unexpected or misshaped, only the tied decoder (and the
    # non-persistent position_ids buffer) are not read from the file
    assert info["unexpected"] in ([], ["bert.embeddings.position_ids"]), info
    assert set(info["missing"]) <= {"cls.predictions.decoder.weight", "cls.predictions.decoder.bias",
                                    "bert.embeddings.position_ids"}, info
    assert info["mismatched"] == [], info
    with torch.inference_mode():
        out = enc.forward(torch.from_numpy(ids), torch.from_numpy(mask), output_hidden_states=True,
                          with_logits=True)
    assert out.hidden_states is not None and len(out.hidden_states) == len(want) - 1
    real = mask.astype(bool)
    for i, h in enumerate(out.hidden_states):
        np.testing.assert_allclose(h.numpy()[real], want[f"hidden_{i}"][real], rtol=0, atol=ATOL)
    assert out.logits is not None
    np.testing.assert_allclose(out.logits.numpy()[real], want["logits"][real], rtol=0, atol=ATOL)
