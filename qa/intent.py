"""What a question asks: built once per collection, it turns each question into a ``Query``.

It finds the documents a question names (by year, place, title words, as news, as "the latest
statement"), which words only name a document (kept out of the embedding), the words naming its
topic (for abstention), whether it asks across documents, and the BM25 terms to search. Every
name comes from the collection's metadata and every word list from its profile; nothing here
knows a subject.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from qa.analyze import Analyzer, word_pairs
from qa.config import Thesaurus
from qa.corpus import Collection
from qa.errors import QueryError
from qa.spell import Speller
from qa.types import Query


@lru_cache(maxsize=4096)  # titles recur on every query; questions are cheap either way
def words_of(text: str) -> frozenset[str]:
    """Lower-case words without accents, so "communique" matches "Communiqué"."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return frozenset(w.strip("'’").lower() for w in re.findall(r"[\w'’]+", plain))


def normalise(question: object, max_chars: int) -> str:
    """The question with its whitespace folded, or a QueryError saying what is wrong with it."""
    if not isinstance(question, str) or not question.strip():
        raise QueryError("the question is empty; type a question, e.g. what did the ministers say about refugees?")
    question = " ".join(question.split())
    if len(question) > max_chars:
        raise QueryError(f"the question is {len(question)} characters long; the limit is {max_chars}. "
                         f"Ask about one thing at a time")
    return question


class Intent:
    """Question analysis for one collection and profile (everything per collection computed once)."""

    def __init__(self, collection: Collection, analyzer: Analyzer, strong: int = 2, weak: int = 1,
                 speller: Speller | None = None):
        profile = analyzer.profile
        self.analyzer = analyzer
        self.speller = speller
        self.strong, self.weak = strong, weak
        self.docs = collection.documents
        titles = {d.id: words_of(d.title) for d in self.docs}
        common = frozenset.intersection(*titles.values()) if titles else frozenset()
        never_cues = profile.generic_title_words | analyzer.alias_words
        self._title_words = titles
        self._cue_words = {w for t in titles.values() for w in t} - common - never_cues
        self._years = {d.date[:4] for d in self.docs}
        self._news_words = frozenset(profile.news_words)
        self._places = sorted({d.place for d in self.docs})
        self._place_patterns = [(p, re.compile(rf"\b{re.escape(p.split(',')[0])}\b", re.IGNORECASE))
                                for p in self._places]
        # Words that only name a document: they say which statement, not what about.
        nouns = {w for n in profile.document_nouns for w in words_of(n)} - profile.generic_title_words
        self._naming = self._years | self._news_words | nouns | self._cue_words
        spellings = sorted(set(self._places) | {p.split(",")[0] for p in self._places}, key=len, reverse=True)
        self._place_names = re.compile(rf"\b({'|'.join(map(re.escape, spellings))})\b", re.IGNORECASE) if spellings else None
        official = [d for d in self.docs if d.source_type == "official"] or list(self.docs)
        newest = max((d.date_range[0] for d in official), default=None)
        oldest = min((d.date_range[0] for d in official), default=None)
        self._latest = {d.id for d in official if d.date_range[0] == newest}
        self._earliest = {d.id for d in official if d.date_range[0] == oldest}
        self._latest_re = profile.pattern("latest")
        self._earliest_re = profile.pattern("earliest")
        self._across_re = profile.pattern("across_documents")
        from bm25s import stopwords

        self._not_topic = profile.framing_words | frozenset(getattr(stopwords, profile.topic_stopwords, ()))
        self._months = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
                        "october", "november", "december")

    def places(self) -> list[str]:
        """The places a chat follow-up may name (for ``qa.followup``): each place, and its first word."""
        names = {p.split(",")[0] for p in self._places}
        return sorted(names | {n.split()[0] for n in names})

    def document_cues(self, question: str) -> frozenset[str]:
        """The documents a question names by year, place, title words, as news, or as latest/earliest.

        A cue counts only when it singles out some documents but not all: "Washington" points at both
        Washington statements, "2021" at the Rome communiqué, "news report" at news documents. Years,
        places and latest/earliest weigh ``strong``, title words, months and news words ``weak``;
        the documents with the highest total are named.
        """
        words = words_of(question)
        docs = self.docs
        scores = {d.id: 0 for d in docs}

        def cue(ids: set[str], weight: int) -> None:
            if ids and len(ids) < len(docs):
                for doc_id in ids:
                    scores[doc_id] += weight

        for year in self._years & words:
            cue({d.id for d in docs if d.date.startswith(year)}, self.strong)
        for place, pattern in self._place_patterns:
            if pattern.search(question):
                cue({d.id for d in docs if d.place == place}, self.strong)
        for doc in docs:
            if len(doc.date) >= 7 and self._months[int(doc.date[5:7]) - 1] in words and doc.date[:4] in words:
                cue({doc.id}, self.weak)
        for word in words & self._cue_words:
            if len(word) > 3:
                cue({d for d, t in self._title_words.items() if word in t}, self.weak)
        if words & self._news_words:
            cue({d.id for d in docs if d.source_type == "news"}, self.weak)
        if self._latest_re.search(question):
            cue(self._latest, self.strong)
        if self._earliest_re.search(question):
            cue(self._earliest, self.strong)
        best = max(scores.values(), default=0)
        return frozenset(d for d, s in scores.items() if s == best) if best else frozenset()

    def strip_cues(self, question: str) -> str:
        """The question without the words that only name a document (its place, year, title words,
        "news report"); unchanged when too little would be left."""
        text = self._place_names.sub(" ", question) if self._place_names else question
        kept = [w for w in re.findall(r"[\w'’-]+|[^\w\s]", text) if words_of(w).isdisjoint(self._naming) or not w[:1].isalnum()]
        content = [w for w in kept if w[:1].isalnum() and len(w) > 3]
        return " ".join(kept) if len(content) >= 2 else question

    def topic_words(self, stripped: str) -> list[str]:
        """The words of a question (already without its naming words) that name its topic."""
        words = re.findall(r"[\w'’-]+", stripped)
        return [w for w in words if w.lower().strip("'’-") not in self._not_topic and len(w.strip("'’-")) > 1]

    def asks_across_documents(self, question: str) -> bool:
        return bool(self._across_re.search(question))

    def parse(self, typed: str, thesaurus: Thesaurus = Thesaurus.LEXICAL) -> Query:
        """A normalised question as a ``Query`` (see ``qa.types.Query``); misspellings corrected first."""
        a = self.analyzer
        question, corrections = self.speller.correct(typed) if self.speller else (typed, ())
        stripped = self.strip_cues(question)
        cues = self.document_cues(question)
        lay = tuple(a.lay_terms(question))
        terms = a.terms(a.lexical_query(question, lay_words=thesaurus is not Thesaurus.OFF))
        plain = terms if thesaurus is Thesaurus.OFF or not lay else a.terms(a.lexical_query(question, lay_words=False))
        return Query(
            text=typed,
            dense_text=a.expand(stripped) if thesaurus is Thesaurus.BOTH else stripped,
            terms=terms,
            phrases=tuple(word_pairs(list(plain))),
            cue_doc_ids=cues,
            asks_for_news=any(d.source_type == "news" for d in self.docs if d.id in cues),
            across_documents=self.asks_across_documents(question),
            topic_words=tuple(self.topic_words(stripped)),
            lay_terms=lay,
            corrections=corrections,
            searched=question if corrections else "",
        )
