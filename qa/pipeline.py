"""The engine: load (or build) the index, and answer questions through the stages.

    engine = Engine.load()                       # builds the index first if it is missing or stale
    answer = engine.search("what did the Coalition say about detainees in northeast Syria?")
    answer.hits[0].citation                      # 'Joint Communiqué ..., Rome, 28 June 2021, para 7'

A search runs: intent (``Query``) -> store views (dense, words, phrases, filtered inside) ->
candidates -> fuse -> rank -> abstain -> highlight -> ``Answer``.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, replace
from functools import lru_cache
import math
import re
import sys
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from qa import abstain, highlight, language, rank, related, store
from qa.analyze import Analyzer, WordPattern, with_long_forms, without_possessive, word_pairs
from qa.build import build_index, build_record, model_fingerprint
from qa.config import Rebuild, Settings, Thesaurus
from qa.corpus import SOURCE_TYPES, Collection, load_collection
from qa.embed import HASHING, Embedder, load_embedders
from qa.errors import CorpusError, ModelError, QueryError, StoreError
from qa.fuse import fuse_candidates, minmax
from qa.intent import Intent, normalise
from qa.profile import Profile, load_profile
from qa.rerank import Reranker, load_reranker
from qa.spell import Speller
from qa.retrieve import PassageStore, open_store
from qa.retrieve.local import BASE
from qa.types import NO_DOCUMENT_NOTE, Answer, Candidates, Filters, Hit, Query, Ranking, Verdict

MAX_K = 100
PARSED = "parsed"  # folder of the index folder where each file's parse is kept (qa.corpus.load_collection)


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _strings(value, name: str, allowed) -> tuple[str, ...]:
    """One string or a list of strings as a tuple, or a QueryError naming the argument."""
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return (value,)
    items = tuple(value) if isinstance(value, (list, tuple, set, frozenset)) else None
    if items is None or not all(isinstance(v, str) for v in items):
        raise QueryError(f"{name}={value!r} is not a list of names; give names from: {', '.join(allowed)}")
    return items


# An answer names the plain words the collection never uses only when abstention is less sure than
# this that the question is answerable (four to one).
WORD_CAVEAT_BELOW = 0.8
WORD_VECTORS_KEPT = 4096  # question words looked up for related words, kept with their vectors (then cleared)
_HYPHENS = re.compile(r"[-‐‑–]")  # what joins a compound's parts ("nuclear-armed")
OFFICIAL = Filters(source_types=("official",))  # the statements, without the news reports


@dataclass(frozen=True)
class Quoted:
    """The paragraphs that write a question's quoted words as they stand, and what the answer says."""

    holders: tuple[str, ...]
    said: tuple[str, ...]


class Engine:
    """A loaded index, model and collection, ready to answer questions. Build with ``Engine.load``."""

    def __init__(self, settings: Settings, collection: Collection, profile: Profile,
                 embedder: Embedder | list[Embedder], folder: Path, reranker: Reranker | None = None):
        self.embedders = embedder if isinstance(embedder, list) else [embedder]
        self.embedder = self.embedders[0]  # the first model: passages' highlights, the peers' model
        self.collection, self.profile, self.reranker, self.folder = collection, profile, reranker, folder
        self.manifest = store.read_manifest(folder)
        if self.manifest.get("corpus_fingerprint") != collection.fingerprint:
            raise StoreError(f"index in {folder} was built from another corpus; run: python -m qa build")
        self.store: PassageStore = open_store(self.manifest["build_settings"].get("store", "faiss"), folder,
                                              len(self.embedders))
        try:
            self.twins = [tuple(p) for p in json.loads((folder / "links.json").read_text(encoding="utf-8"))["twins"]]
            terms = json.loads((folder / "terms.json").read_text(encoding="utf-8"))
            words = json.loads((folder / "words.json").read_text(encoding="utf-8"))
            learnt = tuple(tuple(g) for g in json.loads((folder / "acronyms.json").read_text(encoding="utf-8"))["groups"])
            long_forms = json.loads((folder / "long_forms.json").read_text(encoding="utf-8"))["models"]
            if len(long_forms) != len(self.embedders):
                raise ValueError(f"long_forms.json has {len(long_forms)} models, the index {len(self.embedders)}")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise StoreError(f"index in {folder} cannot be read ({exc}); run: python -m qa build") from None
        self._twins_of = rank.group_twins(self.twins)
        # Per model: the abbreviations it does not know, embedded with their long forms.
        self._long_forms = [[(WordPattern(short), long, WordPattern(long)) for short, long in model]
                            for model in long_forms]
        total = max(int(terms["paragraphs"]), 1)
        self._share = {t: n / total for t, n in terms["counts"].items()}
        # BM25's inverse document frequency (Lucene's, as bm25s computes it): a term's score
        # approaches it as the term repeats, so a query's scores approach their sum.
        # A grown build (qa.grow) scores every paragraph's words with its base's statistics: so does this.
        scored = terms if not (folder / BASE / "terms.json").is_file() else json.loads(
            (folder / BASE / "terms.json").read_text(encoding="utf-8"))
        scored_total = max(int(scored["paragraphs"]), 1)
        self._bm25_idf = {t: float(np.log(1 + (scored_total - n + 0.5) / (n + 0.5))) for t, n in scored["counts"].items()}
        self._unknown_idf = float(np.log(1 + (scored_total + 0.5) / 0.5))  # a word no paragraph has
        # Inverse document frequency of each word, so a rare word shared with a sentence ("2396")
        # marks it more than a common one ("UNSCR") when choosing the highlight.
        self.idf = {t: float(np.log(1.0 + 1.0 / share)) for t, share in self._share.items() if share > 0}
        self.vocabulary = frozenset(self._share)
        self.analyzer = Analyzer(profile, learnt)
        stem = self.analyzer.stem
        self._opposite_stems = {frozenset((stem(a), stem(b))) for a, b in profile.opposites}
        self.speller = Speller(words, keep=lambda: profile.language_words() | profile.framing_words,
                               also=self.analyzer.alias_words, variants=profile.spelling_variants,
                               inside=profile.spelling_variants_inside)
        self.paragraphs = collection.by_id()  # (document, paragraph) of an id, read when first asked for
        len(self.paragraphs)  # where each id is, sorted now (a tenth of a second at a million), not at the first search
        self.calibration = abstain.load_calibration(settings.model, settings.corpus_dir)
        self.related = related.WordTable.load(folder)  # None where the build made none
        self._related_view = related.view_of(self.embedders)
        # Words looked up before, with their vectors: an analyst's words recur from question to question
        # (the public set's questions, three passes, median over searches: 1.24-1.26x one bare encode without, 1.19x with).
        self._word_vectors: dict[str, np.ndarray] = {}
        if self.related is not None and (self._related_view is None
                                         or self.embedders[self._related_view].fingerprint != self.related.fingerprint):
            raise StoreError(f"the related words in {folder} are in {self.related.model}'s space, not this model's; "
                             f"run: python -m qa build")
        # A search's matrix products are small (a question against a few thousand candidates), and
        # numpy's BLAS, given two threads, leaves the second one spinning after each: it then takes a
        # core from the next question's encode (e5's own threads). So a search runs on one BLAS thread:
        # at a million paragraphs the encode after a search took 35-42 ms with two, 24-25 with one,
        # the search itself the same (qa/embed.py's BundledEmbedder does the same for its question encodes).
        from threadpoolctl import ThreadpoolController

        self._threads = ThreadpoolController()
        self._admitted_by: dict[Filters, frozenset[str]] = {}  # see _admitted
        # A title word's answer holds while the collection does: one look-up per word, not per question.
        self._used_elsewhere = lru_cache(maxsize=4096)(self._used_elsewhere)
        self._configure(settings)

    def _configure(self, settings: Settings) -> None:
        """Everything that depends on the query settings."""
        q = settings.query
        self.settings = settings
        self.intent = Intent(self.collection, self.analyzer, q.cue_weight_strong, q.cue_weight_weak,
                             self.speller if q.spelling else None)
        self.ubiquitous = frozenset(t for t, share in self._share.items() if share >= q.ubiquitous_share)

    def with_settings(self, **query_settings) -> "Engine":
        """A new engine with some query settings changed, sharing this one's index, model and collection."""
        other = copy.copy(self)
        other._configure(self.settings.with_query(**query_settings))
        return other

    def batching(self) -> "Engine":
        """A new engine whose question encodes are batched across threads (``qa.batch``): for a
        server answering many users at once. Answers are the same."""
        from qa.batch import BatchingEmbedder

        other = copy.copy(self)
        other.embedders = [BatchingEmbedder(e) for e in self.embedders]
        other.embedder = other.embedders[0]
        return other

    # ---- loading ------------------------------------------------------------------------------

    @classmethod
    def load(cls, settings: Settings | None = None, *, embedder: Embedder | list[Embedder] | None = None,
             rebuild: str = "auto", progress: bool = True, log: Callable[[str], None] = _stderr,
             skip_bad: bool = False) -> "Engine":
        """Load the index, building it first when it is missing, damaged or stale.

        Args:
            settings: defaults from ``Settings.from_env()``.
            embedder: an already loaded embedder or list of them (tests pass a fake one); default:
                ``settings.model``.
            rebuild: ``auto`` (build when needed), ``never`` (raise instead), ``always``.
            progress: show a progress bar while embedding.
            log: where to say that (and why) the index is being built.
            skip_bad: answer from the documents that can be used when one file cannot (saying which
                and why through ``log``), rather than raise; ``qa build`` and ``qa corpus`` stay strict.

        Raises:
            StoreError: with ``rebuild="never"`` and an index that is missing, damaged or stale.
            CorpusError, ModelError, ConfigError: when the corpus, model or a setting cannot be used.
        """
        settings = settings or Settings.from_env()
        engine = cls._load(settings, embedder, Rebuild.parse(rebuild, "rebuild"), progress, log, skip_bad)
        if engine.calibration is None and settings.query.calibrated and settings.model != HASHING:
            log(f"warning: no abstention models are fitted for QA_MODEL={settings.model}, so whether the collection "
                f"answers a question is judged by one similarity threshold (QA_ABSTAIN_THRESHOLD, set for "
                f"all-MiniLM-L6-v2), which another model's scale may never reach or always pass; fit them with: "
                f"python -m qa calibrate")
        return engine

    @classmethod
    def _load(cls, settings: Settings, embedder: Embedder | list[Embedder] | None, rebuild: Rebuild, progress: bool,
              log: Callable[[str], None], skip_bad: bool) -> "Engine":
        """``load`` (see there), before its word on the calibration."""
        collection = load_collection(settings.corpus_dir, skip_bad=skip_bad, cache_dir=settings.index_dir / PARSED)
        for warning in collection.warnings if skip_bad else ():
            if warning.startswith("ignoring document"):
                log(f"warning: {warning}")
        profile = load_profile(settings.corpus_dir)
        embedders = (embedder if isinstance(embedder, list) else [embedder]) if embedder else load_embedders(settings.model)
        reranker = load_reranker(settings.reranker)

        def current() -> tuple["Engine | None", str]:
            """The engine on the current build (its files hashed once), or why it cannot be used."""
            try:
                folder = store.current_build(settings.index_dir)
                stale = "; ".join(store.mismatches(store.read_manifest(folder), {
                    "model_fingerprint": model_fingerprint(embedders), "corpus_fingerprint": collection.fingerprint,
                    "build_settings": build_record(settings, profile)}))
                if stale:
                    return None, stale
                return cls(settings, collection, profile, embedders, folder, reranker), ""
            except StoreError as exc:  # missing, damaged, or its manifest matches but its files cannot be used
                return None, str(exc)

        def why(reason: str) -> str:  # without the store's own "; run: python -m qa build"
            return reason.split("; run:")[0]

        engine, reason = (None, "asked to rebuild") if rebuild is Rebuild.ALWAYS else current()
        if engine is not None:
            return engine
        if rebuild is Rebuild.NEVER:
            raise StoreError(f"the index in {settings.index_dir} cannot be used: {why(reason)}; build it again with: "
                             f"python -m qa --corpus {settings.corpus_dir} --index {settings.index_dir} build")
        with store.build_lock(settings.index_dir):
            # Another process may have built it while we waited for the lock.
            if rebuild is not Rebuild.ALWAYS:
                engine, reason = current()
                if engine is not None:
                    return engine
            log(f"Building the index in {settings.index_dir} ({why(reason)})...")
            report = build_index(settings, collection, profile, embedders, progress=progress,
                                 grow=rebuild is not Rebuild.ALWAYS)
            if report.grown:
                log(f"Added {report.paragraphs} paragraphs ({report.passages} passages) beside the last full build "
                    f"in {report.seconds:.1f} s; {report.reused} passage vectors reused, {report.embedded} embedded.")
            else:
                log(f"Built {report.paragraphs} paragraphs ({report.passages} passages) in {report.seconds:.1f} s; "
                    f"{report.reused} passage vectors reused from the last build, {report.embedded} embedded.")
            # The build went through every paragraph, so the collection parsed for it holds them all:
            # the same collection read back from its parse cache (headers only) reads a paragraph
            # only when a search needs it, and the texts are let go.
            try:
                reread = load_collection(settings.corpus_dir, skip_bad=skip_bad, cache_dir=settings.index_dir / PARSED)
                if reread.fingerprint == collection.fingerprint:  # unchanged since (else the build's own)
                    collection = reread
            except CorpusError:  # a file changed or went bad since: the collection the build used
                pass
            return cls(settings, collection, profile, embedders, report.folder, reranker)

    # ---- searching ----------------------------------------------------------------------------

    def filters(self, doc_ids=(), since=None, until=None, source_types=()) -> Filters:
        """Filters checked against this collection, with messages naming what is allowed.

        ``doc_ids`` and ``source_types`` take one string or a list of them; ``since`` and ``until``
        a date or YYYY-MM-DD, YYYY-MM or YYYY text (``until 2019`` is up to 31 December 2019).
        """
        known = {d.id for d in self.collection.documents}
        doc_ids = _strings(doc_ids, "doc_ids", sorted(known))
        unknown = [d for d in doc_ids if d not in known]
        if unknown:
            raise QueryError(f"unknown document id(s) {', '.join(unknown)}; the collection has: {', '.join(sorted(known))}")
        source_types = _strings(source_types, "source_types", SOURCE_TYPES)
        bad = [s for s in source_types if s not in SOURCE_TYPES]
        if bad:
            raise QueryError(f"source type(s) {', '.join(bad)} not known; use {', '.join(SOURCE_TYPES)}")
        return Filters(doc_ids, Filters.parse_date(since, "since"), Filters.parse_date(until, "until", end=True),
                       source_types)

    def search(self, question: str, k: int = 5, filters: Filters | None = None, topic: str | None = None) -> Answer:
        """Answer a question with at most ``k`` paragraphs, best first, one hit per paragraph.

        Args:
            topic: for a chat follow-up searched together with the question before it, the
                follow-up as typed: when it names a topic of its own ("what about the Taliban?"),
                whether the collection answers is judged on it alone, not on the joined text.

        Raises:
            QueryError: for an empty or over-long question, or a k outside 1..100.
        """
        with self._threads.limit(limits=1, user_api="blas"):
            return self._search_with_topic(question, k, filters, topic)

    def _search_with_topic(self, question: str, k: int, filters: Filters | None, topic: str | None) -> Answer:
        answer = self._search(question, k, filters)
        if topic is None or not isinstance(topic, str) or not answer.hits:
            return answer
        own = normalise(topic, self.settings.query.max_question_chars)
        if own == answer.question or not self.parse(own).topic_words:
            return answer  # "and in 2019?" has no topic of its own: the joined text is judged
        # A follow-up that names no statement of its own asks of those the conversation named
        # ("What did the Rome communiqué say about police?" then "what about Sirte?").
        alone = self._search(own, 1, filters, named=self.parse(answer.question).cue_doc_ids)
        return replace(answer, answerable=alone.answerable, confidence=alone.confidence,
                       notes=tuple(n for n in answer.notes if n.startswith("searched for ")) + tuple(
                           n for n in alone.notes if not n.startswith("searched for ")))

    def _search(self, question: str, k: int, filters: Filters | None, named: frozenset[str] = frozenset()) -> Answer:
        """One search (``search``). ``named``: documents the question is taken to name when it names none."""
        q = self.settings.query
        question = normalise(question, q.max_question_chars)
        if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= MAX_K:
            raise QueryError(f"k={k!r} is not a number of results from 1 to {MAX_K}")
        filters = filters or Filters()
        if not self.store.admits_any(filters):
            return Answer(question, False, (), 0.0, (NO_DOCUMENT_NOTE,))
        query = self.parse(question, filters)
        if query.language and not getattr(self.embedders[0], "multilingual", False):
            ours = self.profile.language.capitalize()
            return Answer(question, False, (), 0.0, (
                f"the question reads as {self._language_name(query.language)}, and the model ranking the paragraphs "
                f"({self.embedders[0].name}) reads {ours} only: ask it in {ours}, the collection's language, or "
                f"choose a multilingual model (QA_MODEL=e5)",))
        if named and not query.cue_doc_ids:
            query = replace(query, cue_doc_ids=frozenset(named), asks_of_cues=True)
        # With further models, the first embeds the question without its framing opening ("What did
        # the ministers say about"): it ranks, and a short topic is then not outweighed by the
        # frame's likeness to paragraphs on the ministers. The others embed it as asked: abstention
        # reads them as fitted on whole questions. A model alone does both, and is given it whole.
        texts = []  # one per model; a question in another language: the first's alone, which reads it
        for view, forms in enumerate(self._long_forms[:1] if query.language else self._long_forms):
            text = query.topic_text if view == 0 and query.topic_text and len(self.embedders) > 1 else query.dense_text
            texts.append(with_long_forms(text, forms) if q.long_forms else text)
        unused = self._unused_words(query)
        new = [w for w in unused if w not in self._word_vectors]  # embedded with the question, by the model of related words
        vectors = []
        for view, rows in enumerate(self._encode_question(texts, new)):
            vectors.append(rows[0])
            if len(rows) > 1:
                if len(self._word_vectors) > WORD_VECTORS_KEPT:
                    self._word_vectors.clear()  # one step, safe beside other threads' searches
                self._word_vectors.update(zip(new, rows[1:]))
        if not all(np.isfinite(v).all() for v in vectors):
            raise ModelError(f"the model gave an unusable vector (NaN) for the question {question[:80]!r}; its weights "
                             f"may be damaged: reinstall the model or choose another with QA_MODEL")
        vector = vectors[0]
        if unused:
            query = self._with_related(query, unused, np.vstack([self._word_vectors[w] for w in unused]))
        found = self.candidates(query, vectors, filters)
        docs = self.collection.locate(found.ids)[0]
        doc_ids = [d.id for d in docs]
        is_news = np.array([d.source_type == "news" for d in docs])
        fused = fuse_candidates(found, q)
        scores = rank.adjust(fused, query, doc_ids, is_news, q)
        if rank.lifts_mentions(query):  # read only the paragraphs the lift could bring into the head
            reach = rank.within_reach(scores, q.cue_boost, max(k, q.diversity_depth, q.rerank_depth))
            scores = rank.adjust(fused, query, doc_ids, is_news, q, self._mention(found.ids, query.cue_years, reach))
        if not query.asks_for_news:
            scores = rank.lift_official(found.ids, scores, self._twins_of)
        ranking = rank.order(found.ids, scores)
        if self.reranker is not None:
            ranking = rank.rerank(ranking, lambda ids: self.reranker.scores(
                question, [self.paragraphs[i][1].text for i in ids]), q.rerank_depth)
        elif not query.cue_doc_ids and query.across_documents:
            doc_of = dict(zip(found.ids, doc_ids))
            ranking = rank.diversify(ranking, doc_of.__getitem__, q.diversity, q.diversity_depth)
        verdict, read = self._judge(query, found, ranking, filters)
        ranking, quoted = self._quoted_first(query, ranking, filters)
        if quoted.holders and not verdict.answerable:  # the exact words asked for are there: a match
            verdict = Verdict(True, 0.5, quoted.said)
        elif query.quoted and not quoted.holders:  # asked for words no paragraph writes: none is a match
            verdict = Verdict(False, min(verdict.confidence, 0.25), quoted.said)
        else:
            verdict = replace(verdict, notes=verdict.notes + quoted.said)
        asked, said = self._asked_paragraphs(query, filters)
        if asked:  # the paragraph a citation names ("Rome 2021, para 7") first, at the top score: it is what was asked for
            ranking = rank.first(ranking, asked, floor=max(ranking.scores[:1], default=1.0))
            verdict = Verdict(True, 1.0, said)
        elif said and self._only_names_documents(query):  # a citation of a paragraph that is not there
            verdict = Verdict(False, 0.0, said)
        elif said:
            verdict = replace(verdict, notes=verdict.notes + said)
        silent = self._silent_among_compared(query) if verdict.answerable and filters.empty else ()
        verdict = replace(verdict, notes=verdict.notes + tuple(note for _, note in silent))
        hits = tuple(self._hit(r, pid, score, query, vector, found.passages)
                     for r, (pid, score) in enumerate(zip(ranking.ids[:k], ranking.scores[:k]), start=1))
        notes = tuple(f"searched for {found_!r} (you typed {typed!r})" for typed, found_ in query.corrections)
        if verdict.answerable:  # a refusal's reason comes first, and what else was searched does not matter then
            notes += tuple(f"also searched for {found_!r}: the collection never uses {typed!r}"
                           for typed, found_ in query.related)
        notes += self._filtered_out(query, filters)
        return Answer(question, verdict.answerable, hits, verdict.confidence, notes + verdict.notes, query.searched,
                      read, tuple(doc_id for doc_id, _ in silent))

    def _encode_question(self, texts: list[str], new: list[str]) -> list[np.ndarray]:
        """Each model's rows for its text of the question (the related words' model: with ``new``
        words after it), one model after the other: each call then has both cores.

        In a busy server (``batching``, and other searches' questions being encoded) the models
        are asked at once, so a search waits for the slower call, not for both: 20 clients x 5
        questions, p95 417 -> 384 ms. A lone search asked at once was slower (p50 28 -> 38 ms):
        e5's two OpenMP threads then share the cores with MiniLM's call."""
        asked = [[text] + new if new and view == self._related_view else [text] for view, text in enumerate(texts)]
        together = any(getattr(e, "busy", False) for e in self.embedders)
        pending = [e.submit(a) if together and hasattr(e, "submit") else None for e, a in zip(self.embedders, asked)]
        return [e.encode(a, query=True) if p is None else p.result() for e, a, p in zip(self.embedders, asked, pending)]

    def _unused_words(self, query: Query) -> list[str]:
        """The question's topic words no paragraph uses, lower case: what related words are looked
        for (``qa.related``). Not a name or number, nor a lay word the vocabulary file translates
        ("lone wolves" is searched as its terms, not "lone" as "single")."""
        if self.related is None or not self.settings.query.related_words:
            return []
        translated = query.lay_terms and self.settings.query.thesaurus is not Thesaurus.OFF
        lay = self.analyzer.lay_wording(query.searched or query.text) if translated else frozenset()
        return [w for w in dict.fromkeys(without_possessive(w).lower() for w in query.topic_words
                                         if not abstain.is_name(w))
                if w not in lay
                and (terms := self.analyzer.canonical_terms(w)) and not any(t in self.vocabulary for t in terms)]

    def _with_related(self, query: Query, words: list[str], vectors: np.ndarray) -> Query:
        """The query with the collection's nearest word to each of ``words`` (by their vectors) added to its terms."""
        q = self.settings.query
        found = self.related.nearest(words, vectors, q.related_min or self.embedders[self._related_view].related,
                                     self._opposed)
        if not found:
            return query
        extra = [t for r in found for t in self.analyzer.canonical_terms(r.found)]
        return replace(query, terms=query.terms + tuple(t for t in dict.fromkeys(extra) if t not in query.terms),
                       related=tuple((r.typed, r.found) for r in found))

    def _quoted_first(self, query: Query, ranking: Ranking, filters: Filters) -> tuple[Ranking, "Quoted"]:
        """The ranking with the paragraphs that write every phrase the question quotes, as it
        stands (case and the marks between words aside: "whole-of-government" is "whole of
        government"), first, in their order; and what the answer says of them. Looked for among the
        ranked candidates and the paragraphs the word view finds for the phrases' words."""
        if not query.quoted:
            return ranking, Quoted((), ())
        q = self.settings.query
        patterns = [re.compile(r"(?<!\w)" + r"[\W_]+".join(map(re.escape, re.findall(r"\w+", phrase))) + r"(?!\w)",
                               re.IGNORECASE) for phrase in query.quoted]
        ranked = list(ranking.ids[:q.dense_candidates])
        seen = set(ranked)
        terms = [t for phrase in query.quoted for t in self.analyzer.canonical_terms(phrase)]
        pool = ranked + [pid for pid in self.store.lexical(terms, q.lexical_candidates, filters).ids if pid not in seen]
        holders = [pid for pid in pool if all(p.search(self.paragraphs[pid][1].text) for p in patterns)]
        words = " and ".join(repr(phrase) for phrase in query.quoted)  # quoted as the other notes quote words
        if not holders:
            return ranking, Quoted((), (f"no paragraph {'in the documents selected ' if not filters.empty else ''}"
                                        f"writes {words} as it stands",))
        n = len(holders)
        said = f"{n} paragraph{'s' if n > 1 else ''} write{'' if n > 1 else 's'} {words} as it stands: first"
        return rank.first(ranking, holders), Quoted(tuple(holders), (said,))

    def _asked_paragraphs(self, query: Query, filters: Filters) -> tuple[list[str], tuple[str, ...]]:
        """The paragraphs a question asks for by number in the documents it names ("Rome 2021, para
        7"; ``Query.paragraph_number``) that the filters admit, and what the answer says of them:
        that they come first, or that a document named has no such paragraph."""
        n = query.paragraph_number
        if not n or not query.cue_doc_ids:
            return [], ()
        admitted = None if filters.empty else self._admitted(filters)
        ids, found, lacking = [], [], []
        for doc in self.collection.documents_in(query.cue_doc_ids):
            if admitted is not None and doc.id not in admitted:
                continue
            para = next((p for p in doc.paragraphs if p.number == n), None)
            if para is None:
                numbers = [p.number for p in doc.paragraphs]
                lacking.append(f"{doc.short_name} has no paragraph {n}; its paragraphs are numbered {min(numbers)} "
                               f"to {max(numbers)}" if numbers else f"{doc.short_name} has no paragraphs")
            else:
                ids.append(para.id)
                found.append(doc.short_name)
        # Another document the question's words point at lacking it ("Washington": two statements) is no news.
        return ids, (f"paragraph {n} of {' and '.join(found)}, as asked, comes first",) if found else tuple(lacking)

    def _only_names_documents(self, query: Query) -> bool:
        """Whether every topic word of the question names the documents it names (their place,
        year or title words: "Rome communiqué para 12"), so nothing is left to search for."""
        naming = set()
        for doc in self.collection.documents_in(query.cue_doc_ids):
            naming |= {w.lower() for w in re.findall(r"[\w'’-]+", f"{doc.place} {doc.display_date} {doc.title}")}
        return all(without_possessive(w).lower() in naming for w in query.topic_words)

    def _opposed(self, typed: str, found: str) -> bool:
        """Whether two words are opposites by the language file (``opposites``), compared by stem."""
        return frozenset((self.analyzer.stem(typed), self.analyzer.stem(found))) in self._opposite_stems

    def _filtered_out(self, query: Query, filters: Filters) -> tuple[str, ...]:
        """A note when the documents the question names are all left out by the filters ("the news
        report" asked of official statements only), so the answer does not seem to be theirs."""
        if filters.empty or not (query.names_documents or query.asks_for_news) or not query.cue_doc_ids:
            return ()
        if query.cue_doc_ids & self._admitted(filters):
            return ()
        listed = [d.short_name for d in self.collection.documents_in(query.cue_doc_ids)]
        return (f"the question names {' and '.join(listed)}, which the filters leave out",)

    def _mention(self, ids: Sequence[str], years: tuple[str, ...], among: np.ndarray) -> np.ndarray:
        """For each paragraph, whether its text mentions one of the years (as a word: not "20190");
        only those ``among`` are read, the others count as not mentioning them."""
        pattern = re.compile(r"(?<![\w.,])(?:%s)(?![\w]|[.,]\d)" % "|".join(map(re.escape, years)))
        return np.array([bool(among[i] and pattern.search(self.paragraphs[pid][1].text)) for i, pid in enumerate(ids)],
                        dtype=bool)

    def parse(self, question: str, filters: Filters | None = None) -> Query:
        """The question as the search reads it (``Intent.parse`` with this collection's indexes:
        news and title words used as topics name no document; "the latest" is the newest of the
        documents the filters admit)."""
        within = self._admitted(filters) if filters is not None and not filters.empty else None
        if code := language.other_language(question, self.profile.code, self._known_word):
            # Its years and places name documents in any language ("la déclaration de 2019"): lifted.
            return Query(question, question, (), (), cue_doc_ids=self.intent.document_cues(question, within=within),
                         language=code)
        return self.intent.parse(question, self.settings.query.thesaurus, self._official_phrase, self._used_elsewhere,
                                 within)

    def _known_word(self, word: str) -> bool:
        """Whether a question's word is of the collection's language (its word list) or the collection's own."""
        return (word.lower() in self.profile.language_words()
                or any(t in self.vocabulary for t in self.analyzer.canonical_terms(word)))

    def _language_name(self, code: str) -> str:
        return self.profile.language_names.get(code, code)

    def _admitted(self, filters: Filters) -> frozenset[str]:
        """The documents a set of filters admits (kept for the last few sets of filters)."""
        cache = self._admitted_by
        if filters not in cache:
            if len(cache) >= 64:
                cache.pop(next(iter(cache)))
            cache[filters] = frozenset(d.id for d in self.collection.documents
                                       if filters.admits(d.id, d.source_type, *d.date_range))
        return cache[filters]

    def _used_elsewhere(self, word: str, doc_ids: frozenset[str]) -> bool:
        """Whether a paragraph of a document not in ``doc_ids`` uses the word (among the paragraphs
        that use it most: one look-up in the word index, whatever the collection's size). A news
        report repeating a statement's words does not count for the statement's title words."""
        terms = self.analyzer.canonical_terms(word)
        if not terms:
            return False
        news_titles = all(self.collection.document(d).source_type == "news" for d in doc_ids)
        return any(doc.id not in doc_ids and (news_titles or doc.source_type != "news")
                   for doc, _ in (self.paragraphs[pid] for pid in self.store.lexical(list(terms), 20, Filters()).ids))

    def _official_phrase(self, first: str, second: str) -> bool:
        """Whether the official statements write two words side by side (as BM25 words: "social media")."""
        terms = self.analyzer.canonical_terms(f"{first} {second}")
        return len(terms) == 2 and bool(self.store.phrases(word_pairs(list(terms)), 1, OFFICIAL).ids)

    def _judge(self, query: Query, found: Candidates, ranking, filters: Filters) -> tuple[Verdict, dict]:
        """Whether the searched documents answer the question, with its reasons and the signals read."""
        q = self.settings.query
        if query.language:  # none of its words can be matched: judged by meaning alone
            read = abstain.signals(query, found, ranking.ids[0] if ranking.ids else None, [], self._unknown_idf,
                                   q.one_word_hold)
            read[abstain.OTHER_LANGUAGE] = 1.0
            verdict = abstain.judge_other_language(self.calibration if q.calibrated else None, read,
                                                   "the collection" if filters.empty else "the documents selected")
            said = (f"read as {self._language_name(query.language)}: searched by meaning alone, with a model that "
                    f"reads it; its words were not matched to the collection's")
            # A refusal's reason first, as for any question; an answer is read knowing how it was searched.
            return replace(verdict, notes=(said,) + verdict.notes if verdict.answerable else verdict.notes + (said,)), read

        # A question that names documents ("the Rome communiqué", "what was said in Rome") asks what
        # they say: it is judged on them, as under filters; not one across the statements, nor one
        # whose only cue is a year, which may be a figure's ("31,400 nurses by 2030").
        named = (Filters(doc_ids=tuple(sorted(query.cue_doc_ids)))
                 if filters.empty and query.asks_of_cues and not query.across_documents else None)
        within = named or filters

        def used(terms: tuple[str, ...]) -> bool:  # by the documents searched (or named)
            return within.empty or bool(self.store.lexical(list(terms), 1, within).ids)

        def known(word: str, terms: tuple[str, ...]) -> bool:
            if not any(t in self.vocabulary for t in terms):
                return False
            # A word joined by hyphens is known when each part is ("nuclear-powered" is missing where
            # only "power" occurs, "cross-border" is known where both parts do).
            pieces = _HYPHENS.split(word)
            parts = [ts for part in pieces if (ts := self.analyzer.canonical_terms(part))] if len(pieces) > 1 else []
            if len(parts) > 1 and not all(any(t in self.vocabulary for t in ts) for ts in parts):
                return False
            # Under filters a name must occur in the documents selected ("Libya" is missing when only
            # Kuwait 2018 is searched); an ordinary word may be worded otherwise there ("returns").
            return not abstain.is_name(word) or used(terms)

        def as_name(word: str, terms: tuple[str, ...]) -> bool:  # "Tyrol", not "sea": in no paragraph in lower case
            ids = self.store.lexical(list(terms), 5, within).ids
            lower = re.compile(rf"(?<![\w'’-]){re.escape(word.lower())}(?![\w'’-])")
            return bool(ids) and not any(lower.search(self.paragraphs[pid][1].text) for pid in ids)

        missing = abstain.missing_words(query, self.analyzer, known, as_name)
        asked = query.searched or query.text  # the question as searched: where its missing names stand
        read = abstain.signals(query, found, ranking.ids[0] if ranking.ids else None, missing, self._unknown_idf,
                               q.one_word_hold)
        # A month the question names ("the May 2018 election") that is no document's date and that
        # the documents searched never write is a name they lack, like any other.
        for words, month in query.month_dates:
            missing = [w for w in missing if w.lower() != words.split()[0].lower()]
            pairs = word_pairs(list(self.analyzer.terms(words)))
            if (not self.intent.holds_month(month)
                    and not (len(pairs) == 1 and self.store.phrases(pairs, 1, within).ids)):
                missing.append(words)
                read["missing_name"] = 1.0
        if named is None:
            scope = "the collection" if filters.empty else "the documents selected"
        elif len(query.cue_doc_ids) == 1:
            doc = self.collection.document(next(iter(query.cue_doc_ids)))
            kind = ", news report" if doc.source_type == "news" else ""
            scope = f"the document named ({doc.place}, {doc.date[:4]}{kind})"
        else:
            scope = "the documents named"
        if self.calibration is not None and q.calibrated:
            verdict = abstain.judge_calibrated(self.calibration, read, abstain.as_named(missing, asked), scope)
        else:
            unknown = abstain.unknown_topic(query, self.analyzer, self.vocabulary, self.ubiquitous)
            verdict = abstain.judge(query, found.best, unknown, q)
        unheld = self._unheld(query)
        if unheld:  # nothing answers, whatever the paragraphs' likeness
            return Verdict(False, 0.0, (unheld,)), read
        # Answered all the same: say which of the question's words the documents never use, as a
        # search engine's "missing" line does: a name it turns on, always; plain words when the
        # verdict is not sure (below WORD_CAVEAT_BELOW), since a sure answer's missing words are its
        # lay wording. Lay words the vocabulary file translates were searched as the statements' terms.
        sure = verdict.confidence if verdict.probability is None else verdict.probability
        searched_as = {typed for typed, _ in query.related}  # said already, with the word searched instead
        absent = [w for w in missing if abstain.is_name(w) or (
            sure < WORD_CAVEAT_BELOW and not self.analyzer.lay_terms(w) and not self.intent.frames(w)
            and w.lower() not in searched_as)]
        if verdict.answerable and absent:
            verdict = replace(verdict, notes=verdict.notes + (
                f"{abstain.never(scope, abstain.as_named(absent, asked))}; the paragraphs below are the closest in meaning",))
        if named is not None:  # words the named documents lack though others use them ("tuberculosis")
            elsewhere = [w for w in query.topic_words if w not in missing and not abstain.is_name(w)
                         and (terms := self.analyzer.canonical_terms(w))
                         and any(t in self.vocabulary for t in terms) and not used(terms)]
            if elsewhere:
                verdict = replace(verdict, notes=verdict.notes + (
                    f"{scope} never use{'' if scope.startswith('the documents') else 's'} "
                    f"{abstain.listing(elsewhere)}; other documents do",))
        return verdict, read

    def _silent_among_compared(self, query: Query) -> tuple[tuple[str, str], ...]:
        """For a question comparing the documents it names ("what did the 2017 and 2019 statements
        say about Libya?"), each of them that never uses a word of its topic another of them uses,
        with what the answer says of it: its silence is part of the answer ("Washington 2019 never
        mentions 'Libya'; the other documents named do"), and it has nothing to compare."""
        if not query.across_documents or len(query.cue_doc_ids) < 2:
            return ()
        compared = self.collection.documents_in(query.cue_doc_ids)
        words = [(w, terms) for w in dict.fromkeys(query.topic_words)
                 if (terms := self.analyzer.canonical_terms(w)) and any(t in self.vocabulary for t in terms)]
        uses = {(d.id, w): bool(self.store.lexical(list(terms), 1, Filters(doc_ids=(d.id,))).ids)
                for d in compared for w, terms in words}
        notes = []
        for doc in compared:
            silent = [w for w, _ in words if not uses[doc.id, w] and any(uses[o.id, w] for o in compared)]
            if silent:
                notes.append((doc.id, f"{doc.short_name} never mentions {abstain.listing(silent)}; the other "
                                      f"documents named do"))
        return tuple(notes)

    def _unheld(self, query: Query) -> str | None:
        """Why the question names a document the collection does not hold, or None: a year no
        document is dated ("the 2020 statement") or a word in no document's metadata ("the
        Marrakesh communiqué"), which the text never uses either (a statement may recall "the 2022
        meeting in Marrakesh"). Not another form of it: a text naming Norway holds no statement
        from Oslo (a form of a place a document is from names that document, ``unlisted_names``)."""
        def unused(word: str) -> bool:
            terms = self.analyzer.canonical_terms(word)
            return bool(terms) and not any(t in self.vocabulary for t in terms)

        docs = self.collection.documents
        if undated := [y for y in query.undated_years if unused(y)]:
            years = sorted({d.date[:4] for d in docs})
            held = years[0] if len(years) == 1 else f"{years[0]} to {years[-1]}"
            return f"no document in the collection is dated {' or '.join(undated)}; its documents are dated {held}"
        if unlisted := [w for w in query.unlisted_names if unused(w)]:
            places = sorted({d.place.split(",")[0] for d in docs})
            held = (places[0] if len(places) == 1 else ", ".join(places[:-1]) + " and " + places[-1]
                    if len(places) <= 6 else f"{len(places)} places")
            return f"no document in the collection is from or named {abstain.listing(unlisted)}; its documents are from {held}"
        return None

    def candidates(self, query: Query, vectors: list[np.ndarray], filters: Filters) -> Candidates:
        """Every paragraph any view found, with each view's scores (paragraphs in collection order).

        Args:
            vectors: the question's vector in each model's space, first model first.

        A paragraph's dense score mixes its best sentence and its best piece; a paragraph missing
        from the dense view gets its lowest score, and one missing from a lexical view scores 0.
        With several models, the dense score combines theirs (``weight_second_view``).
        """
        q = self.settings.query
        dense = [self.store.dense(v, q.dense_candidates, filters, view) for view, v in enumerate(vectors)]
        words = self.store.lexical(query.terms, q.lexical_candidates, filters)
        pairs = self.store.phrases(query.phrases, q.lexical_candidates, filters)
        found = set(words.ids) | set(pairs.ids)
        for matches in dense:
            found |= set(matches.paragraph_ids)
        found = list(found)
        ids = [found[i] for i in np.argsort(self.collection.locate(found)[1], kind="stable")]
        row = {pid: i for i, pid in enumerate(ids)}
        mixes, bests = [], []
        for matches in dense:
            floor = float(matches.scores.min()) if len(matches.scores) else 0.0
            piece = np.full(len(ids), floor, dtype=np.float32)
            sentence = np.full(len(ids), floor, dtype=np.float32)
            rows = np.array([row[pid] for pid in matches.paragraph_ids], dtype=np.int64)
            np.maximum.at(sentence, rows[matches.is_sentence], matches.scores[matches.is_sentence])
            np.maximum.at(piece, rows[~matches.is_sentence], matches.scores[~matches.is_sentence])
            mixes.append(q.sentence_mix * sentence + (1 - q.sentence_mix) * piece)
            bests.append(np.maximum(piece, sentence))
        lexical = np.zeros(len(ids), dtype=np.float32)
        phrase = np.zeros(len(ids), dtype=np.float32)
        for view, matches in ((lexical, words), (phrase, pairs)):
            view[[row[pid] for pid in matches.ids]] = matches.scores
        mix = mixes[0]
        if len(mixes) > 1:
            others = np.mean([minmax(m.astype(np.float64)) for m in mixes[1:]], axis=0)
            mix = (1 - q.weight_second_view) * minmax(mix.astype(np.float64)) + q.weight_second_view * others
        return Candidates(tuple(ids), mix, bests[0], lexical, phrase,
                          dict(zip(dense[0].ids, (float(s) for s in dense[0].scores))),
                          sum(self._bm25_idf.get(t, 0.0) for t in query.terms), tuple(bests[1:]),
                          q.lexical_unknown * self._unknown_idf * sum(t not in self._bm25_idf
                                                                      for t in set(query.terms)),
                          self._main_word(query, ids, lexical, filters))

    def _main_word(self, query: Query, ids: list[str], lexical: np.ndarray, filters: Filters) -> np.ndarray | None:
        """``Candidates.main_word``: for a question whose BM25 weight is all but all in one word
        (a word no paragraph has weighs the most a word can: it is what the question lacks), that
        word's share for the candidates holding it; None for other questions. Its holders are
        looked up by one more word search, unless it is the question's only word."""
        q = self.settings.query
        weights: dict[str, float] = {}
        for t in query.terms:
            weights[t] = weights.get(t, 0.0) + self._bm25_idf.get(t, self._unknown_idf)
        total = sum(weights.values())
        if not total or q.one_word_hold <= 0:
            return None
        word, weight = max(weights.items(), key=lambda item: item[1])
        if weight / total < q.main_word_share or word not in self._bm25_idf:
            return None
        if len(weights) == 1:
            held = lexical > 0
        else:
            holders = set(self.store.lexical([word], q.lexical_candidates, filters).ids)
            held = np.array([pid in holders for pid in ids], dtype=bool)
        return held * (weight / total)

    def _hit(self, rank_: int, pid: str, score: float, query: Query, vector: np.ndarray,
             passage_scores: dict[str, float]) -> Hit:
        q = self.settings.query
        doc, para = self.paragraphs[pid]
        sentences = self.store.sentences(pid)
        missing = [p.id for p in sentences if p.id not in passage_scores]
        if missing:  # sentences the dense view did not return: their similarity, computed now
            passage_scores = {**passage_scores, **dict(zip(missing, map(float, self.store.similarity(vector, missing))))}
        scored = [(p, passage_scores[p.id], frozenset(self.analyzer.canonical_terms(p.text)))
                  for p in sentences]
        wanted = {t: self.idf[t] for t in query.terms if t in self.idf}
        spans = highlight.spans(scored, wanted, q.highlight_lexical, q.highlight_margin, len(para.text))
        return Hit.of(rank_, doc, para, score if math.isfinite(score) else 0.0, spans)
