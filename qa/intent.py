"""What a question asks: built once per collection, it turns each question into a ``Query``.

It finds the documents a question names (by year, place, title words, as news, as "the latest
statement"), which words only name a document (kept out of the embedding), the words naming its
topic (for abstention), whether it asks across documents, and the BM25 terms to search. Every
name comes from the collection's metadata and every word list from its profile; nothing here
knows a subject.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from functools import lru_cache
from typing import Callable

import numpy as np

from qa.analyze import Analyzer, without_accents, without_possessive, word_pairs
from qa.config import Thesaurus
from qa.corpus import Collection
from qa.errors import QueryError
from qa.spell import Speller
from qa.types import Query


def word_list(text: str) -> list[str]:
    """Lower-case words without accents, in order, so "communique" matches "Communiqué"."""
    return [w.strip("'’").lower() for w in re.findall(r"[\w'’]+", without_accents(text))]


@lru_cache(maxsize=4096)  # titles recur on every query; questions are cheap either way
def words_of(text: str) -> frozenset[str]:
    """The set of ``word_list``."""
    return frozenset(word_list(text))


def normalise(question: object, max_chars: int) -> str:
    """The question with its whitespace folded, or a QueryError saying what is wrong with it."""
    if question is not None and not isinstance(question, str):
        raise QueryError(f"the question must be text, not {type(question).__name__} ({question!r:.40}); "
                         f"type a question, e.g. what did the ministers say about refugees?")
    if not question or not question.strip():
        raise QueryError("the question is empty; type a question, e.g. what did the ministers say about refugees?")
    # Lone surrogates (undecodable input) become U+FFFD; control and format characters (NUL, bidi
    # marks, zero-width spaces) separate words like spaces: no model or tokenizer sees them.
    question = re.sub("[\ud800-\udfff]", "\ufffd", question)
    question = "".join(" " if unicodedata.category(c) in ("Cc", "Cf") else c for c in question)
    question = " ".join(question.split())
    if not any(c.isalnum() for c in question):
        raise QueryError(f"the question {question[:40]!r} has no words; type a question, e.g. what did the "
                         f"ministers say about refugees?")
    if len(question) > max_chars:
        raise QueryError(f"the question is {len(question)} characters long; the limit is {max_chars}. "
                         f"Ask about one thing at a time")
    return question


# An English-style clitic ("'s", "n't", "'re"); framing words are listed without it.
_CONTRACTION = re.compile(r"(?:n['’]t|['’](?:s|re|ve|ll|d|m))$")


def _uncontracted(word: str) -> str:
    """A word in lower case without its contraction ("What's" -> "what", "didn't" -> "did")."""
    return _CONTRACTION.sub("", word.lower()).strip("'’-")


class Intent:
    """Question analysis for one collection and profile (everything per collection computed once)."""

    def __init__(self, collection: Collection, analyzer: Analyzer, strong: int = 2, weak: int = 1,
                 speller: Speller | None = None):
        profile = analyzer.profile
        self.analyzer = analyzer
        self.speller = speller
        self.strong, self.weak = strong, weak
        self.docs = collection.documents
        from bm25s import stopwords

        titles = {d.id: words_of(d.title) for d in self.docs}
        common = frozenset.intersection(*titles.values()) if titles else frozenset()
        stop = frozenset(stopwords.STOPWORDS_EN)
        never_cues = profile.generic_title_words | analyzer.alias_words | stop
        cue_words = {w for t in titles.values() for w in t if len(w) > 3} - common - never_cues
        # Each title word that may name a document, with the documents whose titles have it.
        self._title_docs = {w: frozenset(d for d, t in titles.items() if w in t) for w in cue_words}
        # Two title words side by side, one of them a cue word and neither a stop word: a phrase that
        # names its document when written with capitals ("the Guiding Principles"; "the Small Group",
        # though "group", a word of an alias, names nothing alone): see ``topical_title_words``.
        self._title_pairs = {pair for d in self.docs for title in [word_list(d.title)]
                             for pair in zip(title, title[1:])
                             if set(pair) & cue_words and all(len(w) > 3 and w not in stop for w in pair)}
        self._years = {d.date[:4] for d in self.docs}
        self._year_numbers = sorted(int(y) for y in self._years)
        # Each year, place, and month with its year, with the documents dated or placed there: a
        # question's cues are looked up, not computed over every document at each question.
        self._year_docs: dict[str, set[str]] = {}
        self._place_docs: dict[str, set[str]] = {}
        self._month_docs: dict[tuple[str, str], list[str]] = {}
        for d in self.docs:
            self._year_docs.setdefault(d.date[:4], set()).add(d.id)
            self._place_docs.setdefault(d.place, set()).add(d.id)
            if len(d.date) >= 7:
                self._month_docs.setdefault((calendar.month_name[int(d.date[5:7])].lower(), d.date[:4]), []).append(d.id)
        self._month_numbers = {calendar.month_name[n].lower(): f"{n:02d}" for n in range(1, 13)}
        # The months documents are dated ("2018-02"), and the years of documents dated by year alone.
        self._months = {d.date[:7] for d in self.docs if len(d.date) >= 7}
        self._bare_years = {d.date[:4] for d in self.docs if len(d.date) < 7}
        self._month_date_re = re.compile(rf"\b({'|'.join(calendar.month_name[1:])})\s+((?:19|20)\d\d)\b", re.IGNORECASE)
        self._news_docs = {d.id for d in self.docs if d.source_type == "news"}
        self._news_words = frozenset(profile.news_words)
        self._places = sorted({d.place for d in self.docs})
        # Each place is named by its full spelling or its aliases (in any case), or, written with its
        # capital, by one of its own words no other place shares ("Kuwait" for "Kuwait City"; that
        # "City" is Kuwait City's own word does not make "the old city of Mosul" name it).
        spellings = {p: {p, p.split(",")[0]} | {a for d in self.docs if d.place == p for a in d.place_aliases}
                     for p in self._places}
        # Typed without its accents too ("Riga", "Gdansk", "Zurich"), as most keyboards make them.
        spellings = {p: names | {without_accents(n) for n in names} for p, names in spellings.items()}
        word_count: dict[str, int] = {}
        for names in spellings.values():
            for w in {w for name in names for w in words_of(name)}:
                word_count[w] = word_count.get(w, 0) + 1
        own = {p: {w for name in names for w in re.findall(r"[\w'’-]+", name)
                   if len(w) > 3 and word_count.get(w.lower().strip("'’"), 0) == 1 and w[:1].isupper()} - names
               for p, names in spellings.items()}

        def alternation(words) -> str:
            return "|".join(map(re.escape, sorted(words, key=len, reverse=True)))

        self._place_patterns = [
            (p, re.compile(rf"\b(?i:{alternation(names)})\b" + (rf"|\b({alternation(own[p])})\b" if own[p] else "")))
            for p, names in spellings.items()]
        # Words that only name a document, and are taken out of what is embedded: its years, places,
        # what documents are called, news words; and title words of the documents the question
        # names ("guiding principles" in "the Kuwait guiding principles"). A title word of another
        # document stays: "Africa" in the title of a 2022 statement still asks about Africa in "what
        # did the 2021 statement say about Africa?".
        nouns = {w for n in profile.document_nouns for w in words_of(n)} - profile.generic_title_words
        self._naming = self._years | self._news_words | nouns
        every = [n for names in spellings.values() for n in names]
        words = [w for ws in own.values() for w in ws]
        self._place_names = (re.compile(rf"\b(?i:{alternation(every)})\b" + (rf"|\b({alternation(words)})\b" if words else ""))
                             if every else None)
        # How rare each title word is across documents: a word in one title names it more surely.
        self._title_rarity = {w: np.log(1 + len(self.docs) / len(ids)) / np.log(1 + len(self.docs))
                              for w, ids in self._title_docs.items()}
        self._official = [d for d in self.docs if d.source_type == "official"] or list(self.docs)
        self._latest_re = profile.pattern("latest")
        self._earliest_re = profile.pattern("earliest")
        self._current_re = profile.pattern("current")
        self._across_re = profile.pattern("across_documents")
        self._date_bound_re = profile.pattern("date_bound")
        self._dated_re = profile.pattern("dated_document")
        self._named_re = profile.pattern("named_document")
        self._ordered_re = profile.pattern("ordered_document")
        self._frame_re = profile.pattern("framing_clause")
        self._intent_re = profile.pattern("intent_opening")
        self._paragraph_re = profile.pattern("paragraph_number")
        # Read twice for each question (its cues, then its query): computed once.
        self.places_named = lru_cache(maxsize=256)(self._places_named)
        self.date_bounds = lru_cache(maxsize=256)(self._date_bounds)
        self.years_named = lru_cache(maxsize=256)(self._years_named)
        # Every word of the documents' titles, places, aliases and issuers: what may name one.
        self._metadata_words = frozenset().union(
            *titles.values(), *(words_of(n) for names in spellings.values() for n in names),
            *(words_of(d.issuer) for d in self.docs), *(words_of(d.source_type) for d in self.docs))
        self._not_topic = profile.framing_words | frozenset(getattr(stopwords, profile.topic_stopwords, ()))
        # The same as BM25 words. A question's "how", "have", "about", "talked" are searched for
        # nothing: statements seldom write them, so BM25 would weigh them as rare, telling words and
        # rank a paragraph up for sharing the question's framing (dev tuning half: hit@1 0.804 -> 0.857).
        self._not_topic_terms = frozenset(t for w in self._not_topic for t in analyzer.terms(w))
        self._not_topic |= profile.number_words  # no topic on their own, yet searched for
        # Capitalised words that may stand beside a place's word without making it another place's
        # ("the Kuwait Declaration", "What Did The Kuwait Statement Say"): see _stands_alone.
        self._beside_places = self._naming | self._metadata_words | self._not_topic

    def places(self) -> list[str]:
        """The places a chat follow-up may name (for ``qa.followup``): each place, and its first word."""
        names = {p.split(",")[0] for p in self._places}
        return sorted(names | {n.split()[0] for n in names})

    def document_cues(self, question: str, topical: frozenset[str] = frozenset(),
                      within: frozenset[str] | None = None) -> frozenset[str]:
        """The documents a question names by year, place, title words, as news, or as latest/earliest.

        Args:
            topical: news words the question uses as a topic ("social media"), naming no report, and
                title words it so uses (``topical_title_words``), naming no document.
            within: the documents the search's filters admit (None: all): "the latest statement"
                and "now" mean the newest of those ("--until 2022": the 2022 statement).

        A cue counts only when it singles out some documents but not all: "Washington" points at both
        Washington statements, "2021" at the Rome communiqué, "news report" at news documents. Years,
        places and latest/earliest weigh ``strong``, title words, months and news words ``weak``;
        the documents with the highest total are named.
        """
        words = self._cue_words(question)
        docs = self.docs
        scores = {d.id: 0 for d in docs}

        def cue(ids: set[str], weight: int) -> None:
            if ids and len(ids) < len(docs):
                for doc_id in ids:
                    scores[doc_id] += weight

        for year in self.years_named(question):
            cue(self._year_docs[year], self.strong)
        for place in self.places_named(question):
            cue(self._place_docs[place], self.strong)
        for (month, year), ids in self._month_docs.items():
            if month in words and year in words:
                for doc_id in ids:
                    cue({doc_id}, self.weak)
        # A period the question asks of ("the statements between 2018 and 2020", "since 2019"): the
        # documents dated in it, as a year names its documents. Not a bound alone ("before 2019"):
        # later statements recall what came before them.
        for low, high in self.periods(question):
            cue({d.id for d in docs if low <= int(d.date[:4]) <= high}, self.strong)
        for word in (words & self._title_docs.keys()) - topical:
            cue(set(self._title_docs[word]), self.weak * self._title_rarity[word])
        if words & (self._news_words - topical):
            cue(self._news_docs, self.weak)
        official = self._official if within is None else [d for d in self._official if d.id in within] or self._official

        def in_order(pick, among: list, weight: int) -> None:  # the newest (max) or oldest (min) of them, else of all
            among = among or official
            when = pick(d.date_range[0] for d in among)
            cue({d.id for d in among if d.date_range[0] == when}, weight)

        # "the latest statement": the newest of the statements the question names by place or year
        # ("the first Tallinn statement": the older of two from Tallinn), else of all of them.
        for pattern, pick in ((self._latest_re, max), (self._earliest_re, min)):
            if pattern.search(question):
                in_order(pick, [d for d in official if scores[d.id] >= self.strong], self.strong)
        # "how many are listed now?": the newest statement (of those named, else of all) a little.
        if self._current_re.search(question) and len(official) > 1:
            top = max(scores.values())
            in_order(max, [d for d in official if scores[d.id] == top], self.weak)
        best = max(scores.values(), default=0)
        return frozenset(d for d, s in scores.items() if s == best) if best else frozenset()

    def _cue_words(self, question: str) -> frozenset[str]:
        """The question's words, without the years bounding a period ("since 2017", "after 2019"):
        those mark where a period starts or ends, not the statement of that year."""
        _, spans = self.date_bounds(question)
        if spans:
            question = " ".join(question[a:b] for a, b in
                                zip([0] + [e for _, e in spans], [s for s, _ in spans] + [len(question)]))
        return words_of(question)

    def _years_named(self, question: str) -> tuple[str, ...]:
        """The documents' years a question names them by, in order ("what was said in 2019?"); not a
        year bounding a period, nor one of a month no document is dated ("the June 2018 meeting"
        names an event of that month, not the February 2018 statement). ``years_named``, cached:
        the cues and the query both read them."""
        dated = {month[:4]: month for _, month, _ in self.months_named(question)}
        return tuple(sorted(y for y in self._years & self._cue_words(question)
                            if y not in dated or self.holds_month(dated[y])))

    def strip_cues(self, question: str, named: frozenset[str] | None = None, topical: frozenset[str] = frozenset()) -> str:
        """The question without the words that only name a document (its place, year, "news
        report", and title words of the documents it names); unchanged when too little would be left.

        Args:
            named: the documents the question names (``document_cues``), computed when not given.
            topical: news words and title words the question uses as a topic ("social media"): kept.
        """
        named = self.document_cues(question, topical) if named is None else named
        titles = {w for w, ids in self._title_docs.items() if ids <= named} - topical if named else set()
        naming = (self._naming - topical) | titles
        text = self._place_names.sub(" ", question) if self._place_names else question
        # Words, figures whole ("EUR 5.1 billion", not "EUR 5 . 1 billion") and punctuation marks.
        kept = [w for w in re.findall(r"\d+(?:[.,]\d+)+|[\w'’-]+|[^\w\s]", text)
                if words_of(w).isdisjoint(naming) or not w[:1].isalnum()]
        content = [w for w in kept if w[:1].isalnum() and len(w) > 3]
        return " ".join(kept) if len(content) >= 2 else question

    def unframed(self, text: str) -> str:
        """The text without an opening that only frames it ("What did the ministers say about";
        the language's ``framing_clause``), or "" when it has none or no word would be left."""
        rest = self._frame_re.sub("", text, count=1)
        return rest if rest != text and re.search(r"[^\W\d_]{3,}", rest) else ""

    def topic_words(self, stripped: str) -> list[str]:
        """The words of a question (already without its naming words) that name its topic."""
        words = re.findall(r"\d+(?:[.,]\d+)+|[\w'’-]+", stripped)  # a figure whole: "5.1", "2,300"
        return [w for w in words if len(w.strip("'’-")) > 1
                and w.lower().strip("'’-") not in self._not_topic and _uncontracted(w) not in self._not_topic]

    def months_named(self, question: str) -> list[tuple[str, str, int]]:
        """The months of a year a question names: ("May 2018", "2018-05", where it starts)."""
        return [(m.group(0), f"{m.group(2)}-{self._month_numbers[m.group(1).lower()]}", m.start())
                for m in self._month_date_re.finditer(question)]

    def holds_month(self, month: str) -> bool:
        """Whether a document may be of this month ("2018-02"): one is dated in it, or in its year alone."""
        return month in self._months or month[:4] in self._bare_years

    def frames(self, word: str) -> bool:
        """Whether a word asks which documents or how they compare ("latest", "changed"), not of a topic."""
        return any(r.search(word) for r in (self._latest_re, self._earliest_re, self._across_re))

    def asks_across_documents(self, question: str) -> bool:
        return bool(self._across_re.search(question))

    def topical_news_words(self, question: str, phrase_used: Callable[[str, str], bool]) -> frozenset[str]:
        """The news words a question uses as a topic: with a word beside them that the statements
        write with them ("social media": no wish for the news report). Only asked of a question
        with a news word, of a collection with news reports.

        Args:
            phrase_used: whether the official statements write two words side by side.
        """
        if not self._news_docs:
            return frozenset()
        words = re.findall(r"[\w'’-]+", question)
        return frozenset(w.lower() for i, w in enumerate(words) if w.lower() in self._news_words and (
            (i > 0 and phrase_used(words[i - 1], w)) or (i + 1 < len(words) and phrase_used(w, words[i + 1]))))

    def topical_title_words(self, question: str, used_elsewhere: Callable[[str, frozenset[str]], bool]) -> frozenset[str]:
        """The title words a question uses as a topic: ones the paragraphs of documents without them
        in their titles use too ("nursing" in a news headline on a nursing gap, "Africa" in a later
        statement's title, asked of every statement). Not document nouns or news words, which name
        documents however the paragraphs use them, nor two words side by side in a title written
        with capitals ("the Guiding Principles"): a phrase of a title so written names it.

        Args:
            used_elsewhere: whether a paragraph of a document outside the given ones uses the word.
        """
        words = word_list(question)
        typed = re.findall(r"[\w'’]+", without_accents(question))
        # A phrase of a title written with capitals ("the Guiding Principles") names it, however often
        # its words are used; in lower case ("which ministerial meeting") it is a topic like any words.
        # A possessive ends a phrase as well ("the Small Group's statement").
        bare = [_uncontracted(w) for w in words]
        phrased = {w for i, pair in enumerate(zip(bare, bare[1:])) if pair in self._title_pairs
                   and typed[i][:1].isupper() and typed[i + 1][:1].isupper() for w in pair}
        return frozenset(w for w in set(words) & self._title_docs.keys() - self._naming - phrased
                         if used_elsewhere(w, self._title_docs[w]))

    def parse(self, typed: str, thesaurus: Thesaurus = Thesaurus.LEXICAL,
              phrase_used: Callable[[str, str], bool] | None = None,
              used_elsewhere: Callable[[str, frozenset[str]], bool] | None = None,
              within: frozenset[str] | None = None) -> Query:
        """A normalised question as a ``Query`` (see ``qa.types.Query``); misspellings corrected first.

        Args:
            within: the documents the search's filters admit (None: all; see ``document_cues``).
            phrase_used: whether the official statements write two words side by side (the search
                engine's phrase index); news words written so name no report ("social media").
            used_elsewhere: whether a paragraph of a document outside the given ones uses a word;
                title words so used name no document (``topical_title_words``).
        """
        a = self.analyzer
        # A paragraph asked for by number ("para 7") is looked up, not searched for.
        reference = self._paragraph_re.search(typed)
        if reference and (rest := " ".join((typed[:reference.start()] + " " + typed[reference.end():]).split())):
            typed_rest = rest
        else:
            typed_rest = typed
        question, corrections = self.speller.correct(typed_rest) if self.speller else (typed_rest, ())
        topical = self.topical_news_words(question, phrase_used) if phrase_used else frozenset()
        if used_elsewhere:
            topical |= self.topical_title_words(question, used_elsewhere)
        cues = self.document_cues(question, topical, within)
        stripped = self.strip_cues(question, cues, topical)
        lay = tuple(a.lay_terms(question))
        terms = a.terms(a.lexical_query(question, lay_words=thesaurus is not Thesaurus.OFF))
        plain = terms if thesaurus is Thesaurus.OFF or not lay else a.terms(a.lexical_query(question, lay_words=False))
        # Words that ask how documents compare ("changed", "evolved") frame the question, as
        # "compare" does; not a topic to match ("as the threat changes"). A question of framing
        # alone keeps its words, to search something.
        framing = {t for m in self._across_re.finditer(question) for t in a.terms(m.group(0))}
        # So does the verb of an opening that asks what is intended ("How does the Coalition plan
        # to cut off ..."; the language's ``intent_opening``): the plan's object is the topic, not
        # paragraphs that speak of plans.
        if opening := self._intent_re.match(question):
            framing.update(a.terms(opening.group("intent")))
        terms = tuple(t for t in terms if t not in self._not_topic_terms and t not in framing) or terms
        # A year bounding a period ("since 2016") is a date, not a topic the collection must mention.
        bounds, spans = self.date_bounds(question)
        dated = {y for m in self._dated_re.finditer(question) for y in (m.group("y1"), m.group("y2")) if y}
        # Named by a news word ("the 2017 report"); a year or place a report shares with a statement
        # ("in the March 2017 statement") names the meeting, not a wish for the news.
        news = bool(words_of(question) & (self._news_words - topical)) and any(d.source_type == "news" for d in self.docs
                                                                   if d.id in cues)
        return Query(
            paragraph_number=int(reference["number"]) if reference else 0,
            quoted=quoted_phrases(question),  # as corrected: a slip inside quotes is a slip too
            text=typed,
            dense_text=(dense := a.expand(stripped) if thesaurus is Thesaurus.BOTH else stripped),
            topic_text=self.unframed(dense),
            terms=terms,
            phrases=tuple(word_pairs(list(plain))),
            cue_doc_ids=cues,
            names_documents=(named := self.names_as_documents(question, cues)),
            # Judged on them when named as documents, by their place, or as the news ("the news report").
            asks_of_cues=bool(cues) and (named or news or any(
                self._place_docs[place] & cues for place in self.places_named(question))),
            asks_for_news=news,
            cue_years=() if named else tuple(y for y in self.years_named(question) if self._year_docs[y] & cues),
            across_documents=self.asks_across_documents(question),
            topic_words=tuple(w for w in self.topic_words(stripped) if w not in bounds),
            lay_terms=lay,
            corrections=corrections,
            searched=question if corrections else "",
            undated_years=tuple(sorted(dated - bounds - self._years)),
            unlisted_names=self.unlisted_names(question),
            month_dates=tuple((words, month) for words, month, at in self.months_named(question)
                              if not any(a <= at < b for a, b in spans)),
        )

    def names_as_documents(self, question: str, cues: frozenset[str]) -> bool:
        """Whether the question names the documents ``cues`` as documents: one of their years or
        places next to a document noun ("the Zürich statement", "the 2032 communiqué", "the
        communiqué of June 2021") or by its order ("the latest statement"), not only a year or
        place that may be what it asks about."""
        cues = cues - self._news_docs  # a news report is named by news words, not by "statement"
        if not cues:
            return False
        if self._ordered_re.search(question):
            return True
        for m in self._dated_re.finditer(question):
            if any(y and self._year_docs.get(y, set()) & cues for y in (m.group("y1"), m.group("y2"))):
                return True
        patterns = [pattern for place, pattern in self._place_patterns if self._place_docs[place] & cues]
        return any(pattern.fullmatch(without_possessive(m.group("name")))
                   for m in self._named_re.finditer(question) for pattern in patterns)

    def _places_named(self, question: str) -> tuple[str, ...]:
        """The documents' places a question names (``places_named``, cached: the cues and the
        judgement's scope both read them)."""
        return tuple(place for place, pattern in self._place_patterns
                     if any(m.lastindex is None or m.group(1) is None or self._stands_alone(m, question, place)
                            for m in pattern.finditer(question)))

    def _stands_alone(self, match: re.Match, question: str, place: str) -> bool:
        """Whether a word of a place's name found alone ("Kuwait" of "Kuwait City") names it: not
        beside a capitalised word that is neither the place's, nor a word naming documents, nor a
        framing or stop word ("Mexico City", "Crocus City Hall" name other places; "the Kuwait
        Declaration" and "What Did The Kuwait Statement Say" name it). A word capitalised only for
        beginning a sentence is no other name."""
        own = {w.lower() for w in re.findall(r"[\w'’-]+", place)}

        def other(word: str) -> bool:
            return word[:1].isupper() and not all(w in own or w in self._beside_places
                                                  for w in words_of(without_possessive(word)))

        left = _LEFT_NAME.search(question[:match.start()])
        if left and other(left.group(1)):
            before = question[:left.start(1)].rstrip()
            if before and before[-1] not in ".?!:;\"“(":
                return False
        right = _RIGHT_NAME.match(question[match.end():])
        return not (right and other(right.group(1)))

    def _date_bounds(self, question: str) -> tuple[frozenset[str], tuple[tuple[int, int], ...]]:
        """The years bounding a period the documents' dates reach into ("since 2016" when a document
        is dated 2016 or later; not "since 2023" when the newest is 2021), and where those bounds are
        (``date_bounds``, cached: the cues and the query both read them)."""
        years = self._year_numbers
        bounds: set[str] = set()
        spans: list[tuple[int, int]] = []
        for m in self._date_bound_re.finditer(question):
            low, high = int(m.group("y1")), int(m.group("y2") or m.group("y1"))
            word = m.group("word").lower()
            reached = (any(y >= low for y in years) if word in ("since", "after") else
                       any(y <= low for y in years) if word in ("before", "until", "till") else
                       any(low <= y <= high for y in years))
            if reached:
                bounds |= {m.group("y1"), m.group("y2")} - {None}
                spans.append(m.span())
        return frozenset(bounds), tuple(spans)

    def periods(self, question: str) -> tuple[tuple[int, int], ...]:
        """The periods the question's date bounds mark out that the documents' dates reach into,
        as (first year, last year): "since 2019" and "after 2018" to the newest document's year,
        "between 2018 and 2020" both; none for "before" or "until", which later documents may
        still speak of."""
        newest = max(self._year_numbers, default=0)
        out = []
        for m in self._date_bound_re.finditer(question):
            word, low = m.group("word").lower(), int(m.group("y1"))
            if word in ("since", "after"):
                out.append((low + (word == "after"), newest))
            elif word == "between" and m.group("y2"):
                out.append((low, int(m.group("y2"))))
        return tuple((a, b) for a, b in out if any(a <= y <= b for y in self._year_numbers))

    def unlisted_names(self, question: str) -> tuple[str, ...]:
        """Capitalised words naming a document ("the Marrakesh communiqué") that are in no
        document's metadata and are no framing, number or document word ("the Second ministerial");
        a sentence's first word is no such name ("Statements ...")."""
        if _title_case(question):
            return ()  # capitals say nothing of names
        out = []
        for m in self._named_re.finditer(question):
            name = without_possessive(m.group("name"))
            start = question[:m.start("name")].rstrip()
            if (name[:1].isupper() and start and start[-1] not in ".?!:;\"“" and name not in out
                    and not words_of(name) & (self._metadata_words | self._naming | self._not_topic)
                    and not self._latest_re.search(name) and not self._earliest_re.search(name)
                    # another form of a document's place ("the Kuwaiti declaration", "the American statement")
                    and not any(words_of(form) & self._metadata_words
                                for form in self.analyzer.profile.place_forms.get(name.lower(), ()))):
                out.append(name)
        return tuple(out)


def _title_case(question: str) -> bool:
    """Whether most of a question's words are capitalised (Title Case): then capitals say nothing of names."""
    words = re.findall(r"[^\W\d_][\w'’-]*", question)
    return sum(w[:1].isupper() for w in words) > len(words) / 2


_QUOTED = re.compile(r'"([^"]+)"|“([^”]+)”|„([^“”]+)[“”]|«\s*([^»]+?)\s*»')


def quoted_phrases(text: str) -> tuple[str, ...]:
    """The words a question puts in double quotes (straight, curly, low-high or guillemets), each
    with its spaces made single; none that hold no word."""
    found = (" ".join(next(g for g in m.groups() if g is not None).split()) for m in _QUOTED.finditer(text))
    return tuple(dict.fromkeys(q for q in found if re.search(r"\w", q)))


_LEFT_NAME = re.compile(r"(?:^|(?<=[\s(\[\"“]))([^\W\d_][\w'’-]*)[ \t]+$")
_RIGHT_NAME = re.compile(r"^[ \t]+([^\W\d_][\w'’-]*)")
