"""A fine-tuning run: the linear probe, or full / LoRA training under `transformers.Trainer`.

What a run writes to its directory: the model (full and LoRA: the family's original layout, LoRA
merged, its adapters in `lora_adapter/`; the probe: `probe.json` + `probe.safetensors`),
`metrics.json` (settings, each epoch's figures, the kept epoch, the final evaluation) and, where
matplotlib is installed, `learning_curves.png`.

Training is deterministic for a seed on a CPU: `transformers.set_seed`, the new head seeded, one
data-loading process, the data order drawn from the seed. Batches are grouped by length (less
padding); evaluation runs in order of length, and the kept epoch is the best by `metric`. On a GPU
the run autocasts to bf16 where the spec lists it for cuda, else fp16 where listed.
"""

from __future__ import annotations

import json
import math
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import transformers
from torch.utils.data import IterableDataset
from transformers import (
    DataCollatorForTokenClassification,
    DataCollatorWithPadding,
    PrinterCallback,
    Trainer,
    TrainerCallback,
    TrainingArguments,
)

from .._names import FinetuneMethod
from ..errors import InputError, one_line
from .augment import with_reverse_complements
from .data import LabeledData, Task
from .metrics import DEFAULT_METRIC, compute_metrics, for_json, greater_is_better, metric_names
from .progress import sequence_bar

__all__ = ["HEADS", "Method", "TrainConfig", "encode", "finetune", "head_arguments"]

Method = FinetuneMethod
Echo = Callable[[str], None]

#: task -> (dnallm_zoo.load's task, problem_type)
HEADS: dict[str, tuple[str, str]] = {
    "binary": ("sequence-classification", "single-label"),
    "multiclass": ("sequence-classification", "single-label"),
    "multilabel": ("sequence-classification", "multi-label"),
    "regression": ("sequence-classification", "regression"),
    "token": ("token-classification", "single-label"),
}
_DEFAULT_LR = {"full": 5e-5, "lora": 1e-4}
_CHECKPOINTS = ".checkpoints"


@dataclass
class TrainConfig:
    """The settings of a run (`learning_rate` None: 5e-5 full, 1e-4 LoRA; `metric` None: the task's)."""

    method: Method = "full"
    epochs: int = 3
    learning_rate: float | None = None
    batch_size: int = 16
    seed: int = 0
    metric: str | None = None
    rc_augment: bool = False
    device: str = "auto"
    weight_decay: float = 0.0
    warmup_ratio: float = 0.0
    group_by_length: bool = True
    lora_r: int = 8
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    probe_c: float = 1.0
    progress: bool = True


def head_arguments(task: Task, label_names: Sequence[str]) -> dict[str, Any]:
    """`dnallm_zoo.load` / `ZooModel.from_pretrained` keywords that build the task's head."""
    head, problem = HEADS[task]
    return {"task": head, "num_labels": len(label_names), "labels": list(label_names),
            "problem_type": problem}


def finetune(
    model: str,
    train: LabeledData,
    eval_data: LabeledData | None,
    output: str | Path,
    config: TrainConfig | None = None,
    *,
    overwrite: bool = False,
    echo: Echo | None = None,
) -> dict[str, Any]:
    """Train `model` (a zoo name or checkpoint directory) on `train`, write `output`, return metrics.json."""
    cfg = config or TrainConfig()
    say = echo or (lambda line: print(line, file=sys.stderr))
    out = Path(output)
    _check_output(out, overwrite)
    if eval_data is not None and eval_data.label_names != train.label_names:
        raise InputError(f"{eval_data.path}: labels {eval_data.label_names} differ from the training "
                         f"split's {train.label_names}; read it with label_names=train.label_names")
    metric = cfg.metric or DEFAULT_METRIC[train.task]
    known = metric_names(train.task, train.label_names)
    if metric.removeprefix("eval_") not in known:
        raise InputError(f"--metric {metric!r} is not a {train.task} metric; "
                         f"use one of {', '.join(sorted(known))}")
    metric = metric.removeprefix("eval_")
    data = with_reverse_complements(train) if cfg.rc_augment else train
    record: dict[str, Any] = {
        "model": model, "method": cfg.method, "task": train.task, "label_names": train.label_names,
        "sequence_column": train.sequence_column, "label_columns": train.label_columns,
        "train": {"path": train.path, "rows": len(train), "rows_trained": len(data)},
        "eval": None if eval_data is None else {"path": eval_data.path, "rows": len(eval_data)},
        "metric": metric, "settings": asdict(cfg),
    }
    if cfg.method == "probe":
        result = _probe_run(model, data, eval_data, out, cfg, say)
    elif cfg.method in ("full", "lora"):
        result = _trainer_run(model, data, eval_data, out, cfg, metric, say)
    else:
        raise InputError(f"unknown method {cfg.method!r}; use full, lora or probe")
    record.update(result)
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(for_json(record), indent=2) + "\n")
    if result.get("epochs"):
        _plot(out / "learning_curves.png", result["epochs"], metric, result.get("best_epoch"), say)
    return record


_RUN_FILES = ("probe.json", "probe.safetensors", "config.json", "model.safetensors", "metrics.json",
              "learning_curves.png", "lora_adapter")


def _clear_previous_run(out: Path) -> None:
    """With --overwrite, what an earlier run wrote goes once the new one has trained (before it saves)."""
    if not (out / "metrics.json").is_file():
        return
    for name in _RUN_FILES:
        p = out / name
        if p.is_dir():
            shutil.rmtree(p)
        elif p.exists():
            p.unlink()


def _check_output(out: Path, overwrite: bool) -> None:
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise InputError(f"{out}: the directory is not empty; pick another or pass --overwrite")


# ----------------------------------------------------------------------------------------- probe
def _probe_run(model: str, train: LabeledData, eval_data: LabeledData | None, out: Path, cfg: TrainConfig,
               say: Echo) -> dict[str, Any]:
    import dnallm_zoo

    from .probe import embed_features, fit_probe_on_features

    encoder = dnallm_zoo.load(model, device=cfg.device)
    start = time.perf_counter()
    feats = embed_features(encoder, train.sequences, token=train.task == "token",
                           progress=sequence_bar(len(train), "embedding", cfg.progress))
    embedded = time.perf_counter()
    probe = fit_probe_on_features(train, feats, model=_model_reference(model), c=cfg.probe_c, seed=cfg.seed)
    fitted = time.perf_counter()
    _clear_previous_run(out)
    probe.save(out)
    say(f"probe: embedded {len(train)} sequences in {embedded - start:.1f} s, fitted the head in "
        f"{fitted - embedded:.1f} s -> {out}")
    result: dict[str, Any] = {
        "embed_seconds": embedded - start, "fit_seconds": fitted - embedded, "train_seconds": fitted - start,
        "train_metrics": compute_metrics(train.task, train.labels, _rows(probe.scores, feats, train.task),
                                         label_names=train.label_names),
    }
    if eval_data is not None:
        from .evaluation import evaluate

        result["eval_metrics"] = evaluate(out, eval_data, device=cfg.device, encoder=encoder,
                                          progress=cfg.progress)
    return result


def _rows(fn: Callable[[np.ndarray], np.ndarray], feats: Any, task: Task) -> Any:
    return [fn(f) for f in feats] if task == "token" else fn(feats)


def _model_reference(model: str) -> str:
    """How a saved probe names its base model: a directory by its absolute path, else the name."""
    p = Path(model)
    return str(p.resolve()) if p.is_dir() else model


# ----------------------------------------------------------------------------------------- Trainer
def _trainer_run(model: str, train: LabeledData, eval_data: LabeledData | None, out: Path, cfg: TrainConfig,
                 metric: str, say: Echo) -> dict[str, Any]:
    from ..compat import ZooModel

    transformers.set_seed(cfg.seed)
    zoo = ZooModel.from_pretrained(model, seed=cfg.seed, device="cpu",
                                   **head_arguments(train.task, train.label_names))
    spec = zoo.encoder.spec
    tok = zoo.tokenizer
    limit = None if spec.capabilities.any_length else tok.max_length
    train_feats = encode(train, tok, max_tokens=limit)
    eval_feats = None if eval_data is None else encode(eval_data, tok, max_tokens=limit)
    cuda = _use_cuda(cfg.device, spec)
    cuda_dtypes = spec.capabilities.dtypes.get("cuda", ()) if cuda else ()
    bf16 = "bfloat16" in cuda_dtypes
    fp16 = not bf16 and "float16" in cuda_dtypes
    net: Any = zoo
    if cfg.method == "lora":
        net = zoo.lora(r=cfg.lora_r, lora_alpha=cfg.lora_alpha, lora_dropout=cfg.lora_dropout)
    order = None
    if eval_feats is not None:
        order = sorted(range(len(eval_feats)), key=lambda i: len(eval_feats[i]["input_ids"]))
    lr = cfg.learning_rate if cfg.learning_rate is not None else _DEFAULT_LR[cfg.method]
    has_eval = eval_feats is not None
    args = TrainingArguments(
        output_dir=str(out / _CHECKPOINTS),
        num_train_epochs=cfg.epochs,
        learning_rate=lr,
        weight_decay=cfg.weight_decay,
        warmup_steps=cfg.warmup_ratio,  # a float below 1: a share of the steps
        per_device_train_batch_size=cfg.batch_size,
        per_device_eval_batch_size=cfg.batch_size,
        seed=cfg.seed,
        data_seed=cfg.seed,
        use_cpu=not cuda,
        bf16=bf16,
        fp16=fp16,
        dataloader_num_workers=0,
        train_sampling_strategy="group_by_length" if cfg.group_by_length else "random",
        eval_strategy="epoch" if has_eval else "no",
        save_strategy="epoch" if has_eval else "no",
        save_only_model=True,
        save_total_limit=1,
        load_best_model_at_end=has_eval,
        metric_for_best_model=metric if has_eval else None,
        greater_is_better=greater_is_better(metric) if has_eval else None,
        logging_strategy="epoch",
        report_to="none",
        disable_tqdm=True,
        remove_unused_columns=False,
        label_names=["labels"],
    )
    token = train.task == "token"
    hf_tok: Any = tok  # duck-typed: the collators read `pad` and `model_input_names`, which it has
    collator = DataCollatorForTokenClassification(hf_tok) if token else DataCollatorWithPadding(hf_tok)
    trainer = Trainer(
        model=net,
        args=args,
        train_dataset=train_feats,
        eval_dataset=_InOrder([eval_feats[i] for i in order]) if eval_feats is not None and order else None,
        data_collator=collator,
        compute_metrics=_eval_metrics(eval_data, eval_feats, order, tok, metric) if has_eval else None,
        callbacks=[_Report(cfg.epochs, metric, say, cfg.progress)],
    )
    trainer.remove_callback(PrinterCallback)  # _Report prints one line per epoch instead
    device = "cuda" if cuda else "cpu"
    dtype = "bfloat16" if bf16 else "float16" if fp16 else "float32"
    say(f"{cfg.method} fine-tuning {spec.id} on {len(train)} sequences ({train.task}, "
        f"{train.num_labels} labels), {cfg.epochs} epochs, batch {cfg.batch_size}, lr {lr:g}, "
        f"{device} {dtype}{' autocast' if bf16 or fp16 else ''}")
    start, cpu_start = time.perf_counter(), time.process_time()
    trainer.train()
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    epochs = _epochs(trainer.state.log_history)
    best = _best_epoch(epochs, metric) if has_eval else (epochs[-1]["epoch"] if epochs else None)
    final = net
    _clear_previous_run(out)
    if cfg.method == "lora":
        from ..compat import merge_lora

        net.save_pretrained(str(out / "lora_adapter"))
        final = merge_lora(net)
    final.eval()
    final.to(torch.device("cpu"))
    final.save_pretrained(out)
    shutil.rmtree(out / _CHECKPOINTS, ignore_errors=True)
    tokens = sum(len(f["input_ids"]) for f in train_feats) * cfg.epochs
    say(f"trained in {seconds:.1f} s ({tokens / seconds:,.0f} tokens/s); kept epoch {best} -> {out}")
    result: dict[str, Any] = {"epochs": epochs, "best_epoch": best, "train_seconds": seconds,
                              "train_cpu_seconds": cpu_seconds, "train_tokens_per_second": tokens / seconds,
                              "device": device, "dtype": dtype}
    if eval_data is not None:
        from .evaluation import evaluate

        result["eval_metrics"] = evaluate(out, eval_data, device=cfg.device, progress=cfg.progress)
    return result


def _use_cuda(device: str, spec: Any) -> bool:
    if device == "cpu":
        return False
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise InputError(f"--device {device}: no CUDA device here")
    return torch.cuda.is_available() and "cuda" in spec.capabilities.devices


def encode(data: LabeledData, tokenizer: Any, *, max_tokens: int | None) -> list[dict[str, Any]]:
    """Training features of every row (ids, mask, labels); rows the model cannot read all named."""
    token = data.task == "token"
    if token:
        from ..tokenize.offsets import encode_per_base
    feats: list[dict[str, Any]] = []
    bad: list[str] = []
    for i, seq in enumerate(data.sequences):
        where = f"{data.rows[i] if data.rows else f'row {i + 1}'}, column {data.sequence_column!r}"
        try:
            if token:
                f = dict(encode_per_base(tokenizer, seq, data.labels[i]))
            else:
                ids = tokenizer.encode(seq).tolist()
                f = {"input_ids": ids, "attention_mask": [1] * len(ids), "labels": _label(data, i)}
        except InputError as exc:
            bad.append(f"{where}: {one_line(exc)}")
            continue
        if max_tokens is not None and len(f["input_ids"]) > max_tokens:
            bad.append(f"{where}: {len(f['input_ids'])} tokens, the model takes at most {max_tokens} "
                       "(cut long sequences into windows first)")
            continue
        feats.append(f)
    if bad:
        raise InputError(f"{data.path}: {len(bad)} sequence(s) the model cannot read: " + "; ".join(bad)
                         + "; nothing was trained")
    return feats


def _label(data: LabeledData, i: int) -> Any:
    y = data.labels[i]
    if data.task in ("binary", "multiclass"):
        return int(y)
    values = [float(v) for v in np.asarray(y).reshape(-1)]
    return values[0] if data.task == "regression" and len(values) == 1 else values


class _InOrder(IterableDataset):
    """An evaluation split read in the given order (an iterable dataset: no sampler reorders it)."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows

    def __iter__(self) -> Any:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def _eval_metrics(data: LabeledData | None, feats: list[dict[str, Any]] | None, order: list[int] | None,
                  tokenizer: Any, metric: str) -> Callable[[Any], dict[str, float]]:
    """Trainer's compute_metrics over the evaluation split in `order`; token tasks scored per base."""
    assert data is not None and feats is not None and order is not None
    task = data.task
    labels = [data.labels[i] for i in order] if task == "token" else data.labels[order]
    spans = None
    if task == "token":
        from ..tokenize.offsets import token_spans

        spans = [token_spans(tokenizer, data.sequences[i]) for i in order]
    worst = -math.inf if greater_is_better(metric) else math.inf

    def fn(pred: Any) -> dict[str, float]:
        scores = pred.predictions[0] if isinstance(pred.predictions, tuple) else pred.predictions
        if spans is not None:
            from ..tokenize.offsets import bases_from_tokens

            per_base = []
            for i, sp in enumerate(spans):
                logits = np.asarray(scores[i][: len(sp)], dtype=np.float64)
                probs = np.exp(logits - logits.max(axis=1, keepdims=True))
                probs /= probs.sum(axis=1, keepdims=True)
                per_base.append(bases_from_tokens(sp, probs, len(labels[i])))
            scores = per_base
        m = compute_metrics(task, labels, scores, label_names=data.label_names)
        if metric in m and math.isnan(m[metric]):
            m[metric] = worst  # an undefined figure never makes an epoch the best
        return m

    return fn


def _epochs(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per epoch from Trainer's log: the training loss, then the evaluation's figures."""
    rows: dict[int, dict[str, Any]] = {}
    for entry in history:
        if "epoch" not in entry or "train_runtime" in entry:
            continue
        e = round(float(entry["epoch"]))
        row = rows.setdefault(e, {"epoch": e})
        for k, v in entry.items():
            if k in ("epoch", "step", "total_flos", "learning_rate", "grad_norm") or k.endswith(
                    ("_runtime", "_per_second")):
                continue
            row["train_loss" if k == "loss" else k] = v
    return [rows[e] for e in sorted(rows)]


def _best_epoch(epochs: list[dict[str, Any]], metric: str) -> int | None:
    key = f"eval_{metric}"
    scored = [(r[key], r["epoch"]) for r in epochs if isinstance(r.get(key), (int, float))]
    if not scored:
        return None
    sign = 1 if greater_is_better(metric) else -1
    return max(scored, key=lambda t: (sign * t[0], -t[1]))[1]


class _Report(TrainerCallback):
    """A step bar on stderr and one line per epoch: the training loss and the evaluation's figures."""

    def __init__(self, epochs: int, metric: str, say: Echo, progress: bool) -> None:
        self.epochs, self.metric, self.say, self.progress = epochs, metric, say, progress
        self.bar: Any = None
        self.loss: float | None = None

    def on_train_begin(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
        if self.progress and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=state.max_steps, desc="training", unit=" step", file=sys.stderr,
                            leave=False, dynamic_ncols=True)

    def on_step_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
        if self.bar is not None:
            self.bar.update(1)

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None,
               **kw: Any) -> None:
        if logs and "loss" in logs:
            self.loss = float(logs["loss"])
            if str(args.eval_strategy).rpartition(".")[2].lower() == "no":
                self._line(state, {})

    def on_evaluate(self, args: Any, state: Any, control: Any, metrics: dict[str, Any] | None = None,
                    **kw: Any) -> None:
        self._line(state, metrics or {})

    def on_train_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
        if self.bar is not None:
            self.bar.close()

    def _line(self, state: Any, metrics: dict[str, Any]) -> None:
        parts = [f"epoch {round(state.epoch or 0)}/{self.epochs}"]
        if self.loss is not None:
            parts.append(f"train loss {self.loss:.4f}")
        if "eval_loss" in metrics:
            parts.append(f"eval loss {metrics['eval_loss']:.4f}")
        key = f"eval_{self.metric}"
        if key in metrics and self.metric != "loss":
            parts.append(f"eval {self.metric} {metrics[key]:.4f}")
        text = ", ".join(parts)
        if self.bar is not None:
            self.bar.clear()
        self.say(text)
        if self.bar is not None:
            self.bar.refresh()


def _plot(path: Path, epochs: list[dict[str, Any]], metric: str, best: int | None, say: Echo) -> None:
    """Training and evaluation loss, and the metric, per epoch, the kept one marked (needs matplotlib)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        say("no learning-curve plot: matplotlib is not installed (pip install 'dnallm-zoo[plot]')")
        return
    xs = [r["epoch"] for r in epochs]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.5))
    for key, label in (("train_loss", "training"), ("eval_loss", "evaluation")):
        ys = [r.get(key) for r in epochs]
        if any(y is not None for y in ys):
            ax1.plot(xs, [math.nan if y is None else y for y in ys], marker="o", label=label)
    ax1.set(xlabel="epoch", ylabel="loss", title="loss")
    ys = [r.get(f"eval_{metric}") for r in epochs]
    if any(y is not None for y in ys):
        ax2.plot(xs, [math.nan if y is None else y for y in ys], marker="o", color="C2")
    ax2.set(xlabel="epoch", ylabel=metric, title=f"evaluation {metric}")
    for ax in (ax1, ax2):
        ax.set_xticks(xs)
        if best is not None:
            ax.axvline(best, color="grey", linestyle=":", label=f"kept (epoch {best})")
    ax1.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
