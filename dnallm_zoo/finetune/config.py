"""The settings of `finetune` and `benchmark`, as a YAML file (`--config`) or options, checked by pydantic.

One pydantic model per command: `FinetuneSettings` and `BenchmarkSettings`, both built on
`TrainingSettings` (the training fields they share, declared once, with `TrainConfig`'s defaults).
A file holds the same names as the options (`learning_rate` for `--learning-rate`); an option given
on the command line wins over the file. Paths are read as on the command line (relative to the
current directory). What a run used is written back (`write_settings`) as a file that reruns it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..errors import InputError
from .data import Task
from .train import Method, TrainConfig

__all__ = [
    "BenchmarkSettings",
    "DatasetEntry",
    "FinetuneSettings",
    "TrainingSettings",
    "read_settings",
    "settings_error",
    "write_settings",
]

S = TypeVar("S", bound=BaseModel)
_D = TrainConfig  # the defaults (a dataclass's class attributes)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TrainingSettings(_Strict):
    """What finetune and benchmark share: how a model is trained and which columns hold the data."""

    epochs: int = Field(_D.epochs, ge=1)
    learning_rate: float | None = Field(_D.learning_rate, gt=0, description="None: 5e-5 full, 1e-4 LoRA")
    batch_size: int = Field(_D.batch_size, ge=1)
    metric: str | None = Field(_D.metric, description="picks the kept epoch (and the best model)")
    patience: int | None = Field(_D.patience, ge=1, description="stop after N epochs without progress")
    rc_augment: bool = _D.rc_augment
    device: str = _D.device
    weight_decay: float = Field(_D.weight_decay, ge=0)
    warmup_ratio: float = Field(_D.warmup_ratio, ge=0, lt=1)
    group_by_length: bool = _D.group_by_length
    lora_r: int = Field(_D.lora_r, ge=1)
    lora_alpha: int = Field(_D.lora_alpha, ge=1)
    lora_dropout: float = Field(_D.lora_dropout, ge=0, lt=1)
    probe_c: float = Field(_D.probe_c, gt=0)
    sequence_column: str = "sequence"
    label_column: list[str] = Field(default_factory=lambda: ["label"], min_length=1)

    @field_validator("label_column", mode="before")
    @classmethod
    def _one_or_many(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v

    def train_config(self, method: Method, seed: int, *, progress: bool = True) -> TrainConfig:
        """The `TrainConfig` of a run with these settings."""
        shared = {k: getattr(self, k) for k in _TRAIN_FIELDS}
        return TrainConfig(method=method, seed=seed, progress=progress, **shared)


_TRAIN_FIELDS = tuple(k for k in TrainingSettings.model_fields if k in TrainConfig.__dataclass_fields__)


class FinetuneSettings(TrainingSettings):
    """`dnallm-zoo finetune`: one model trained on one labelled file."""

    model: str
    train: str
    eval: str | None = None
    task: Task
    output: str
    method: Method = _D.method
    seed: int = _D.seed
    num_labels: int | None = Field(None, ge=1)


class DatasetEntry(_Strict):
    """One benchmark task: a labelled file (cross-validated), or given splits (a directory, or files)."""

    path: str | None = Field(None, description="a file (k folds) or a directory with train.*, eval.*, test.*")
    train: str | None = None
    eval: str | None = None
    test: str | None = None
    name: str | None = Field(None, description="default: the file's or directory's name")
    task: Task | None = Field(None, description="default: the benchmark's task")

    @model_validator(mode="after")
    def _one_form(self) -> DatasetEntry:
        if (self.path is None) == (self.train is None):
            raise ValueError("give either path (a file or a directory) or train with test and/or eval")
        if self.train is not None and self.test is None and self.eval is None:
            raise ValueError(f"train {self.train!r} needs a test or an eval split to score")
        return self


_PROBE: list[Method] = ["probe"]


class BenchmarkSettings(TrainingSettings):
    """`dnallm-zoo benchmark`: every model x dataset x method, over folds and seeds."""

    models: list[str] = Field(min_length=1)
    data: list[DatasetEntry] = Field(min_length=1)
    methods: list[Method] = Field(default_factory=lambda: list(_PROBE), min_length=1)
    task: Task | None = Field(None, description="every dataset's task unless it names its own; "
                               "None: inferred")
    folds: int = Field(5, ge=2, description="k of the cross-validation of single-file datasets")
    seeds: list[int] = Field(default_factory=lambda: [0], min_length=1)
    eval_fraction: float = Field(0.0, ge=0, lt=1, description="a share of each fold's training rows "
                                 "held out to pick the epoch (full, LoRA); 0: none, the last epoch")
    output: str
    keep_models: bool = False

    @field_validator("data", mode="before")
    @classmethod
    def _paths(cls, v: Any) -> Any:
        items = [x.strip() for x in v.split(",") if x.strip()] if isinstance(v, str) else (
            v if isinstance(v, list) else [v])
        return [{"path": x} if isinstance(x, str) else x for x in items]

    @field_validator("models", "methods", mode="before")
    @classmethod
    def _comma_list(cls, v: Any) -> Any:
        if isinstance(v, str):
            return [x.strip() for x in v.split(",") if x.strip()]
        return v

    @field_validator("seeds", mode="before")
    @classmethod
    def _int_list(cls, v: Any) -> Any:
        if isinstance(v, str):
            return [int(x) for x in v.split(",") if x.strip()]
        return [v] if isinstance(v, int) else v

    @model_validator(mode="after")
    def _distinct(self) -> BenchmarkSettings:
        for field in ("models", "methods", "seeds"):
            values = getattr(self, field)
            twice = sorted({str(x) for x in values if values.count(x) > 1})
            if twice:
                raise ValueError(f"{field} names {', '.join(twice)} more than once")
        return self


def settings_error(exc: ValidationError, where: str) -> InputError:
    """One message naming every bad field (`--option` on the command line, the key in a file)."""
    parts = []
    for err in exc.errors():
        loc = ".".join(str(x) for x in err["loc"]) or "(top level)"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            msg = f"missing (--{str(err['loc'][0]).replace('_', '-')} or the key {loc!r})"
        elif err["type"] == "extra_forbidden":
            msg = "not a setting"
        parts.append(f"{loc}: {msg}")
    return InputError(f"{where}: {len(parts)} bad setting(s): " + "; ".join(parts))


def read_settings(model: type[S], path: str | Path | None, overrides: dict[str, Any]) -> S:
    """A YAML file's settings (none: {}) with `overrides` on top, checked by `model`."""
    values: dict[str, Any] = {}
    where = "the command line"
    if path is not None:
        import yaml

        p = Path(path)
        where = str(p)
        try:
            loaded = yaml.safe_load(p.read_text())
        except OSError as exc:
            raise InputError(f"{p}: cannot read the settings file ({exc.strerror or exc})") from None
        except yaml.YAMLError as exc:
            raise InputError(f"{p}: not a YAML file ({' '.join(str(exc).split())})") from None
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            raise InputError(f"{p}: the settings file must be a mapping of names to values, "
                             f"not a {type(loaded).__name__}")
        values = {str(k).replace("-", "_"): v for k, v in loaded.items()}
        where = f"{p} (with the command line's options)" if overrides else str(p)
    values.update(overrides)
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise settings_error(exc, where) from None


def write_settings(settings: BaseModel, path: str | Path, *, header: str = "") -> None:
    """The settings as YAML (every field, defaults included), written atomically."""
    import yaml

    p = Path(path)
    text = yaml.safe_dump(settings.model_dump(mode="json"), sort_keys=False)
    tmp = p.with_name(f".{p.name}.tmp")
    tmp.write_text((f"# {header}\n" if header else "") + text)
    tmp.replace(p)

