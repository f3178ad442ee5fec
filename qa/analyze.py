"""Text to BM25 terms: the one path used by the index build and by every question alike.

Statements name one thing many ways (ISIS / ISIL / Daesh; FTF / foreign terrorist fighters). For
BM25 every spelling of an alias group becomes the group's one word, in the paragraphs and in
the question, so an idea counts once and a rare exact term ("UNSCR 2396") keeps its weight.
Expanding a question with every other spelling instead makes BM25 count one idea several times
and favours paragraphs that write it two ways ("ISIS/Da'esh"). Words are then stemmed and
stopwords dropped (bm25s with PyStemmer). The aliases and lay words come from the collection's
profile (``qa.profile``); nothing here knows a subject.
"""

from __future__ import annotations

import re
import sys
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from qa.acronyms import merged
from qa.profile import Profile

# How text is turned into BM25 terms; bump it when this module changes what it makes, so old
# indexes rebuild. (Edits of the profile files rebuild through their fingerprint.)
# 4: aliases in one canonical word, names' words kept, a phrase index of adjacent word pairs.
# 5: figures kept whole ("5.1", "31.2", "2,300" as "2300").
# 6: an alias's spelling followed by a possessive is the alias ("Daesh's").
VERSION = 6

# A word of two letters or more, or a figure with its decimals ("EUR 5.1 billion", "31.2%"): a
# figure is what a question about one turns on, and its parts ("5", "1") say nothing.
TOKEN = r"(?u)\b\d+(?:\.\d+)+\b|\b\w\w+\b"
# A thousands separator ("2,300 kilometres"): dropped, so "2,300" and "2300" are one word.
_STEM_LOCK = threading.Lock()
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")

# The same canonical word twice in a row ("ISIS/Da'esh", "Daesh/ISIS") is one mention, not two.
# (The \b after the word stops the engine retrying every shorter part of every word: the same
# matches, since a repeat's first word is followed by a slash or a space.)
_REPEATED = re.compile(r"\b(\w+)\b(?:\s*/\s*\1\b)+")


def _body(spelling: str) -> tuple[str, bool]:
    """A spelling as a regular expression (any space or hyphen between words, optional apostrophe),
    and whether it must match in exact case ("IS", "UN", "CT": short upper-case spellings)."""
    body = re.escape(spelling).replace(r"\ ", r"[\s-]+").replace("'", "['’]?")
    return body, spelling.isupper() and len(spelling) <= 3


def _alias_pattern(spellings: list[str]) -> str:
    """The pattern of every alias spelling, each a named alternative (``a<i>``, in the order
    given) matched as a whole word (or before a possessive).

    The spellings are grouped by the character they start with (in either case), each group
    behind a look-ahead for its characters, and the whole behind one for all of them, ahead of
    the word-start test, so the regex engine skips to those characters. At a word that starts
    otherwise the pattern fails at once (building a million paragraphs' index spent half its
    alias time there); at one that starts with "I" only the spellings starting with "i" are
    tried, not all forty. A sentence of the statements took 10 µs instead of 25, with the same
    replacements. Spellings starting with an optional apostrophe leave the alternation ungrouped.

    Spellings that start with different characters never match at the same place, so grouping
    keeps what the order decides: the first (longest) of those that match there wins."""
    alternatives = [_alternative(s, f"a{i}") for i, s in enumerate(spellings)]
    word_start = r"(?<![\w'’-])"
    if any(not s or s[0] in "'’" for s in spellings):
        return word_start + "(?:" + "|".join(alternatives) + ")" + _ALIAS_END
    groups: dict[str, list[int]] = {}
    for i, spelling in enumerate(spellings):
        groups.setdefault(spelling[0].lower(), []).append(i)

    def starts(indexes) -> str:
        return "(?=(?i:[" + "".join(re.escape(c) for c in sorted({spellings[i][0] for i in indexes})) + "]))"

    return starts(range(len(spellings))) + word_start + "(?:" + "|".join(
        starts(members) + "(?:" + "|".join(alternatives[i] for i in members) + ")" for members in groups.values()
    ) + ")" + _ALIAS_END


def word_pattern(spelling: str) -> re.Pattern:
    """A spelling as a whole-word pattern (see ``_body``)."""
    body, exact = _body(spelling)
    return re.compile(rf"(?<![\w'’-]){body}(?![\w'’-])", 0 if exact else re.IGNORECASE)


class WordPattern:
    """``word_pattern`` of a spelling, compiled only when a text could match it: a collection's
    hundreds of spellings compiled at every start cost a third of a second, and most questions
    contain none of them. A match always contains the spelling's longest run of letters and digits
    (spaces, hyphens and apostrophes are what may vary), so a text without it is passed over."""

    def __init__(self, spelling: str):
        self.spelling = spelling
        self.needle = max(re.findall(r"[^\W_]+", spelling.lower()) or [""], key=len)
        self._pattern: re.Pattern | None = None

    def search(self, text: str) -> re.Match | None:
        if self.needle not in text.lower():
            return None
        if self._pattern is None:
            self._pattern = word_pattern(self.spelling)
        return self._pattern.search(text)


def _canonical_token(group: tuple[str, ...]) -> str:
    """The one word a group's spellings become: its first spelling without spaces, as the tokenizer
    writes it ("ISIS" -> "isis"), so a possessive ("ISIS's") still tokenizes to the same word."""
    single = next((s for s in group if " " not in s), group[0])
    return re.sub(r"[^0-9a-z]", "", single.lower())


# Where an alias's spelling ends: at the end of a word, or before a possessive ("Daesh's", "the
# Working Groups'"), which the tokenizer drops, so "Daesh's fighters" is searched as the alias's word.
_ALIAS_END = r"(?=['’]s?(?![\w'’-])|(?![\w'’-]))"


def _alternative(spelling: str, name: str) -> str:
    """One spelling as a named alternative of the single alias pattern, plurals included."""
    body, exact = _body(spelling)
    body += "(?:e?s)?"
    return f"(?P<{name}>{body})" if exact else f"(?P<{name}>(?i:{body}))"


def with_long_forms(question: str, long_forms: list[tuple["WordPattern", str, "WordPattern"]]) -> str:
    """The question followed by the long form of each abbreviation it uses without spelling it out.

    Args:
        long_forms: (the abbreviation's pattern, its long form, the long form's pattern), as
            ``build.unknown_abbreviations`` chose them for one model.
    """
    extra: list[str] = []
    for short, long, spelt in long_forms:
        if long not in extra and short.search(question) and not spelt.search(question):
            extra.append(long)
    return question if not extra else f"{question} ({'; '.join(extra)})"


def without_accents(text: str) -> str:
    """Text with its letters' accents dropped ("Rīga" -> "Riga", "Gdańsk" -> "Gdansk", "côte" -> "cote")."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def without_possessive(word: str) -> str:
    """A word without its possessive ending ("Iraq's" -> "Iraq", "militants'" -> "militants")."""
    return re.sub(r"['’]s?$", "", word)


def word_pairs(tokens: list[str]) -> list[str]:
    """Adjacent pairs of BM25 words ("egmont_group"): a phrase as one term (stopwords already out).

    Each pair is interned: a collection repeats its phrases, and a million paragraphs' pairs held
    as separate strings took several times the memory (30,000 paragraphs: 119 MB, interned 18 MB)."""
    return [sys.intern(f"{a}_{b}") for a, b in zip(tokens, tokens[1:])]


class Analyzer:
    """Text to BM25 terms for one collection's profile.

    Args:
        learnt: alias groups learnt from the collection's text (``qa.acronyms``), added to the
            profile's hand-written ones.
    """

    def __init__(self, profile: Profile, learnt: tuple[tuple[str, ...], ...] = ()):
        self.profile, self.learnt = profile, tuple(learnt)
        self.aliases = merged(profile.aliases, list(learnt))
        # Every spelling of every group in one pattern, longest first, so one pass replaces each
        # mention once ("ISIS-Khorasan" before "ISIS"; the kept words of a long name are not matched again).
        self._spellings = sorted(((s, _canonical_token(g), " " in s) for g in self.aliases for s in g),
                                 key=lambda t: -len(t[0]))
        self._canonical = re.compile(_alias_pattern([s for s, _, _ in self._spellings])) if self._spellings else None
        self._alias_patterns = [(g, [WordPattern(s) for s in g]) for g in self.aliases]
        self._lay_patterns = [(entry.terms, [WordPattern(w) for w in entry.words]) for entry in profile.lay_words]
        # Each lay spelling's needle (``WordPattern``) beside its entry: a question is lowered once
        # and only the spellings whose needle it holds are matched (a question against the bundled
        # profile's few hundred spellings took 0.2 ms pattern by pattern).
        self._lay_needles = [(p.needle, entry, p) for entry, (_, patterns) in enumerate(self._lay_patterns)
                             for p in patterns]
        self.alias_words = frozenset(w.lower() for g in self.aliases for s in g for w in re.findall(r"[\w'’]+", s))
        self._stemmer = None
        self._word_stemmer = None  # ``stem``'s own
        self.terms = lru_cache(maxsize=4096)(self._terms)

    # ---- aliases and lay words --------------------------------------------------------------

    def canonical(self, text: str, keep_names: bool = False) -> str:
        """Text with every spelling of an alias replaced by its group's one word.

        Args:
            keep_names: keep the words of multi-word spellings after the canonical word. For indexed
                paragraphs: a name such as "Counter-Finance Working Group" says what it is about, and
                a question about "finance" should still find it.
        """
        if self._canonical is None:
            return text

        def replace(match: re.Match) -> str:
            _, token, multiword = self._spellings[int(match.lastgroup[1:])]
            return f"{token} ({match.group(0)})" if keep_names and multiword else token

        text = self._canonical.sub(replace, text)
        return _REPEATED.sub(r"\1", text) if "/" in text else text

    def _lay_matches(self, question: str) -> list[tuple[int, "WordPattern"]]:
        """The lay spellings in a question: (their entry's place in the profile, the spelling's
        pattern), in the profile's order."""
        lowered = question.lower()
        return [(entry, p) for needle, entry, p in self._lay_needles if needle in lowered and p.search(question)]

    def lay_terms(self, question: str) -> list[str]:
        """The statements' own terms for the lay words in a question (the profile's lay words)."""
        out: list[str] = []
        for entry in dict.fromkeys(entry for entry, _ in self._lay_matches(question)):
            out.extend(t for t in self._lay_patterns[entry][0] if t not in out)
        return out

    def lay_wording(self, question: str) -> frozenset[str]:
        """The words (lower case) of the question's lay words the profile translates ("lone wolves":
        "lone", "wolves")."""
        return frozenset(w for _, p in self._lay_matches(question)
                         for w in re.findall(r"[^\W_][\w'’-]*", p.spelling.lower()))

    def with_spellings(self, question: str) -> str:
        """The question followed by every other spelling of each alias it contains."""
        extra = []
        for group, patterns in self._alias_patterns:
            if any(p.search(question) for p in patterns):
                extra.extend(s for s, p in zip(group, patterns) if not p.search(question))
        return question if not extra else f"{question} ({'; '.join(extra)})"

    def expand(self, question: str, lay_words: bool = True) -> str:
        """The question with its aliases' other spellings and, optionally, the statements' terms."""
        expanded = self.with_spellings(question)
        extra = self.lay_terms(question) if lay_words else []
        return expanded if not extra else f"{expanded} ({'; '.join(extra)})"

    def lexical_query(self, question: str, lay_words: bool = True) -> str:
        """What BM25 searches for: the question plus the statements' terms for its lay words, aliases
        in canonical form (the paragraphs are indexed the same way)."""
        extra = self.lay_terms(question) if lay_words else []
        return self.canonical(question if not extra else f"{question} ({'; '.join(extra)})")

    # ---- words ------------------------------------------------------------------------------

    def stem(self, word: str) -> str:
        """A word's stem by the language's stemmer, lower case, stop words kept: how two forms of
        one word are told to be one ("stopping", "stop")."""
        import Stemmer

        with _STEM_LOCK:  # a stemmer object is not safe to share between threads
            if self._word_stemmer is None:
                self._word_stemmer = Stemmer.Stemmer(self.profile.stemmer)
            return self._word_stemmer.stemWord(word.lower())

    def term_lists(self, texts: list[str]) -> list[list[str]]:
        """The stemmed words BM25 makes of each text (stopwords removed), in order."""
        if not texts:
            return []
        import Stemmer

        bm25s = bm25s_module()

        if self._stemmer is None:
            self._stemmer = Stemmer.Stemmer(self.profile.stemmer)
        texts = [_THOUSANDS.sub("", t) if "," in t else t for t in texts]
        tokenized = bm25s.tokenize(texts, token_pattern=TOKEN, stopwords=self.profile.stopwords,
                                   stemmer=self._stemmer, show_progress=False)
        inverse = {i: t for t, i in tokenized.vocab.items()}
        return [[inverse[i] for i in ids] for ids in tokenized.ids]

    def _terms(self, text: str) -> tuple[str, ...]:
        """``term_lists`` of one text, cached (questions and titles recur)."""
        return tuple(self.term_lists([text])[0])

    def canonical_terms(self, text: str) -> tuple[str, ...]:
        """The BM25 terms of a word or text of a question, its aliases' spellings made canonical
        first: what the index holds for it."""
        return self.terms(self.canonical(text))

    def paragraph_terms(self, texts: list[str]) -> list[list[str]]:
        """BM25 words of paragraph texts as the index holds them (aliases canonical, names kept)."""
        return self.term_lists([self.canonical(t, keep_names=True) for t in texts])


LIST_CHUNK = 65_536  # term lists handled at once by TermLists' whole-array steps (bounds their memory)


@dataclass(frozen=True, eq=False)
class TermLists:
    """Many paragraphs' term lists as numbers: list i is ``vocab[ids[starts[i]:starts[i + 1]]]``.

    A million paragraphs' word and word-pair lists took 1.9 GB as lists of strings (a pointer and
    a list per paragraph, and a string per pair); as numbers they take a few hundred MB. ``vocab``
    holds each term once, in the order first used."""

    vocab: tuple[str, ...]
    ids: np.ndarray  # int32, every list's terms one after another
    starts: np.ndarray  # int64, len(lists) + 1

    @classmethod
    def encode(cls, lists) -> "TermLists":
        vocab: dict[str, int] = {}
        lists = list(lists)
        lengths = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
        ids = np.fromiter((vocab.setdefault(t, len(vocab)) for terms in lists for t in terms), dtype=np.int32,
                          count=int(lengths.sum()))
        return cls(tuple(vocab), ids, _starts(lengths))

    @classmethod
    def joined(cls, parts: list["TermLists"]) -> "TermLists":
        """The parts' lists one after another, in one vocabulary (each part let go once copied)."""
        vocab: dict[str, int] = {}
        ids = np.empty(sum(len(p.ids) for p in parts), dtype=np.int32)
        lengths, at = [], 0
        while parts:
            part = parts.pop(0)
            mapping = np.fromiter((vocab.setdefault(t, len(vocab)) for t in part.vocab), dtype=np.int32,
                                  count=len(part.vocab))
            ids[at:at + len(part.ids)] = mapping[part.ids]
            at += len(part.ids)
            lengths.append(part.lengths)
        return cls(tuple(vocab), ids, _starts(np.concatenate(lengths) if lengths else np.zeros(0, dtype=np.int64)))

    def __len__(self) -> int:
        return len(self.starts) - 1

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.starts)

    def lists(self) -> list[list[str]]:
        """As lists of strings (what a small build and the Milvus store take)."""
        vocab = self.vocab
        return [[vocab[i] for i in self.ids[a:b].tolist()] for a, b in zip(self.starts[:-1].tolist(), self.starts[1:].tolist())]

    def pairs(self) -> "TermLists":
        """Each list's adjacent pairs as one term each, as ``word_pairs`` makes them, numbered in
        the order first used. Taken ``LIST_CHUNK`` lists at a time: each chunk's pairs are looked
        up among those already numbered (kept sorted), so no step sorts every pair of the
        collection at once (a million paragraphs' 70 million pairs took 2.5 GB so)."""
        width = np.int64(max(len(self.vocab), 1))
        known, known_ids = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32)  # sorted pairs, their numbers
        firsts: list[np.ndarray] = []  # the pairs in the order numbered
        out = np.empty(max(len(self.ids) - len(self), 0) + int(np.sum(self.lengths == 0)), dtype=np.int32)
        lengths = np.maximum(self.lengths - 1, 0)
        at = 0
        for first in range(0, len(self), LIST_CHUNK):
            last = min(len(self), first + LIST_CHUNK)
            a, b = int(self.starts[first]), int(self.starts[last])
            ids = self.ids[a:b].astype(np.int64)
            inside = np.ones(max(len(ids) - 1, 0), dtype=bool)
            ends = self.starts[first + 1:last] - a - 1  # each list's last term: no pair starts there
            inside[ends[(ends >= 0) & (ends < len(inside))]] = False
            keys = ids[:-1][inside] * width + ids[1:][inside] if len(ids) else np.zeros(0, dtype=np.int64)
            unique, first_at, inverse = np.unique(keys, return_index=True, return_inverse=True)
            place = np.minimum(np.searchsorted(known, unique), max(len(known) - 1, 0))
            seen = (known[place] == unique) if len(known) else np.zeros(len(unique), dtype=bool)
            number = np.where(seen, known_ids[place] if len(known) else 0, -1).astype(np.int32)
            new = np.flatnonzero(~seen)
            new = new[np.argsort(first_at[new], kind="stable")]  # the chunk's new pairs, as first used
            number[new] = np.arange(len(known_ids), len(known_ids) + len(new), dtype=np.int32)
            firsts.append(unique[new])
            merged = np.concatenate([known, unique[new]])
            order = np.argsort(merged, kind="stable")
            known, known_ids = merged[order], np.concatenate([known_ids, number[new]])[order]
            out[at:at + len(keys)] = number[inverse.ravel()]
            at += len(keys)
        pairs = np.concatenate(firsts) if firsts else np.zeros(0, dtype=np.int64)
        vocab = tuple(sys.intern(f"{self.vocab[k // width]}_{self.vocab[k % width]}") for k in pairs.tolist())
        return TermLists(vocab, out[:at], _starts(lengths))

    def prefixed(self, prefixes: "TermLists", which: np.ndarray) -> "TermLists":
        """List i preceded by ``prefixes``' list ``which[i]`` (a paragraph's words after its
        document's context line's)."""
        joined = TermLists.joined([prefixes, self])
        line_ids, text_ids = joined.ids[:len(prefixes.ids)], joined.ids[len(prefixes.ids):]
        which = np.asarray(which, dtype=np.int64)
        line_lengths = prefixes.lengths[which]
        starts = _starts(line_lengths + self.lengths)
        out = np.empty(int(starts[-1]), dtype=np.int32)
        for first in range(0, len(self), LIST_CHUNK):
            last = min(len(self), first + LIST_CHUNK)
            lines = line_lengths[first:last]
            texts = self.lengths[first:last]
            at = starts[first:last]
            out[_spans(at, lines)] = line_ids[_spans(prefixes.starts[which[first:last]], lines)]
            out[_spans(at + lines, texts)] = text_ids[_spans(self.starts[first:last], texts)]
        return TermLists(joined.vocab, out, starts)


def _starts(lengths: np.ndarray) -> np.ndarray:
    starts = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    return starts


def _spans(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The positions start, start + 1, ..., start + length - 1 of each span, one span after another."""
    total = int(lengths.sum())
    if not total:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - _starts(lengths)[:-1], lengths)
    return offsets + np.arange(total, dtype=np.int64)


def bm25s_module():
    """bm25s, without numba and scipy: bm25s imports both whenever they are installed (ranx, the
    evaluation's metrics library, brings them), which adds about 0.7 s to every start; we use its
    numpy backends (``BM25()``'s defaults), which need neither."""
    if "bm25s" in sys.modules:
        return sys.modules["bm25s"]
    blocked = [name for name in ("numba", "scipy", "scipy.sparse") if name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None  # makes "import numba" fail, inside bm25s only
    try:
        import bm25s
    finally:
        for name in blocked:
            del sys.modules[name]
    return bm25s
