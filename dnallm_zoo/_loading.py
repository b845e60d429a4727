"""`load`: a model id, alias, hub id or checkpoint directory to a ready `DNAEncoder`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._checkpoint import read_config
from ._discovery import get_manager
from ._hub import looks_like_hub_id
from ._registry import Entry, get_registry
from ._spec import HEAD_TASKS, ModelSpec, NormalizationPolicy
from ._tasks import head_spec, spec_from_config
from .errors import CheckpointError, UnknownModelError, ZooError

if TYPE_CHECKING:
    import torch

    from ._encoder import DNAEncoder

__all__ = ["directory_spec", "load", "match_directory", "spec_of", "weights_dir"]


def match_directory(path: str | Path, config: dict[str, Any] | None = None) -> Entry:
    """The registered model a checkpoint directory belongs to: every plugin is asked, one family claims it
    (`config`: its config.json, when the caller has read it).

    Two families claiming the same directory (a config.json that says `model_type: bert` over another
    network, say) is a `CheckpointError` naming the candidates, as is a directory no plugin claims.
    """
    p = Path(path)
    config = read_config(p) if config is None else config
    reg = get_registry()
    claims: dict[str, Entry] = {}
    for _plugin, model_id in get_manager().call("match_checkpoint", path=p, config=config).answers:
        entry = reg.resolve(model_id)
        claims.setdefault(entry.spec.family, entry)
    if len(claims) == 1:
        return next(iter(claims.values()))
    kind = config.get("model_type", "?")
    if claims:
        named = ", ".join(f"{e.spec.plugin}:{e.spec.id} ({fam})" for fam, e in sorted(claims.items()))
        raise CheckpointError(
            f"{p}: more than one family claims this checkpoint (model_type {kind!r}): {named}; "
            "load it by model id (`dnallm_zoo.load('plugin:id')` after placing it as that model's "
            "weights) or remove the plugin that should not claim it"
        )
    same = sorted({s.family for s in reg.list() if s.architecture.kind == kind}) if kind != "?" else []
    raise CheckpointError(
        f"{p}: no installed plugin recognises this checkpoint (model_type {kind!r}, "
        f"files {sorted(x.name for x in p.iterdir())}); `dnallm-zoo plugins` lists the plugins"
        + (f"; families of architecture {kind!r}: {same}" if same else "")
    )


def directory_spec(path: str | Path) -> ModelSpec:
    """The spec `load(path)` gives a checkpoint directory: its model's, with the head config.json names."""
    p = Path(path)
    config = read_config(p)
    entry = match_directory(p, config)
    cls = entry.encoder_class()
    return _shape_from_config(spec_from_config(entry.spec, cls.head_config(config), cls.head_architectures),
                              config)


def spec_of(model: str) -> ModelSpec | None:
    """The spec of a model without loading it (a checkpoint directory's with its head); None for a hub
    repository no plugin registers (its spec is known once `load` has fetched it)."""
    if Path(model).is_dir():
        return directory_spec(model)
    try:
        return get_registry().resolve(model).spec
    except UnknownModelError:
        if looks_like_hub_id(model):
            return None
        raise


#: ArchitectureSpec field <- the config.json key every BERT-family config names it by
_SHAPE_KEYS = {"hidden_size": "hidden_size", "num_layers": "num_hidden_layers",
               "num_heads": "num_attention_heads", "intermediate_size": "intermediate_size",
               "vocab_size": "vocab_size"}


def _shape_from_config(spec: ModelSpec, config: dict[str, Any]) -> ModelSpec:
    """A directory's network is the one its config.json describes (a smaller model of a family, say)."""
    arch = spec.architecture
    shape = {f: config[k] for f, k in _SHAPE_KEYS.items()
             if isinstance(config.get(k), int) and config[k] > 0 and config[k] != getattr(arch, f)}
    if not shape:
        return spec
    return spec.model_copy(update={"architecture": arch.model_copy(update={**shape, "parameters": None})})


def weights_dir(spec: ModelSpec, *, cache_dir: str | Path | None = None) -> Path:
    """A local directory with the weights of `spec`, asking the plugins' resolvers first."""
    cd = Path(cache_dir) if cache_dir else None
    answer = get_manager().call("resolve_weights", spec=spec, source=spec.weights, cache_dir=cd).first
    if answer is not None:
        return Path(answer[1])
    raise CheckpointError(f"no resolver could provide the weights of {spec.id!r}")


def load(
    name_or_path: str | Path,
    *,
    device: str | torch.device = "auto",
    dtype: str | torch.dtype = "auto",
    normalization: NormalizationPolicy | dict[str, Any] | None = None,
    cache_dir: str | Path | None = None,
    revision: str | None = None,
    task: str | None = None,
    num_labels: int | None = None,
    labels: list[str] | tuple[str, ...] | None = None,
    problem_type: str | None = None,
    seed: int | None = None,
) -> DNAEncoder:
    """Load a model by id, alias, hub repo id, 'plugin:id', or from a checkpoint directory.

    Example: ``load("dnabert-6").embed(["ACGTACGT"])``.

    `task` ('sequence-classification' or 'token-classification') asks for a task head: one the
    checkpoint lacks is built in the family's original layout, `num_labels` wide (default 2, 1 for
    regression), named `labels`, for `problem_type` ('single-label', 'multi-label', 'regression';
    transformers' names too), initialised from `seed` and reported in a `NewWeightsWarning`.
    A fine-tuned directory (config.json naming the family's head class) loads with its head.
    """
    head = {"task": task, "num_labels": num_labels, "labels": labels, "problem_type": problem_type}
    p = Path(name_or_path)
    config: dict[str, Any] | None = None
    if p.is_dir():
        config = read_config(p)  # read once for the match and the head
        entry = match_directory(p, config)
        weights = p
    else:
        name = str(name_or_path)
        try:
            entry = get_registry().resolve(name)
        except UnknownModelError:
            if looks_like_hub_id(name):
                return _load_unregistered_hub(name, device, dtype, normalization, cache_dir, head, seed)
            raise
        spec = entry.spec
        if revision is not None:  # the caller overrides the spec's pinned revision
            if spec.weights.repo_id is None:
                raise CheckpointError(f"{spec.id} has local weights; revision= does not apply")
            spec = spec.model_copy(
                update={"weights": spec.weights.model_copy(update={"revision": revision, "sha256": {}})}
            )
        weights = weights_dir(spec, cache_dir=cache_dir)
        entry = Entry(spec, entry.encoder)
    return _from_pretrained(entry, weights, device, dtype, normalization, head, seed, config)


def _from_pretrained(
    entry: Entry,
    weights: Path,
    device: Any,
    dtype: Any,
    normalization: Any,
    head: dict[str, Any],
    seed: int | None,
    config: dict[str, Any] | None = None,
) -> DNAEncoder:
    """The encoder class builds the model; the spec first gets the head the checkpoint or caller names
    (`config`: the checkpoint's config.json, when already read)."""
    cls = entry.encoder_class()
    config = read_config(weights) if config is None else config
    spec = spec_from_config(entry.spec, cls.head_config(config), cls.head_architectures)
    spec, new = head_spec(spec, **head)
    if spec.task in HEAD_TASKS and spec.task not in cls.head_architectures:
        offered = [t for t in cls.head_architectures if t in HEAD_TASKS]
        raise ZooError(
            f"{spec.id} ({spec.family}) has no {spec.task} head in dnallm-zoo; its family offers "
            f"{offered or 'no task heads'}"
        )
    encoder = cls.from_pretrained(
        weights, spec, device=device, dtype=dtype, normalization=normalization, new_head=new, seed=seed
    )
    if not new and spec.task in HEAD_TASKS and (head["labels"] is not None or head["problem_type"]):
        encoder.config = cls.config_with_head(encoder.config, spec)  # renamed classes or another loss
    return encoder


def _load_unregistered_hub(
    repo_id: str,
    device: Any,
    dtype: Any,
    normalization: Any,
    cache_dir: str | Path | None,
    head: dict[str, Any],
    seed: int | None,
) -> DNAEncoder:
    """A hub repo no plugin registered: fetch it, then let a plugin claim its layout."""
    from ._hub import hub_download
    from ._spec import WeightsSource

    try:
        path = hub_download(WeightsSource(repo_id=repo_id), Path(cache_dir) if cache_dir else None)
    except CheckpointError as exc:
        reg = get_registry()
        raise UnknownModelError(repo_id, reg.suggest(repo_id)) from exc
    return _from_pretrained(match_directory(path), path, device, dtype, normalization, head, seed)
