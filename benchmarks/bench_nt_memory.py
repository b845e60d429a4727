"""Nucleotide Transformer memory: parameters of each published shape, and the peak CPU memory of loading
and embedding with the zoo, measured on random checkpoints of real dimensions where they fit here.

For every model of the plugin's table the parameter count comes from the network built on the meta
device at the published shape (no memory), and the weights' size in float32 (CPU) and bfloat16 (GPU)
follows. `--measure ID ...` writes a random checkpoint of that model's real shape to a temporary
directory and, in a fresh process each, reports the peak resident memory (VmHWM) of `import`
alone, of `dnallm_zoo.load(dir)` and of embedding one 6,000-base sequence after it, so the
load's extra over the weights (the zoo reads the file once into the meta-built module: no second copy)
is visible.

    python benchmarks/bench_nt_memory.py [--measure nt-v2-50m-multi-species nt-v2-100m-multi-species]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
from pathlib import Path

PLUGIN = Path(__file__).resolve().parents[1] / "plugins" / "dnallm-zoo-nucleotide-transformer"
if importlib.util.find_spec("dnallm_zoo_nucleotide_transformer") is None:
    sys.path.insert(0, str(PLUGIN))

CHILD = r"""
import json, sys
stage, path = sys.argv[1], sys.argv[2]
import torch, dnallm_zoo
torch.set_num_threads(1)
if stage != "import":
    enc = dnallm_zoo.load(path)
    if stage == "embed":
        enc.embed(["ACGTTGCAAT" * 600])
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"peak_mib": int(hwm.split()[1]) / 1024}))
"""


def parameters(model_id: str) -> int:
    from dnallm_zoo_nucleotide_transformer.checkpoint import original_config
    from dnallm_zoo_nucleotide_transformer.encoder import NTEncoder
    from dnallm_zoo_nucleotide_transformer.specs import BY_ID

    import dnallm_zoo

    c = BY_ID[model_id]
    config = original_config(c.version, hidden=c.hidden, layers=c.layers, heads=c.heads,
                             intermediate=c.intermediate)
    module = NTEncoder.build_module(dnallm_zoo.get_spec(model_id), config)
    return sum(t.numel() for t in module.state_dict().values())  # every tensor of the files


def measure(model_id: str) -> dict[str, float]:
    from dnallm_zoo_nucleotide_transformer.checkpoint import original_config, write_checkpoint
    from dnallm_zoo_nucleotide_transformer.specs import BY_ID

    c = BY_ID[model_id]
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        config = original_config(c.version, hidden=c.hidden, layers=c.layers, heads=c.heads,
                                 intermediate=c.intermediate)
        path = write_checkpoint(Path(tmp) / model_id, c.version, config=config)
        out["file_mib"] = sum(f.stat().st_size for f in path.iterdir()) / 2**20
        for stage in ("import", "load", "embed"):
            res = subprocess.run([sys.executable, "-c", CHILD, stage, str(path)], check=True,
                                 capture_output=True, text=True, env={"HF_HUB_OFFLINE": "1",
                                                                      "OMP_NUM_THREADS": "1",
                                                                      "PATH": "/usr/bin:/bin"})
            out[stage] = json.loads(res.stdout.strip().splitlines()[-1])["peak_mib"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--measure", nargs="*", default=["nt-v2-50m-multi-species"])
    args = parser.parse_args()
    from dnallm_zoo_nucleotide_transformer.specs import CHECKPOINTS

    print(f"{'model':28} {'parameters':>14} {'fp32 GiB':>9} {'bf16 GiB':>9}")
    for c in CHECKPOINTS:
        n = parameters(c.id)
        print(f"{c.id:28} {n:14,d} {4 * n / 2**30:9.2f} {2 * n / 2**30:9.2f}")
    for model_id in args.measure:
        m = measure(model_id)
        print(f"{model_id}: file {m['file_mib']:.0f} MiB; peak RSS import {m['import']:.0f} MiB, "
              f"load {m['load']:.0f} MiB (+{m['load'] - m['import']:.0f}), "
              f"load + embed 6 kb {m['embed']:.0f} MiB (+{m['embed'] - m['import']:.0f})")


if __name__ == "__main__":
    main()
