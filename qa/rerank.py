"""Optional reranking of the top paragraphs with a cross-encoder the user has on disk.

How many paragraphs it re-scores is ``QuerySettings.rerank_depth``; ``qa.rank.rerank`` applies it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, Sequence

from qa.errors import ModelError


class Reranker(Protocol):
    def scores(self, question: str, texts: Sequence[str]) -> list[float]: ...


class CrossEncoderReranker:
    """A sentence-transformers CrossEncoder loaded from a local folder (never downloaded)."""

    def __init__(self, path: str):
        folder = Path(path).expanduser()
        if not folder.is_dir():
            raise ModelError(f"QA_RERANKER={path!r} is not a folder; give the path to a CrossEncoder model folder")
        from sentence_transformers import CrossEncoder

        try:
            self._model = CrossEncoder(str(folder), device="cpu", local_files_only=True)
        except Exception as exc:
            raise ModelError(f"could not load the reranker in {folder}: {exc}") from None

    def scores(self, question: str, texts: Sequence[str]) -> list[float]:
        return [float(s) for s in self._model.predict([(question, t) for t in texts], show_progress_bar=False)]


def load_reranker(path: str) -> Reranker | None:
    return CrossEncoderReranker(path) if path else None
