"""Questions from concurrent searches embedded together, one model call for all that are waiting.

A model call on a batch of eight short questions costs about what two single calls cost here
(numpy and small C engines on two cores), and parallel calls fight over the same cores. So a
server wraps each embedder in ``BatchingEmbedder``: one thread does the model's question
encodes; a question asked while it is busy waits for the next call, which takes every question
then waiting. A lone question is encoded at once (nothing waits for a batch to fill), so one
user sees no change; many users share the calls.
"""

from __future__ import annotations

import concurrent.futures
import queue
import threading
from typing import Sequence

import numpy as np

MAX_BATCH = 32


class BatchingEmbedder:
    """An embedder whose question encodes are batched across threads (passages are not: a build
    batches them already). Everything else is the wrapped embedder's."""

    def __init__(self, embedder, max_batch: int = MAX_BATCH):
        self.inner, self.max_batch = embedder, max_batch
        self._waiting: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._start = threading.Lock()
        self.calls = 0  # model calls made for questions (what batching saves)
        self._running = False  # a model call is under way

    def __getattr__(self, name):  # name, fingerprint, dimension, similar, ...
        return getattr(self.inner, name)

    def encode(self, texts: Sequence[str], *, batch_size: int = 32, progress: bool = False,
               query: bool = False) -> np.ndarray:
        if not query or not texts:
            return self.inner.encode(texts, batch_size=batch_size, progress=progress, query=query)
        return self.submit(texts).result()

    def submit(self, texts: Sequence[str]) -> concurrent.futures.Future:
        """Question texts to encode in the next model call; their vectors come in the future
        returned (so a search can wait on two models' calls at once)."""
        self._ensure_thread()
        done: concurrent.futures.Future = concurrent.futures.Future()
        self._waiting.put((list(texts), done))
        return done

    @property
    def busy(self) -> bool:
        """Whether other searches' questions are being encoded or wait to be: the server is busy."""
        return self._running or not self._waiting.empty()

    def _ensure_thread(self) -> None:
        with self._start:
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name=f"encode-{self.inner.name}", daemon=True)
                self._thread.start()

    def _serve(self) -> None:
        while True:
            waiting = [self._waiting.get()]
            count = len(waiting[0][0])
            while count < self.max_batch:
                try:
                    item = self._waiting.get_nowait()
                except queue.Empty:
                    break
                waiting.append(item)
                count += len(item[0])
            texts = [t for group, _ in waiting for t in group]
            try:
                self.calls += 1
                self._running = True
                vectors = self.inner.encode(texts, batch_size=len(texts), query=True)
            except BaseException as exc:  # every waiting search gets the model's error
                for _, done in waiting:
                    done.set_exception(exc)
                continue
            finally:
                self._running = False
            at = 0
            for group, done in waiting:
                done.set_result(vectors[at:at + len(group)])
                at += len(group)
