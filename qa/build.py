"""Build: a collection to an index folder (embed passages, index terms, link news to statements).

Besides the store's own files (``qa/retrieve/local.py``) a build folder holds::

    manifest.json       what built it (model, settings, corpus and profile fingerprints, file hashes)
    links.json          each news paragraph's official twins (the paragraphs it repeats)
    terms.json          how many paragraphs each BM25 word occurs in (abstention and highlights)
    words.json          how often each word (as written, lower case) occurs: what misspellings are matched to
    acronyms.json       the abbreviations the text defines, as alias groups (``qa.acronyms``)
    long_forms.json     for each model, the abbreviations it does not know, with their long forms
                        (embedded beside them in questions: ``unknown_abbreviations``)
    embed_keys.npy      a content hash of the text each passage vector was made from: the next
                        build with the same model reuses the vector of any text it finds here
    related.json/.npy   the collection's words in one model's space, for a question's words it
                        never uses (``qa.related``); absent when no model has a level for it
    repeats.npz         each news sentence's candidate statement sentences and their margins, as
                        linking weighed them (``Repeats``): a grown build (``qa.grow``) weighs a
                        statement added against these instead of searching the index again

A full build of the FAISS store takes the collection ``STREAM_PARAGRAPHS`` paragraphs at a time
(``_build``): each group's passages are made, embedded, written to the store's tables and let go,
so what it holds of every passage is numbers (``Placements``, ``TermLists``). While it runs, a
large build keeps its passage vectors in files in a ``.tmp-vectors-*`` folder of the index folder,
mapped into memory (``RowFile``), and every index over them is filled a slice at a time: no step
copies every vector of a model. The folder is removed when the build ends.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from qa import __version__, acronyms, analyze, related, spell, store, workers
from qa.analyze import Analyzer, TermLists, word_pairs
from qa.chunk import context_line, make_passages
from qa.config import Settings
from qa.corpus import Collection
from qa.embed import Embedder
from qa.errors import ModelError, StoreError
from qa.profile import Profile
from qa.retrieve import ParagraphRecord, write_store
from qa.retrieve.dense import DenseIndex, release
from qa.retrieve.local import LocalStore
from qa.types import Passage

# What a build makes of the collection beyond the settings; bump it when that changes, so old
# indexes rebuild. 2: news linked to statements in any model's space, at each model's own level.
# 3: abbreviations the text defines join the alias groups. 4: long_forms.json. 5: documents' keys in
# the manifest and BM25 mean lengths in terms.json (what a grown build, ``qa.grow``, needs).
# 6: repeats.npz. 7: related.json and related.npy.
VERSION = 7
TWIN_CANDIDATES = 16  # official sentences per news sentence whose margins are compared (each model's nearest)
# Lists an IVF index searches for a news sentence's repeats. Measured on 100,000 synthetic paragraphs
# (about 300,000 official sentences, 1,100 lists; links against searching every list): 64, 16 or 8
# lists found the same 14,985 links but for 2 ties at 8; 80 s with every list, 16.0 s with 16; with
# 8, every news sentence's best margin was the same as with 16 but one's (0.001 lower, within the tie).
# The lists are those of the passages' own index (``nearest_official``), searched for statement
# sentences only: against an index of the statement sentences alone, on the same 100,000
# paragraphs, each news sentence's best margin moved by at most 0.004 (either way), and the build
# no longer trains and fills a second index per model.
TWIN_NPROBE = 8
TWIN_QUERY_SLICE = 65_536  # news sentences searched at a time (their vectors are copied for the search)
RELEASE_EVERY_NEWS = 4096  # news sentences compared between releases of the vector files' pages
# A model knows an abbreviation when it puts it nearer its own long form than the collection's
# other long forms by this many standard deviations. Both models on the bundled collection: the
# abbreviations MiniLM plainly knows ("EU", "UN", "ISIS") score 1.8 to 6.1 and those it does not
# ("FTF", "CVE", "IDP") -1.1 to -0.4; E5 scores 1.3 to 6.0, lowest on "CVE", "GNA", "CIFG".
KNOWN_ABBREVIATION_Z = 1.5
MIN_LONG_FORMS = 5  # fewer long forms than this tell too little apart: no abbreviation is expanded
# Past this many bytes a model's passage vectors are written to a file in the index folder during
# the build (``vector_matrix``) rather than held in memory; old vectors are reused this many at a time.
MATRIX_IN_MEMORY = 256 * 2**20
REUSE_SLICE = 100_000
STREAM_PARAGRAPHS = 20_000  # paragraphs a full build takes at a time (``_build``)
EMBED_WINDOW = 65_536  # texts embedded (shortest first) and written out together (``embed``)


@dataclass(frozen=True)
class BuildReport:
    folder: Path
    passages: int
    paragraphs: int
    seconds: float
    acronyms: int = 0  # abbreviation groups learnt from the text
    reused: int = 0  # passage vectors taken from the previous build instead of embedded again (all models)
    embedded: int = 0  # passage vectors made now (all models)
    grown: bool = False  # the added documents indexed beside the last full build (``qa.grow``)


@dataclass(frozen=True)
class Repeats:
    """What linking news to statements weighed (``links``): for each news sentence (a passage
    row), the statement sentences among its candidates whose margin came within the tie of a repeat
    (margin at least ``-tie``), with those margins. Whatever a statement added later changes in a
    news sentence's choice (``repeated``), it changes among these and itself: a candidate further
    below cannot be within the tie of a best margin of 0 or more."""

    news: np.ndarray  # news sentences' passage rows, ascending
    starts: np.ndarray  # where each one's candidates start in ``rows`` (one more entry: the end)
    rows: np.ndarray  # candidate statement sentences' passage rows
    margins: np.ndarray  # their margins (the most of any model's similarity less its threshold)

    FILE = "repeats.npz"

    @classmethod
    def gathered(cls, news: np.ndarray, rows: list[np.ndarray], margins: list[np.ndarray]) -> "Repeats":
        """From news sentences (ascending rows) with each one's kept candidates and their margins."""
        starts = np.concatenate([[0], np.cumsum([len(r) for r in rows], dtype=np.int64)]).astype(np.int64)
        return cls(np.asarray(news, dtype=np.int64), starts, np.concatenate([np.zeros(0, dtype=np.int64), *rows]),
                   np.concatenate([np.zeros(0, dtype=np.float32), *margins]).astype(np.float32))

    def of(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        """(candidate rows, margins) kept for one news sentence (none when it had none in reach)."""
        at = int(np.searchsorted(self.news, row))
        if at == len(self.news) or self.news[at] != row:
            return self.rows[:0], self.margins[:0]
        return self.rows[self.starts[at]:self.starts[at + 1]], self.margins[self.starts[at]:self.starts[at + 1]]

    def save(self, folder: Path) -> None:
        with open(folder / self.FILE, "wb") as f:
            np.savez(f, news=self.news, starts=self.starts, rows=self.rows, margins=self.margins)

    @classmethod
    def load(cls, folder: Path) -> "Repeats":
        with np.load(folder / cls.FILE) as arrays:
            return cls(*(arrays[name] for name in ("news", "starts", "rows", "margins")))


def model_fingerprint(embedders: list[Embedder]) -> str:
    """What the manifest records of the models: each one's fingerprint, in order."""
    return "+".join(e.fingerprint for e in embedders)


def build_record(settings: Settings, profile: Profile) -> dict:
    """Everything that shapes a build, as the manifest records it and staleness checks compare it."""
    return {**asdict(settings.build), "build": VERSION, "analyzer": analyze.VERSION,
            "profile_fingerprint": profile.fingerprint}


def embed(embedder: Embedder, texts: list[str], batch: int, progress: bool, out: np.ndarray | None = None,
          rows: np.ndarray | None = None, bar=None) -> np.ndarray:
    """Embed texts in batches, with a progress bar that says what it counts.

    The texts are taken ``EMBED_WINDOW`` at a time, in their order; within a window they are
    embedded shortest first (similar lengths per batch: less padding), then the window's vectors
    are checked and written out together, so a matrix on disk is written in order, a stretch at a
    time. (Sorting all the texts at once scattered the writes over the whole file: a million
    paragraphs' build spent minutes writing and re-reading its pages.)

    Args:
        out, rows: write text i's vector into ``out[rows[i]]`` (a build's own matrix, perhaps a
            file on disk; rows ascending) instead of a new array: no second copy of every vector.
        bar: a progress bar to count on (a streamed build's, over all its groups); None: its own.
    """
    from tqdm import tqdm

    if out is None:
        out, rows = np.empty((len(texts), embedder.dimension), dtype=np.float32), np.arange(len(texts))
    bad: list[int] = []
    with (contextlib.nullcontext(bar) if bar is not None else
          tqdm(total=len(texts), desc="Embedding passages", unit="passage", disable=not progress,
               file=sys.stderr)) as bar:
        for start in range(0, len(texts), EMBED_WINDOW):
            stop = min(start + EMBED_WINDOW, len(texts))
            order = np.array(sorted(range(start, stop), key=lambda i: len(texts[i])), dtype=np.int64)
            made = np.empty((stop - start, embedder.dimension), dtype=np.float32)
            for j in range(0, len(order), batch):
                picked = order[j:j + batch]
                made[picked - start] = embedder.encode([texts[i] for i in picked], batch_size=batch)
                bar.update(len(picked))
            bad.extend(start + _unusable(made))
            out[rows[start:stop]] = made
            release(out, (int(rows[start]), int(rows[stop - 1]) + 1))
    if bad:
        _refuse(embedder, len(bad), len(texts), texts[int(bad[0])])
    return out


KEY_TYPE = np.dtype("S12")  # a passage key: 12 bytes (a million paragraphs' 4.5 million: 54 MB)
OLD_KEY_TYPE = np.dtype("<U24")  # as builds before it kept them: 24 hex digits (430 MB), still read


def embed_keys(texts: list[str]) -> np.ndarray:
    """What identifies a passage vector: a hash of the exact text embedded (context line included),
    12 bytes (``KEY_TYPE``)."""
    return np.frombuffer(b"".join(hashlib.blake2b(t.encode("utf-8"), digest_size=12).digest() for t in texts),
                         dtype=KEY_TYPE)


def keys_like(keys: np.ndarray, kind: np.dtype) -> np.ndarray:
    """Keys (``KEY_TYPE``) in the type of the keys they are appended to (a grown build's base's)."""
    if kind != OLD_KEY_TYPE:
        return keys
    raw = np.ascontiguousarray(keys).view(np.uint8).reshape(-1, 12)
    return np.array([bytes(r).hex() for r in raw], dtype=OLD_KEY_TYPE)


def key_numbers(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``embed_keys`` (12 bytes, or an older build's 24 hex digits) as numbers: their first 8
    bytes, and their last 4.

    Raises:
        ValueError: when they are not such keys."""
    keys = np.ascontiguousarray(keys)
    if keys.dtype == KEY_TYPE:
        raw = keys.view(np.uint8).reshape(-1, 12)
    elif keys.dtype == OLD_KEY_TYPE:
        raw = np.frombuffer(bytes.fromhex(keys.view(np.uint32).astype(np.uint8).tobytes().decode("ascii")),
                            dtype=np.uint8).reshape(-1, 12)
    else:
        raise ValueError(f"passage keys of type {keys.dtype}, not 12 bytes or 24 hex digits")
    return raw[:, :8].copy().view(">u8").ravel().astype(np.uint64), raw[:, 8:].copy().view(">u4").ravel()


def key_rows(old: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Each key's row among the old keys (-1 where it is not one of them).

    Compared as numbers (``key_numbers``), and only the new keys are sorted: adding one statement
    to a million paragraphs looks up its few dozen keys among 4.5 million in one pass, without
    sorting the 4.5 million (which took 3 of the 11 seconds of such an addition)."""
    if not len(keys) or not len(old):
        return np.full(len(keys), -1, dtype=np.int64)
    (high, low), (old_high, old_low) = key_numbers(keys), key_numbers(old)
    wanted, inverse = np.unique(high, return_inverse=True)
    at = np.minimum(np.searchsorted(wanted, old_high), len(wanted) - 1)
    found = np.flatnonzero(wanted[at] == old_high)
    row_of = np.full(len(wanted), -1, dtype=np.int64)
    row_of[at[found]] = found  # of old keys repeated (the same text twice), any one serves
    rows = row_of[inverse.ravel()]
    same = rows >= 0
    same[same] = old_low[rows[same]] == low[same]
    return np.where(same, rows, -1)


def passage_vectors(settings: Settings, embedders: list[Embedder], texts: list[str], keys: np.ndarray, scratch: Path,
                    progress: bool, encoder) -> tuple[list[np.ndarray], int]:
    """Each model's vectors of the texts (reused from the last build where it embedded the same
    text, embedded otherwise), and how many were reused in all."""
    vectors = [vector_matrix(len(texts), e.dimension, scratch) for e in embedders]
    reuse = Reuse(settings.index_dir, embedders, sort=False)
    return vectors, fill_vectors(settings, embedders, texts, vectors, reuse, reuse.rows(keys), progress, encoder)


def vector_matrix(rows: int, dimension: int, scratch: Path) -> np.ndarray:
    """A build's matrix of passage vectors: in memory, or past ``MATRIX_IN_MEMORY`` bytes a file in
    the build's scratch folder, mapped into memory, so that the pages already written can leave
    memory (a million-paragraph collection has millions of passage vectors per model)."""
    if rows * dimension * 4 <= MATRIX_IN_MEMORY:
        return np.empty((rows, dimension), dtype=np.float32)
    scratch.mkdir(parents=True, exist_ok=True)
    path = scratch / f"vectors-{len(list(scratch.iterdir()))}.npy"
    return np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(rows, dimension))


def check_vectors(embedder: Embedder, vectors: np.ndarray, texts: list[str]) -> None:
    """Stop a build whose model gave vectors with NaN or infinite values, or of length 0.

    Raises:
        ModelError: naming the model, how many texts and the first one, and what to do.
    """
    bad = _unusable(vectors)
    if len(bad):
        _refuse(embedder, len(bad), len(texts), texts[bad[0]])


def _unusable(vectors: np.ndarray) -> np.ndarray:
    """Rows with NaN or infinite values (or values so large their squares overflow), or of length 0.

    One pass: a row's sum of squares is NaN or infinite when any of its values is. (Checking the
    values, then taking the norms, read a million paragraphs' vectors three times: about 30 s.)"""
    squares = np.einsum("ij,ij->i", vectors, vectors)
    return np.flatnonzero(~(np.isfinite(squares) & (squares >= 1e-12)))


def _refuse(embedder: Embedder, bad: int, total: int, first: str) -> None:
    raise ModelError(
        f"model {embedder.name!r} gave unusable vectors (NaN, infinite or all zero) for {bad} of "
        f"{total} passages, the first: {first[:80]!r}; its weights may be damaged: reinstall "
        f"or re-export the model, or choose another with QA_MODEL")


def unknown_abbreviations(embedder: Embedder, aliases) -> list[tuple[str, str]]:
    """(abbreviation, long form) for the abbreviations of the alias groups that this model does not
    know: questions are embedded with the long form beside such an abbreviation ("FTF returns
    (foreign terrorist fighters)"), since a model that has not learnt "FTF" reads it as noise.

    An abbreviation is a spelling without spaces or lower-case letters; its long form is the first
    spelling of its group with several words. The model knows it when the abbreviation's question
    vector is nearer its own long form than the other groups' long forms are, by
    ``KNOWN_ABBREVIATION_Z`` standard deviations of those others.
    """
    groups = [(next((s for s in g if " " in s), None), [s for s in g if " " not in s and s == s.upper()])
              for g in aliases]
    groups = [(long, shorts) for long, shorts in groups if long and shorts]
    if len(groups) < MIN_LONG_FORMS:
        return []
    shorts = [s for _, ss in groups for s in ss]
    vectors = embedder.encode([long for long, _ in groups] + shorts, query=True)
    vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
    longs, abbreviations = vectors[:len(groups)], vectors[len(groups):]
    out, row = [], 0
    for own, (long, ss) in enumerate(groups):
        for short in ss:
            sims = longs @ abbreviations[row]
            others = np.delete(sims, own)
            if (sims[own] - others.mean()) / max(float(others.std()), 1e-6) < KNOWN_ABBREVIATION_Z:
                out.append((short, long))
            row += 1
    return out


def _near_duplicates(vectors: np.ndarray, rows: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    """Each query's k nearest among some rows of the vectors (positions in ``rows``; -1 where
    there are fewer), for finding repeats: past the exact-search size through an IVF index
    probing ``TWIN_NPROBE`` lists, since a repeat lies in or next to its own list."""
    return DenseIndex.build(vectors, rows).nearest(queries, k, nprobe=TWIN_NPROBE)


def repeated(margins: np.ndarray, days: list, when, tie: float) -> int:
    """Which candidate statement sentence a news sentence repeats (an index into ``margins``), or -1:
    the candidates within ``tie`` of the best margin above the threshold, the one dated closest to
    the report first, then the higher margin. ``days``: each candidate's date; ``when``: the report's."""
    best = float(margins.max()) if len(margins) else -1.0
    if best < 0:
        return -1
    tied = np.flatnonzero(margins >= best - tie)
    return int(min(tied.tolist(), key=lambda c: (abs((days[c] - when).days), -float(margins[c]))))


def twins(collection: Collection, passages: list[Passage], vectors: np.ndarray | list[np.ndarray],
          threshold: float | list[float], tie: float) -> list[tuple[str, str]]:
    """(news paragraph, official paragraph) pairs: each news paragraph and the official ones it repeats (``links``)."""
    return links(collection, passages, vectors, threshold, tie)[0]


def sentence_rows(collection: Collection, passages: list[Passage]) -> tuple[np.ndarray, np.ndarray]:
    """The rows of the news reports' sentences and of the official statements' sentences."""
    docs = {d.id: d for d in collection.documents}
    if isinstance(passages, Placements):
        return passages.sentence_rows({d: doc.source_type for d, doc in docs.items()})
    kinds = np.array([p.kind == "sentence" and docs[p.doc_id].source_type for p in passages], dtype=object)
    return np.flatnonzero(kinds == "news"), np.flatnonzero(kinds == "official")


def nearest_official(dense: DenseIndex, vectors: np.ndarray, news: np.ndarray, official: np.ndarray) -> np.ndarray:
    """Each news sentence's nearest official sentences (positions in ``official``, -1 where there
    are fewer) searched in the index of every passage, restricted to the official sentences, so
    no second index is built for the repeats. ``vectors``: the index's vectors (one model's)."""
    if not len(news) or not len(official):
        return np.zeros((len(news), 0), dtype=np.int64)
    allowed = np.zeros(dense.size, dtype=bool)
    allowed[official] = True
    out = []
    for at in range(0, len(news), TWIN_QUERY_SLICE):
        rows = dense.nearest(vectors[news[at:at + TWIN_QUERY_SLICE]], min(TWIN_CANDIDATES, len(official)),
                             nprobe=TWIN_NPROBE, allowed=allowed)
        out.append(np.where(rows >= 0, np.searchsorted(official, np.maximum(rows, 0)), -1))
    return np.concatenate(out)


def links(collection: Collection, passages: list[Passage], vectors: np.ndarray | list[np.ndarray],
          threshold: float | list[float], tie: float,
          near: list[np.ndarray] | None = None) -> tuple[list[tuple[str, str]], Repeats]:
    """(news paragraph, official paragraph) pairs: each news paragraph and the official ones it
    repeats; and what was weighed to choose them (``Repeats``).

    A news sentence repeats an official sentence when their cosine similarity reaches ``threshold``
    in any model's space (each model with its own threshold: its similarities are measured as
    the margin above it); among official sentences within ``tie`` of its best match, the one
    dated closest to the report wins. A report that quotes two paragraphs of a statement is
    linked to both.

    Args:
        near: each model's nearest official sentences of each news sentence (``nearest_official``),
            when the passages' indexes have been searched already; None: found here, through an
            index of the official sentences of each model's own.
    """
    views = vectors if isinstance(vectors, list) else [vectors]
    thresholds = threshold if isinstance(threshold, list) else [threshold] * len(views)
    docs = {d.id: d for d in collection.documents}
    news, official = sentence_rows(collection, passages)
    if not len(news) or not len(official):
        return [], Repeats.gathered(np.zeros(0, dtype=np.int64), [], [])
    # Each news sentence's nearest official sentences in each model's space (a FAISS search, so the
    # cost is not news x official), then the exact margins of those candidates in every space.
    if near is None:
        near = [_near_duplicates(v, official, v[news], min(TWIN_CANDIDATES, len(official))) for v in views]
    day = {d.id: d.date_range[0] for d in docs.values()}
    pairs: dict[tuple[str, str], None] = {}  # each pair once, in the order first found
    kept_news, kept_rows, kept_margins = [], [], []
    for row, i in enumerate(news):
        if row and row % RELEASE_EVERY_NEWS == 0:  # vectors read from a vector file: let them go
            for v in views:
                release(v)
        cands = np.unique(np.concatenate([n[row] for n in near]))
        cands = cands[cands >= 0]
        sims = np.max([v[official[cands]] @ v[i] - t for v, t in zip(views, thresholds)], axis=0)
        within = sims >= -tie
        if within.any():
            kept_news.append(i)
            kept_rows.append(official[cands[within]])
            kept_margins.append(sims[within])
        pick = repeated(sims, [day[passages[official[c]].doc_id] for c in cands], day[passages[i].doc_id], tie)
        if pick < 0:
            continue
        j = cands[pick]
        pairs.setdefault((passages[i].paragraph_id, passages[official[j]].paragraph_id))
    # Grouped by news paragraph, in the order each was first linked.
    first = {}
    for n, _ in pairs:
        first.setdefault(n, len(first))
    return sorted(pairs, key=lambda p: first[p[0]]), Repeats.gathered(np.array(kept_news, dtype=np.int64), kept_rows, kept_margins)


def build_index(settings: Settings, collection: Collection, profile: Profile, embedder: Embedder | list[Embedder], *,
                progress: bool = True, encoder: Callable[[Embedder, list[str]], np.ndarray] | None = None,
                grow: bool = True) -> BuildReport:
    """Embed (with each model) and index the collection, and make the new build current (atomically).

    Args:
        encoder: what embeds the passages the last build did not have, given a model and the
            texts (default: here, in batches; ``qa.ray_embed.embed`` spreads it over Ray workers).
        grow: when the collection is the last full build's documents followed by new ones, index
            only those beside it (``qa.grow``; the report's ``grown`` says so). False: a full build.
    """
    embedders = embedder if isinstance(embedder, list) else [embedder]
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    # The vector files of a large build (``vector_matrix``); left over after a crash, it is removed
    # with the other .tmp- folders by the next build.
    scratch = Path(tempfile.mkdtemp(prefix=".tmp-vectors-", dir=settings.index_dir))
    try:
        if grow:
            from qa import grow as growing

            growth = growing.plan(settings, collection, profile, embedders)
            if growth is not None:
                return growing.grow(settings, collection, profile, embedders, growth, progress, encoder, scratch)
        return _build(settings, collection, profile, embedders, progress, encoder, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def document_key(doc) -> str:
    """What a document's share of a build depends on: its metadata and its file's bytes."""
    fields = [doc.id, doc.title, doc.issuer, doc.place, doc.date, doc.source_type, doc.url, list(doc.place_aliases),
              doc.sha256]
    return hashlib.sha256(json.dumps(fields, ensure_ascii=False).encode("utf-8")).hexdigest()


def embed_texts(settings: Settings, collection: Collection, passages: list[Passage], docs: dict | None = None) -> list[str]:
    """What each passage is embedded as: a piece with its document's context line, if so set.
    ``docs``: the collection's documents by id, where the caller has them already."""
    docs = docs if docs is not None else {d.id: d for d in collection.documents}
    return [f"{context_line(docs[p.doc_id])} {p.text}" if settings.build.dense_context and p.kind == "piece" else p.text
            for p in passages]


def paragraph_views(settings: Settings, analyzer: Analyzer, pairs,
                    analysed: tuple[list[list[str]], Counter] | None = None) -> tuple[list, list, Counter]:
    """Each paragraph's BM25 words and word pairs, and the paragraphs' words counted
    (``spell.words_of``: for ``collection_words``). Their records are ``paragraph_records``'.

    A paragraph's words are its document's context line's words, then its own: the line ends a
    sentence, so no alias or word runs across it, and each paragraph's text is analysed once
    (analysing the line with every paragraph took a quarter of a million paragraphs' build).
    A large collection's paragraphs are analysed in worker processes (``qa.workers``).

    Args:
        analysed: the paragraphs' texts' ``workers.terms_and_words``, where the caller has had them
            made already; None: made here."""
    text_terms, words = (analysed if analysed is not None
                         else workers.terms_and_words(analyzer, [para.text for _, para in pairs]))
    phrase_terms = [word_pairs(t) for t in text_terms]
    if settings.build.lexical_context:
        lines: dict[str, list[str]] = {}
        for doc, _ in pairs:
            if doc.id not in lines:
                lines[doc.id] = analyzer.paragraph_terms([context_line(doc)])[0]
        word_terms = [lines[doc.id] + terms for (doc, _), terms in zip(pairs, text_terms)]
    else:
        word_terms = text_terms
    return word_terms, phrase_terms, words


def paragraph_records(pairs) -> list[ParagraphRecord]:
    """Each paragraph's record: what filters read (its document, kind, dates and number). Each
    document's days are worked out once, not twice for each of its paragraphs."""
    days: dict[str, tuple[int, int]] = {}
    out = []
    for doc, para in pairs:
        if doc.id not in days:
            days[doc.id] = tuple(day.toordinal() for day in doc.date_range)
        out.append(ParagraphRecord(para.id, doc.id, doc.source_type, *days[doc.id], para.number))
    return out


@dataclass(frozen=True, slots=True)
class Placed:
    """A passage without its id and text: its paragraph, document and kind, all a build reads of
    it once the store's tables hold the rest (``Placements``)."""

    paragraph_id: str
    doc_id: str
    kind: str


class Placements:
    """Where each passage of a streamed build stands (``Placed``), kept as numbers: its paragraph's
    row and whether it is a sentence (a million paragraphs' 4.5 million passages: 23 MB, where
    as objects they took 300 MB), with each paragraph's id and document."""

    def __init__(self):
        self._rows, self._sentence, self._paragraphs, self._doc_of = [], [], [], []
        self._docs: dict[str, int] = {}

    def add(self, passages: list[Passage], pairs) -> None:
        """A group's passages, and the paragraphs they belong to (in order, as the group's)."""
        first = len(self._paragraphs)
        row_of = {para.id: first + i for i, (_, para) in enumerate(pairs)}
        for doc, para in pairs:
            self._paragraphs.append(para.id)
            self._doc_of.append(self._docs.setdefault(doc.id, len(self._docs)))
        self._rows.append(np.fromiter((row_of[p.paragraph_id] for p in passages), dtype=np.int32, count=len(passages)))
        self._sentence.append(np.fromiter((p.kind == "sentence" for p in passages), dtype=bool, count=len(passages)))

    def close(self) -> "Placements":
        self._rows = np.concatenate(self._rows) if self._rows else np.zeros(0, dtype=np.int32)
        self._sentence = np.concatenate(self._sentence) if self._sentence else np.zeros(0, dtype=bool)
        self._doc_of = np.array(self._doc_of, dtype=np.int32)
        self._doc_ids = list(self._docs)
        return self

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, i: int) -> Placed:
        row = int(self._rows[i])
        return Placed(self._paragraphs[row], self._doc_ids[int(self._doc_of[row])],
                      "sentence" if self._sentence[i] else "piece")

    def sentence_rows(self, kinds: dict[str, str]) -> tuple[np.ndarray, np.ndarray]:
        """``sentence_rows``, from the numbers: ``kinds`` each document's source type."""
        kind_of_doc = np.array([kinds[d] for d in self._doc_ids], dtype=object)
        kind = kind_of_doc[self._doc_of[self._rows]] if len(self._rows) else np.zeros(0, dtype=object)
        return np.flatnonzero(self._sentence & (kind == "news")), np.flatnonzero(self._sentence & (kind == "official"))


def manifest_of(settings: Settings, profile: Profile, embedders: list[Embedder], collection: Collection,
                paragraphs: int, passages: int, learnt: int) -> dict:
    return {
        "package_version": __version__,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "model": "+".join(e.name for e in embedders),
        "model_fingerprint": model_fingerprint(embedders),
        "model_fingerprints": [e.fingerprint for e in embedders],
        "dimensions": [e.dimension for e in embedders],
        "corpus_dir": str(settings.corpus_dir),
        "corpus_fingerprint": collection.fingerprint,
        "build_settings": build_record(settings, profile),
        "query_settings": settings.query.record(),
        "counts": {"documents": len(collection.documents), "paragraphs": paragraphs, "passages": passages,
                   "acronyms": learnt},
        "documents": [document_key(d) for d in collection.documents],  # what a later build may grow from
    }


def twin_thresholds(settings: Settings, embedders: list[Embedder]) -> list[float]:
    """Each model's similarity from which a news sentence repeats a statement's (``twins``)."""
    return [settings.build.twin_threshold or e.similar for e in embedders]


def term_counts(word_terms: list[list[str]]) -> Counter:
    """How many paragraphs each BM25 word occurs in (terms.json)."""
    return Counter(t for terms in word_terms for t in set(terms))


def collection_words(paragraph_words: Counter, documents) -> Counter:
    """The words misspellings are matched to: the paragraphs' (counted by ``paragraph_views``) and
    the documents' titles' and places'."""
    return paragraph_words + spell.words_of([f"{d.title} {d.place}" for d in documents])


def word_table(settings: Settings, analyzer: Analyzer, embedders: list[Embedder], words: Counter,
               reuse: "related.WordTable | None" = None) -> "related.WordTable | None":
    """The collection's words in the space of the first model with a level for related words
    (``qa.related``), or None when no model has one or the settings ask for none."""
    view = related.view_of(embedders)
    limit = settings.build.related_vocabulary
    if view is None or limit == 0:
        return None
    chosen = related.table_words((w for w, _ in words.most_common()), lambda w: bool(analyzer.canonical_terms(w)), limit)
    return related.WordTable.build(embedders[view], chosen, reuse=reuse)


def last_word_table(index_dir: Path) -> "related.WordTable | None":
    """The word table of the build in use (``qa.related``), or None where there is none to reuse."""
    try:
        return related.WordTable.load(store.current_build(index_dir))
    except StoreError:  # no build, or a damaged one: embed every word
        return None


def mean_length(term_lists: "list[list[str]] | TermLists") -> float:
    lengths = term_lists.lengths if isinstance(term_lists, TermLists) else [len(t) for t in term_lists]
    return float(np.mean(lengths)) if len(lengths) else 0.0


class RowFile:
    """Rows of one type appended a group at a time to an .npy file in a build's scratch folder,
    its header written first for no rows and rewritten for all of them at the end (numpy leaves
    room in it for a first axis of any length). Read back as one array: mapped from the file past
    ``MATRIX_IN_MEMORY`` bytes (a million paragraphs' vectors: 6.9 GB a model), so that a FAISS
    index's full vectors can be that file, linked, not copied; in memory below. Or moved whole."""

    def __init__(self, path: Path, dtype, width: int | None = None):
        self.path, self.dtype, self.width, self.rows = path, np.dtype(dtype), width, 0
        self._file = open(path, "wb")
        self._header = self._write_header(self._file)

    def _write_header(self, f) -> int:
        np.lib.format.write_array_header_1_0(f, {"descr": np.lib.format.dtype_to_descr(self.dtype),
                                                 "fortran_order": False,
                                                 "shape": (self.rows, self.width) if self.width else (self.rows,)})
        return f.tell()

    def append(self, rows: np.ndarray) -> None:
        np.ascontiguousarray(rows, dtype=self.dtype).tofile(self._file)
        self.rows += len(rows)

    def _close(self) -> None:
        if not self._file.closed:
            self._file.seek(0)
            if self._write_header(self._file) != self._header:  # numpy's room for the length: never short
                raise ValueError(f"the header of {self.path} changed length")
            self._file.close()

    def array(self) -> np.ndarray:
        self._close()
        if self.rows * self.dtype.itemsize * (self.width or 1) <= MATRIX_IN_MEMORY:
            return np.load(self.path)
        return np.load(self.path, mmap_mode="r+")

    def save(self, target: Path) -> None:
        """Move the finished .npy file to ``target`` (same disk)."""
        self._close()
        os.replace(self.path, target)


class Reuse:
    """The vectors of the build in use, to be copied into a new build where the same model
    embedded the same text (same fingerprint).

    Args:
        sort: sort the old keys once, and look each call's up among them (a build that takes its
            passages a group at a time); False: compare them with each call's keys (``key_rows``:
            one lookup of a few keys, as adding a statement makes)."""

    def __init__(self, index_dir: Path, embedders: list[Embedder], sort: bool = True):
        from qa.retrieve.local import open_dense

        self._views: list = [None] * len(embedders)
        self._old = self._high = None
        try:
            folder = store.current_build(index_dir)
            fingerprints = store.read_manifest(folder).get("model_fingerprints", [])
            self._old = np.load(folder / "embed_keys.npy")
            if sort:
                high, self._low = key_numbers(self._old)
                self._order = np.argsort(high, kind="stable")
                self._high, self._old = high[self._order], None
            self._views = [open_dense(folder, view) if view < len(fingerprints) and fingerprints[view] == e.fingerprint
                           else None for view, e in enumerate(embedders)]
        except Exception:  # no build, another format, another model: embed everything
            self._views, self._old, self._high = [None] * len(embedders), None, None

    def rows(self, keys: np.ndarray) -> np.ndarray:
        """Each key's row in the build in use (-1 where it has none)."""
        if not any(v is not None for v in self._views):
            return np.full(len(keys), -1, dtype=np.int64)
        if self._old is not None:
            try:
                return key_rows(self._old, keys)
            except ValueError:  # keys of another format: embed everything
                return np.full(len(keys), -1, dtype=np.int64)
        if self._high is None or not len(self._high) or not len(keys):
            return np.full(len(keys), -1, dtype=np.int64)
        high, low = key_numbers(keys)
        at = np.minimum(np.searchsorted(self._high, high), len(self._high) - 1)
        rows = self._order[at]
        return np.where((self._high[at] == high) & (self._low[rows] == low), rows, -1)

    def missing(self, rows: np.ndarray) -> int:
        """How many vectors, over all models, a group with these ``rows`` still needs embedded."""
        return sum(len(rows) if view is None else int((rows < 0).sum()) for view in self._views)

    def fill(self, view: int, matrix: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Copy the old vectors of one model into the matrix; returns which rows were filled."""
        found = rows >= 0
        if self._views[view] is None:
            return np.zeros(len(rows), dtype=bool)
        at = np.flatnonzero(found)
        for start in range(0, len(at), REUSE_SLICE):
            part = at[start:start + REUSE_SLICE]
            matrix[part] = self._views[view].vectors(rows[part])
        return found


def fill_vectors(settings: Settings, embedders: list[Embedder], texts: list[str], matrices: list[np.ndarray],
                 reuse: Reuse, rows: np.ndarray, progress: bool, encoder, bar=None) -> int:
    """Fill each model's matrix with the texts' vectors: the build in use's where ``rows`` (its
    ``Reuse.rows``) finds them, embedded otherwise (here, or by ``encoder``); returns how many
    were reused in all. ``bar``: a progress bar to count on (``embed``)."""
    reused = 0
    for view, (e, matrix) in enumerate(zip(embedders, matrices)):
        found = reuse.fill(view, matrix, rows)
        new = np.flatnonzero(~found)
        if len(new):
            todo = [texts[i] for i in new]
            if encoder is None:
                embed(e, todo, settings.build.embed_batch, progress, out=matrix, rows=new, bar=bar)
            else:
                made = encoder(e, todo)
                check_vectors(e, made, todo)
                matrix[new] = made
                if bar is not None:
                    bar.update(len(todo))
        reused += int(found.sum())
        release(matrix)
    return reused


def _build(settings: Settings, collection: Collection, profile: Profile, embedders: list[Embedder], progress: bool,
           encoder, scratch: Path) -> BuildReport:
    """A full build of the FAISS store, taking the collection ``STREAM_PARAGRAPHS`` paragraphs at
    a time: each group's passages are made, embedded (or their vectors reused), written to the
    store's tables and let go, and its texts handed to the word analysis (``workers.Analysis``,
    in worker processes meanwhile); what stays is numbers: where each passage stands
    (``Placements``), the vectors (a file past ``MATRIX_IN_MEMORY``), the terms (``TermLists``).
    So a build's memory does not hold every passage, text or term list at once (a million
    paragraphs: peak 5.5 GB when it did)."""
    if settings.build.store != "faiss":
        return _build_whole(settings, collection, profile, embedders, progress, encoder, scratch)
    from tqdm import tqdm

    from qa.chunk import paragraph_passages
    from qa.retrieve.local import TableWriter

    started = time.perf_counter()
    b = settings.build
    learnt = (acronyms.definitions(para.text for pairs in collection.paragraph_groups(STREAM_PARAGRAPHS)
                                   for _, para in pairs) if b.learn_acronyms else [])
    analyzer = Analyzer(profile, tuple(learnt))
    docs = {d.id: d for d in collection.documents}
    tables = scratch / "tables"
    tables.mkdir()
    writer, placed, reuse = TableWriter(tables), Placements(), Reuse(settings.index_dir, embedders)
    sinks = [RowFile(scratch / f"vectors-{view}.npy", np.float32, e.dimension) for view, e in enumerate(embedders)]
    keys = RowFile(scratch / "embed_keys.part.npy", KEY_TYPE)
    line_of: dict[str, int] = {}  # each document's context line's row
    paragraph_lines: list[int] = []  # each paragraph's
    reused = pending = seen = 0
    total = sum(len(d.paragraphs) for d in collection.documents)
    with workers.Analysis(analyzer, total) as analysis, \
            tqdm(desc="Embedding passages", unit="passage", disable=not progress, file=sys.stderr,
                 delay=1) as bar:  # shown once a passage is embedded: not at all when every vector is reused
        for pairs in collection.paragraph_groups(STREAM_PARAGRAPHS):
            analysis.add([para.text for _, para in pairs])
            passages = [p for _, para in pairs for p in paragraph_passages(para, b.piece_chars, b.piece_overlap)]
            texts = embed_texts(settings, collection, passages, docs)
            group_keys = embed_keys(texts)
            made = [np.empty((len(texts), e.dimension), dtype=np.float32) for e in embedders]
            rows = reuse.rows(group_keys)
            need, seen = reuse.missing(rows), seen + len(pairs)
            if need:  # the bar's total: the groups so far, scaled to the whole collection (exact at its end)
                pending += need
                bar.total = pending if seen >= total else max(pending, round(pending * total / seen))
            reused += fill_vectors(settings, embedders, texts, made, reuse, rows, progress, encoder, bar)
            for sink, matrix in zip(sinks, made):
                sink.append(matrix)
            keys.append(group_keys)
            writer.add(passages, paragraph_records(pairs))
            placed.add(passages, pairs)
            paragraph_lines.extend(line_of.setdefault(doc.id, len(line_of)) for doc, _ in pairs)
            del passages, texts, made, group_keys, pairs, rows
        text_terms, paragraph_words = analysis.result()
    placed.close()
    writer.close()
    keys_file = scratch / "embed_keys.npy"
    keys.save(keys_file)
    phrase_terms = text_terms.pairs()
    word_terms = text_terms
    if b.lexical_context:
        lines = TermLists.encode(analyzer.paragraph_terms([context_line(docs[d]) for d in line_of]))
        word_terms = text_terms.prefixed(lines, np.array(paragraph_lines, dtype=np.int64))
    del text_terms, paragraph_lines
    words = collection_words(paragraph_words, collection.documents)
    lengths = {"words": mean_length(word_terms), "phrases": mean_length(phrase_terms)}
    paragraphs = len(word_terms)
    # The word views first, so that their terms leave memory before the passages' indexes are
    # built, then the passages' indexes: the search for repeats uses them.
    counts: Counter = Counter()
    lexical_files = LocalStore.build_lexical(scratch, word_terms, phrase_terms, counted=counts.update)
    del word_terms, phrase_terms
    vectors = [sink.array() for sink in sinks]
    news, official = sentence_rows(collection, placed)
    near: list[np.ndarray] = []
    dense_files = LocalStore.build_dense(scratch, vectors, lambda dense, matrix: near.append(
        nearest_official(dense, matrix, news, official)))
    pairs_linked, repeats = links(collection, placed, vectors, twin_thresholds(settings, embedders), b.twin_tie,
                                  near=near)
    for matrix in vectors:
        release(matrix)
    long_forms = [unknown_abbreviations(e, analyzer.aliases) for e in embedders]
    table = word_table(settings, analyzer, embedders, words, reuse=last_word_table(settings.index_dir))
    manifest = manifest_of(settings, profile, embedders, collection, paragraphs, len(placed), len(learnt))

    def write(folder: Path) -> dict:
        kind = write_store(b.store, folder, placed, vectors, None, None, None, b.milvus_uri, dense_files,
                           lexical_files, tables)
        _write_build_files(folder, pairs_linked, repeats, paragraphs, counts, lengths, words, learnt, long_forms,
                           keys_file, table)
        return {"dense_index": kind}

    folder = store.write_build(settings.index_dir, manifest, write, busy=scratch)
    return BuildReport(folder, len(placed), paragraphs, time.perf_counter() - started, len(learnt), reused,
                       len(placed) * len(embedders) - reused)


def _write_build_files(folder: Path, pairs_linked, repeats: Repeats, paragraphs: int, counts: Counter, lengths: dict,
                       words: Counter, learnt, long_forms, keys_file: Path, table) -> None:
    """The files of a full build beside its store's."""
    (folder / "links.json").write_text(json.dumps({"twins": pairs_linked}), encoding="utf-8")
    repeats.save(folder)
    (folder / "terms.json").write_text(json.dumps({"paragraphs": paragraphs, "counts": counts, "lengths": lengths}),
                                       encoding="utf-8")
    (folder / "words.json").write_text(json.dumps(dict(words.most_common()), ensure_ascii=False), encoding="utf-8")
    (folder / "acronyms.json").write_text(json.dumps({"groups": learnt}, ensure_ascii=False), encoding="utf-8")
    (folder / "long_forms.json").write_text(json.dumps({"models": long_forms}, ensure_ascii=False), encoding="utf-8")
    os.replace(keys_file, folder / "embed_keys.npy")
    if table is not None:
        table.save(folder)


def _build_whole(settings: Settings, collection: Collection, profile: Profile, embedders: list[Embedder], progress: bool,
                 encoder, scratch: Path) -> BuildReport:
    """A build of a store that takes every passage at once (Milvus): the collection in memory."""
    started = time.perf_counter()
    b = settings.build
    pairs = collection.paragraphs()
    learnt = acronyms.definitions(para.text for _, para in pairs) if b.learn_acronyms else []
    analyzer = Analyzer(profile, tuple(learnt))
    # A large collection's paragraphs are analysed by worker processes while this one makes the
    # passages and their vectors (100,000 synthetic paragraphs: build 67 s, from 73 s, medians of 4).
    with workers.analysing(analyzer, [para.text for _, para in pairs]) as analysed:
        passages = make_passages(collection, b.piece_chars, b.piece_overlap)
        texts = embed_texts(settings, collection, passages)
        keys = embed_keys(texts)
        vectors, reused = passage_vectors(settings, embedders, texts, keys, scratch, progress, encoder)
        del texts  # the passages' own texts stay (for the store); these copies with context lines are done
        keys_file = scratch / "embed_keys.npy"  # written now and let go (1M paragraphs: 430 MB)
        np.save(keys_file, keys)
        del keys
        records = paragraph_records(pairs)
        word_terms, phrase_terms, paragraph_words = paragraph_views(settings, analyzer, pairs, analysed())
    counts = term_counts(word_terms)
    words = collection_words(paragraph_words, collection.documents)
    lengths = {"words": mean_length(word_terms), "phrases": mean_length(phrase_terms)}
    pairs_linked, repeats = links(collection, passages, vectors, twin_thresholds(settings, embedders), b.twin_tie)
    for matrix in vectors:
        release(matrix)
    long_forms = [unknown_abbreviations(e, analyzer.aliases) for e in embedders]
    table = word_table(settings, analyzer, embedders, words, reuse=last_word_table(settings.index_dir))
    manifest = manifest_of(settings, profile, embedders, collection, len(pairs), len(passages), len(learnt))

    def write(folder: Path) -> dict:
        kind = write_store(b.store, folder, passages, vectors, records, word_terms, phrase_terms, b.milvus_uri)
        _write_build_files(folder, pairs_linked, repeats, len(pairs), counts, lengths, words, learnt, long_forms,
                           keys_file, table)
        return {"dense_index": kind}

    folder = store.write_build(settings.index_dir, manifest, write, busy=scratch)
    return BuildReport(folder, len(passages), len(pairs), time.perf_counter() - started, len(learnt), reused,
                       len(passages) * len(embedders) - reused)
