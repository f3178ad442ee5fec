"""Related words: a question's word the collection never uses, searched as the collection's
nearest word in meaning ("web" as "internet", "kids" as "children", "army" as "military").

The word view (BM25) finds only the words a paragraph writes; a question in an analyst's own
words often has none of them for its key idea. The build embeds the collection's own words,
one by one, with a model whose single-word vectors place synonyms together (``Embedder.related``:
the bundled MiniLM; E5's put "mosque" beside "Mosul" and "hostage" beside "host", so it has no
level and is not used for this), each as a query would be, and keeps them in the index folder:

    related.json    the model (name and fingerprint) and the words, most frequent first (at most
                    ``related_vocabulary``)
    related.npy     their unit vectors, one row each, in that order, as float16 (searched through a
                    FAISS index of half-precision vectors, made at the table's first search: three
                    words against 30,000 took 2.8 ms here, 7.7 ms at full precision and 11 ms in numpy)

A build reuses the vectors of the words the last build's table holds (same model fingerprint),
as it reuses passage vectors: the bundled MiniLM takes about 1.8 s per thousand words.

At search time each topic word of the question that no paragraph uses (a name or a number
excepted: "Hezbollah" has no synonym here) is embedded the same way, in the same call as the
question (``qa.bert`` runs a question and a few words as one sequence), and its nearest word is
searched beside it when the two are at least the model's level alike. The question's own words
are not changed: abstention still sees what the collection lacks, and the answer says what was
searched ("also searched for 'internet': the collection never uses 'web'").

Tuning halves and scratch sets, 566 questions over 9 collections, MiniLM level 0.5 / 0.55 / 0.6
/ 0.65 / 0.7 / 0.8 (hit@1; 0.816 without): 0.834 / 0.832 / 0.830 / 0.829 / 0.820 / 0.818; refusals
the same. 0.6 is the middle of the plateau: 0.5 let "late" search "early".
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

from qa.embed import Embedder
from qa.errors import StoreError

OPPOSITE_DEPTH = 4  # nearest words looked at when the nearest is the word's opposite
WORDS_FILE = "related.json"
VECTORS_FILE = "related.npy"
# A word worth a vector: letters (any script), maybe joined by hyphens or apostrophes, three or more.
_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|[-'’])+[^\W\d_]")


def view_of(embedders: Sequence[Embedder]) -> int | None:
    """Which model's space related words are found in: the first with a level for it, or None."""
    for view, embedder in enumerate(embedders):
        if getattr(embedder, "related", None):
            return view
    return None


def table_words(counts: Iterable[str], has_terms: Callable[[str], bool], limit: int) -> list[str]:
    """The words a table holds: ``counts``' words in their order (most frequent first), those that
    are words (no digits, three letters or more) and searchable (``has_terms``: not a stop word),
    at most ``limit``."""
    out = []
    for word in counts:
        if len(out) >= limit:
            break
        if _WORD.fullmatch(word) and has_terms(word):
            out.append(word)
    return out


@dataclass(frozen=True)
class Related:
    """One question word the collection lacks and the collection's word searched for it."""

    typed: str
    found: str
    similarity: float


class WordTable:
    """The collection's words in one model's space (see the module's docstring)."""

    def __init__(self, model: str, fingerprint: str, words: list[str], vectors: np.ndarray):
        if len(words) != len(vectors):
            raise ValueError(f"{len(words)} words but {len(vectors)} vectors")
        self.model, self.fingerprint, self.words = model, fingerprint, words
        self.vectors = np.asarray(vectors, dtype=np.float16)
        self._row = {w: i for i, w in enumerate(words)}
        self._index = None  # made at the first search

    @classmethod
    def build(cls, embedder: Embedder, words: list[str], batch: int = 256,
              reuse: "WordTable | None" = None) -> "WordTable":
        """Embed the words, taking the vectors ``reuse`` holds (made by the same model: same
        fingerprint) instead of embedding them again."""
        vectors = np.zeros((len(words), embedder.dimension), dtype=np.float16)
        old = reuse if reuse is not None and reuse.fingerprint == embedder.fingerprint else None
        todo = []
        for i, word in enumerate(words):
            row = old._row.get(word) if old is not None else None
            if row is None:
                todo.append(i)
            else:
                vectors[i] = old.vectors[row]
        for start in range(0, len(todo), batch):
            rows = todo[start:start + batch]
            vectors[rows] = embedder.encode([words[i] for i in rows], batch_size=batch, query=True)
        return cls(embedder.name, embedder.fingerprint, words, vectors)

    def save(self, folder: Path) -> None:
        (folder / WORDS_FILE).write_text(json.dumps({"model": self.model, "fingerprint": self.fingerprint,
                                                     "words": self.words}, ensure_ascii=False), encoding="utf-8")
        np.save(folder / VECTORS_FILE, np.ascontiguousarray(self.vectors, dtype=np.float16))

    @classmethod
    def load(cls, folder: Path) -> "WordTable | None":
        """The folder's table, or None where its build made none (no model with a level for it).

        Raises:
            StoreError: when its files are there but cannot be read.
        """
        path = folder / WORDS_FILE
        if not path.is_file():
            return None
        try:
            row = json.loads(path.read_text(encoding="utf-8"))
            return cls(row["model"], row["fingerprint"], list(row["words"]), np.load(folder / VECTORS_FILE))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise StoreError(f"related words in {folder} cannot be read ({exc}); run: python -m qa build") from None

    def nearest(self, words: Sequence[str], vectors: np.ndarray, level: float,
                opposed: Callable[[str, str], bool] | None = None) -> list[Related]:
        """For each word (with its vector in the table's model, embedded as a query), the table's
        most alike word when they are at least ``level`` alike; not one ``opposed`` to it (its
        opposite: "continue" for "stop"), the next most alike then, of the ``OPPOSITE_DEPTH`` best."""
        if not len(words) or not self.words:
            return []
        if self._index is None:
            import faiss

            index = faiss.IndexScalarQuantizer(self.vectors.shape[1], faiss.ScalarQuantizer.QT_fp16,
                                               faiss.METRIC_INNER_PRODUCT)
            index.add(self.vectors.astype(np.float32))
            self._index = index
        depth = OPPOSITE_DEPTH if opposed is not None else 1
        similarity, best = self._index.search(np.ascontiguousarray(vectors, dtype=np.float32), depth)
        found = []
        for word, sims, rows in zip(words, similarity, best):
            for sim, j in zip(sims, rows):
                if j < 0 or sim < level:
                    break
                if opposed is None or not opposed(word, self.words[int(j)]):
                    found.append(Related(word, self.words[int(j)], round(float(sim), 4)))
                    break
        return found
