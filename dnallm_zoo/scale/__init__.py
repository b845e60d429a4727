"""Scale-out on Ray Data: embed collections larger than one machine, with the output of one process.

Needs the extra: ``pip install 'dnallm-zoo[ray]'``. Importing this package imports neither ray nor
torch; the names below are imported on first use::

    import ray
    from dnallm_zoo.scale import Engine, embed_files

    ray.init(address="auto")
    summary = embed_files("reads/*.fq.gz", "dnabert-6", "out/", engine=Engine(gpus_per_actor=1))
    print(summary.line())

`embed_dataset` embeds any Ray Dataset with an id and a sequence column; `read_sequences` reads
FASTA/FASTQ files (local, or any pyarrow filesystem) as one. The output is the shard directory of
`dnallm-zoo embed -o DIR/` (see `docs/scale-out.md`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_getattr

if TYPE_CHECKING:
    from ._engine import (
        DEFAULT_BATCH_SIZE,
        Engine,
        RayEngine,
        ScaleSummary,
        embed_dataset,
        embed_files,
        embedding_metadata,
        read_sequences,
    )
    from ._ray import actor_pool, connect

_LAZY = {
    "DEFAULT_BATCH_SIZE": "._engine",
    "Engine": "._engine",
    "RayEngine": "._engine",
    "ScaleSummary": "._engine",
    "actor_pool": "._ray",
    "connect": "._ray",
    "embed_dataset": "._engine",
    "embed_files": "._engine",
    "embedding_metadata": "._engine",
    "read_sequences": "._engine",
}

__getattr__ = lazy_getattr(__name__, _LAZY)

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "Engine",
    "RayEngine",
    "ScaleSummary",
    "actor_pool",
    "connect",
    "embed_dataset",
    "embed_files",
    "embedding_metadata",
    "read_sequences",
]
