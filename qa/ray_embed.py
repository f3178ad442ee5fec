"""Embedding past one machine: passages embedded by Ray Data workers, each holding the model once.

    pip install -r requirements-ray.txt
    ray start --head                                  # on one machine; `ray start --address=HEAD:6379` on the others
    QA_STORE=milvus QA_MILVUS_URI=http://milvus:19530 python -m qa build --ray --ray-address auto

Only the embedding moves to the workers (``map_batches`` over the passages' texts with a model
per worker actor); the rest of the build (terms, links, the store) runs where ``qa build`` runs,
and the vectors go to whatever store is set, a Milvus server for a collection too large for one
box. Every worker must have this package and the model (the same name or path), and each checks
that its model's fingerprint is the one the build records. Without ``--ray-address`` a local Ray
is started on this machine (what the tests do).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from qa.errors import ModelError


class _Encoder:
    """One per Ray worker: loads the model once, then embeds the batches it is given."""

    def __init__(self, model: str, fingerprint: str):
        from qa.embed import load_embedder

        self.embedder = load_embedder(model)
        if self.embedder.fingerprint != fingerprint:
            raise ModelError(f"a Ray worker's model {model!r} has fingerprint {self.embedder.fingerprint}, the build "
                             f"uses {fingerprint}; install the same model on every worker")

    def __call__(self, batch: dict) -> dict:
        texts = [str(t) for t in batch["text"]]
        return {"row": batch["row"], "vector": self.embedder.encode(texts, batch_size=len(texts))}


def embed(embedder, texts: Sequence[str], batch: int = 64, workers: int = 2, address: str | None = None) -> np.ndarray:
    """The texts' vectors, row for row, made by ``workers`` Ray actors each holding the model.

    Args:
        embedder: the build's embedder (its name says what each worker loads; its fingerprint
            is what each worker's must match).
        address: a running Ray cluster ("auto", "ray://head:10001"); None starts a local one.

    Raises:
        ModelError: when Ray is not installed, or a worker's model differs.
    """
    try:
        import ray
    except ImportError:
        raise ModelError("--ray needs Ray; run: pip install -r requirements-ray.txt") from None
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False,
                 **({} if address else {"num_cpus": max(1, workers)}))
    out = np.zeros((len(texts), embedder.dimension), dtype=np.float32)
    if not len(texts):
        return out
    data = ray.data.from_items([{"row": i, "text": t} for i, t in enumerate(texts)])
    vectors = data.map_batches(_Encoder, fn_constructor_kwargs={"model": embedder.name,
                                                                "fingerprint": embedder.fingerprint},
                               batch_size=batch, concurrency=workers, num_cpus=1, batch_format="numpy")
    seen = 0
    for part in vectors.iter_batches(batch_size=4096, batch_format="numpy"):  # streamed: rows as they come
        out[part["row"]] = np.stack(part["vector"])
        seen += len(part["row"])
    if seen != len(texts):
        raise ModelError(f"Ray returned {seen} vectors for {len(texts)} passages; run the build again")
    return out
