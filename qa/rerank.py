"""Optional reranking of the top paragraphs with a cross-encoder the user has on disk."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol, Sequence

from qa.errors import ModelError

RERANK_DEPTH = 20  # paragraphs re-scored; the rest keep their fused order below them


class Reranker(Protocol):
    def scores(self, question: str, texts: Sequence[str]) -> list[float]: ...


class CrossEncoderReranker:
    """A sentence-transformers CrossEncoder loaded from a local folder (never downloaded)."""

    def __init__(self, path: str):
        folder = Path(path).expanduser()
        if not folder.is_dir():
            raise ModelError(f"QA_RERANKER={path!r} is not a folder; give the path to a CrossEncoder model folder")
        os.environ["HF_HUB_OFFLINE"] = "1"
        from sentence_transformers import CrossEncoder

        try:
            self._model = CrossEncoder(str(folder), device="cpu")
        except Exception as exc:
            raise ModelError(f"could not load the reranker in {folder}: {exc}") from None

    def scores(self, question: str, texts: Sequence[str]) -> list[float]:
        return [float(s) for s in self._model.predict([(question, t) for t in texts], show_progress_bar=False)]


def load_reranker(path: str) -> Reranker | None:
    return CrossEncoderReranker(path) if path else None
