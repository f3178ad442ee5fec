"""Build: a collection to an index folder (embed passages, index terms, link news to statements).

Besides the store's own files (``qa/retrieve/local.py``) a build folder holds::

    manifest.json       what built it (model, settings, corpus and profile fingerprints, file hashes)
    links.json          each news paragraph's official twins (the paragraphs it repeats)
    terms.json          how many paragraphs each BM25 word occurs in (abstention and highlights)
    words.json          how often each word (as written, lower case) occurs: what misspellings are matched to
    acronyms.json       the abbreviations the text defines, as alias groups (``qa.acronyms``)
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from qa import __version__, acronyms, analyze, spell, store
from qa.analyze import Analyzer, word_pairs
from qa.chunk import context_line, make_passages
from qa.config import Settings
from qa.corpus import Collection
from qa.embed import Embedder
from qa.errors import ModelError
from qa.profile import Profile
from qa.retrieve import ParagraphRecord
from qa.retrieve.local import LocalStore
from qa.types import Passage

STORE_KIND = "faiss"
# What a build makes of the collection beyond the settings; bump it when that changes, so old
# indexes rebuild. 2: news linked to statements in any model's space, at each model's own level.
# 3: abbreviations the text defines join the alias groups.
VERSION = 3


@dataclass(frozen=True)
class BuildReport:
    folder: Path
    passages: int
    paragraphs: int
    seconds: float
    acronyms: int = 0  # abbreviation groups learnt from the text


def model_fingerprint(embedders: list[Embedder]) -> str:
    """What the manifest records of the models: each one's fingerprint, in order."""
    return "+".join(e.fingerprint for e in embedders)


def build_record(settings: Settings, profile: Profile) -> dict:
    """Everything that shapes a build, as the manifest records it and staleness checks compare it."""
    return {**asdict(settings.build), "build": VERSION, "analyzer": analyze.VERSION,
            "profile_fingerprint": profile.fingerprint, "store": STORE_KIND}


def embed(embedder: Embedder, texts: list[str], batch: int, progress: bool) -> np.ndarray:
    """Embed texts in batches, with a progress bar that says what it counts."""
    from tqdm import tqdm

    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # similar lengths per batch: less padding
    batches = [[texts[i] for i in order[j:j + batch]] for j in range(0, len(order), batch)]
    parts = [embedder.encode(b, batch_size=batch)
             for b in tqdm(batches, desc="Embedding passages", unit="batch", disable=not progress, file=sys.stderr)]
    if not parts:
        return np.zeros((0, embedder.dimension), dtype=np.float32)
    vectors = np.empty((len(texts), embedder.dimension), dtype=np.float32)
    vectors[order] = np.vstack(parts)
    check_vectors(embedder, vectors, texts)
    return vectors


def check_vectors(embedder: Embedder, vectors: np.ndarray, texts: list[str]) -> None:
    """Stop a build whose model gave vectors with NaN or infinite values, or of length 0.

    Raises:
        ModelError: naming the model, how many texts and the first one, and what to do.
    """
    finite = np.isfinite(vectors).all(axis=1)
    bad = np.flatnonzero(~finite | (np.linalg.norm(np.where(finite[:, None], vectors, 0.0), axis=1) < 1e-6))
    if len(bad):
        raise ModelError(
            f"model {embedder.name!r} gave unusable vectors (NaN, infinite or all zero) for {len(bad)} of "
            f"{len(texts)} passages, the first: {texts[bad[0]][:80]!r}; its weights may be damaged: reinstall "
            f"or re-export the model, or choose another with QA_MODEL")


def twins(collection: Collection, passages: list[Passage], vectors: np.ndarray | list[np.ndarray],
          threshold: float | list[float], tie: float) -> list[tuple[str, str]]:
    """(news paragraph, official paragraph) pairs: each news paragraph and the official ones it repeats.

    A news sentence repeats an official sentence when their cosine similarity reaches ``threshold``
    in any model's space (each model with its own threshold: its similarities are measured as
    the margin above it); among official sentences within ``tie`` of its best match, the one
    dated closest to the report wins. A report that quotes two paragraphs of a statement is
    linked to both.
    """
    views = vectors if isinstance(vectors, list) else [vectors]
    thresholds = threshold if isinstance(threshold, list) else [threshold] * len(views)
    docs = {d.id: d for d in collection.documents}
    sentences = [i for i, p in enumerate(passages) if p.kind == "sentence"]
    news = [i for i in sentences if docs[passages[i].doc_id].source_type == "news"]
    official = [i for i in sentences if docs[passages[i].doc_id].source_type == "official"]
    if not news or not official:
        return []
    sims = np.max([v[news] @ v[official].T - t for v, t in zip(views, thresholds)], axis=0)
    pairs: list[tuple[str, str]] = []
    for row, i in enumerate(news):
        best = float(sims[row].max())
        if best < 0:
            continue
        when = docs[passages[i].doc_id].date_range[0]
        candidates = [j for j in np.flatnonzero(sims[row] >= best - tie)]
        j = min(candidates, key=lambda c: (abs((docs[passages[official[c]].doc_id].date_range[0] - when).days),
                                           -float(sims[row, c])))
        pair = (passages[i].paragraph_id, passages[official[j]].paragraph_id)
        if pair not in pairs:
            pairs.append(pair)
    # Grouped by news paragraph, in the order each was first linked.
    first = {}
    for n, _ in pairs:
        first.setdefault(n, len(first))
    return sorted(pairs, key=lambda p: first[p[0]])


def build_index(settings: Settings, collection: Collection, profile: Profile, embedder: Embedder | list[Embedder], *,
                progress: bool = True) -> BuildReport:
    """Embed (with each model) and index the collection, and make the new build current (atomically)."""
    embedders = embedder if isinstance(embedder, list) else [embedder]
    started = time.perf_counter()
    b = settings.build
    docs = {d.id: d for d in collection.documents}
    pairs = collection.paragraphs()
    learnt = acronyms.definitions(para.text for _, para in pairs) if b.learn_acronyms else []
    analyzer = Analyzer(profile, tuple(learnt))
    passages = make_passages(collection, b.piece_chars, b.piece_overlap)
    texts = [f"{context_line(docs[p.doc_id])} {p.text}" if b.dense_context and p.kind == "piece" else p.text
             for p in passages]
    vectors = [embed(e, texts, b.embed_batch, progress) for e in embedders]
    word_terms = analyzer.paragraph_terms(
        [f"{context_line(doc)} {para.text}" if b.lexical_context else para.text for doc, para in pairs])
    phrase_terms = [word_pairs(t) for t in analyzer.paragraph_terms([para.text for _, para in pairs])]
    records = [ParagraphRecord(para.id, doc.id, doc.source_type, doc.date_range[0].toordinal(),
                               doc.date_range[1].toordinal()) for doc, para in pairs]
    links = twins(collection, passages, vectors, [b.twin_threshold or e.similar for e in embedders], b.twin_tie)
    counts = Counter(t for terms in word_terms for t in set(terms))
    words = spell.words_of([para.text for _, para in pairs] + [f"{d.title} {d.place}" for d in docs.values()])
    manifest = {
        "package_version": __version__,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "model": "+".join(e.name for e in embedders),
        "model_fingerprint": model_fingerprint(embedders),
        "dimensions": [e.dimension for e in embedders],
        "corpus_dir": str(settings.corpus_dir),
        "corpus_fingerprint": collection.fingerprint,
        "build_settings": build_record(settings, profile),
        "query_settings": settings.query.record(),
        "counts": {"documents": len(docs), "paragraphs": len(pairs), "passages": len(passages),
                   "acronyms": len(learnt)},
    }

    def write(folder: Path) -> None:
        kind = LocalStore.write(folder, passages, vectors, records, word_terms, phrase_terms)
        (folder / "links.json").write_text(json.dumps({"twins": links}), encoding="utf-8")
        (folder / "terms.json").write_text(json.dumps({"paragraphs": len(pairs), "counts": counts}), encoding="utf-8")
        (folder / "words.json").write_text(json.dumps(dict(words.most_common()), ensure_ascii=False), encoding="utf-8")
        (folder / "acronyms.json").write_text(json.dumps({"groups": learnt}, ensure_ascii=False), encoding="utf-8")
        return {"dense_index": kind}

    folder = store.write_build(settings.index_dir, manifest, write)
    return BuildReport(folder, len(passages), len(pairs), time.perf_counter() - started, len(learnt))
