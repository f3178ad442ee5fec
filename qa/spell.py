"""Spelling: a question word the collection never uses is matched to the nearest word it does use.

"finacing" becomes "financing", "propoganda" "propaganda", "Mosull" "Mosul", and the answer says
what was searched. The words come from the collection itself (counted at build time, kept in the
index folder), so a new collection brings its own; nothing here knows a word.

A word of the language (its word list, ``Profile.language_words``, which holds well-known names
too) is never corrected: "heading" is not a slip for "hearing" because this collection lacks it,
nor "Iran" for "Iraq", nor "Hamas" for "Hama". A word joined by hyphens is corrected part by part
("counter-finanse": "counter-finance"). Otherwise a word is corrected when its edit
distance means a slip of the keys: at least ``MIN_LENGTH`` letters, one edit up to
``LONG_WORD - 1`` letters and two from ``LONG_WORD`` on, the same first letter, and no digits;
failing that, one edit more for a word that sounds the same ("dolfins", "comitee", "Lybia": ``sound``).
Among candidates at the same distance one that sounds the same wins ("spil": "spill", not
"sail"), then the one the collection uses most. Two words neither of
which the collection uses may be one of its own names split ("Alp Pas" for "AlpPass"). Two neighbouring
letters swapped is one edit ("Saftey", "incidnets"), the commonest slip of the keys: the
optimal string alignment distance (Levenshtein with transpositions) via rapidfuzz.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Iterable

from qa.analyze import without_accents

MIN_LENGTH = 4
LONG_WORD = 8
WORDS_AT_ONCE = 2048
WORD = re.compile(r"[^\W\d_][\w'’-]*[^\W\d_]|[^\W\d_]")


def words_of(texts: Iterable[str]) -> Counter:
    """How often each lower-case word occurs in the texts (what a build records). Texts are read
    ``WORDS_AT_ONCE`` at a time, joined by line breaks (no word runs across one): one pattern
    search per text took twice as long over a collection's paragraphs."""
    counts: Counter = Counter()
    texts = texts if isinstance(texts, list) else list(texts)
    for at in range(0, len(texts), WORDS_AT_ONCE):
        counts.update(map(str.lower, WORD.findall("\n".join(texts[at:at + WORDS_AT_ONCE]))))
    return counts


_DOUBLED = re.compile(r"(.)\1+")


def sound(word: str) -> str:
    """A word as it sounds, roughly: "ph" as "f", "y" as "i", doubled letters once ("dolphins" and
    "dolfins", "committee" and "comitee", "Libya" and "Lybia" sound alike)."""
    return _DOUBLED.sub(r"\1", word.lower().replace("ph", "f").replace("y", "i"))


def _both_ways(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Each pair read both ways, longest first ("isations" before "ise")."""
    return sorted({(a, b) for x, y in pairs for a, b in ((x, y), (y, x))}, key=lambda p: (-len(p[0]), p))


class Speller:
    """Corrects question words against one collection's words."""

    def __init__(self, counts: dict[str, int], keep=frozenset(), also: Iterable[str] = (),
                 variants: Iterable[tuple[str, str]] = (), inside: Iterable[tuple[str, str]] = ()):
        """
        Args:
            counts: the collection's words and how often each occurs.
            keep: words never corrected although the collection lacks them (the language's words),
                or a function returning them, called once when first needed.
            also: the collection's words its text may not write, counted once each: the vocabulary
                file's spellings ("Khorasan" where the text writes "Khurasan"), so that a slip of one
                is corrected to it, and it then finds its group.
            variants: pairs of word endings of one word's spellings ("isation", "ization"; the
                language's ``spelling_variants``): a word the collection writes the other way is
                searched as the collection writes it, though the language has both.
            inside: pairs of one word's spellings inside it, not at its start ("isa", "iza" of
                "organisations"; the language's ``spelling_variants_inside``).
        """
        extra = {w: 1 for w in also if w not in counts and len(w) >= 2}
        counts = {**counts, **extra} if extra else counts
        # The parts of a hyphenated word are the collection's words too ("Khorasan" of "ISIS-Khorasan"),
        # as BM25 reads them: "Korasan" is corrected to the part.
        parts: Counter = Counter()
        for word, n in counts.items():
            if "-" in word:
                parts.update({part: n for part in word.split("-") if len(part) >= MIN_LENGTH and part not in counts})
        self.counts = {**counts, **parts} if parts else counts
        self._keep = keep
        self._variants = _both_ways(variants)
        self._inside = _both_ways(inside)
        # A word the collection writes with accents, typed without them ("Cote" for "Côte"): the
        # commonest slip of all, and no other word, whatever the language's words say.
        self._accented: dict[str, str] = {}
        for word in sorted((w for w in self.counts if not w.isascii()), key=lambda w: -self.counts[w]):
            plain = without_accents(word)
            if plain != word and plain not in self.counts:
                self._accented.setdefault(plain, word)
        self._buckets: dict[tuple[str, int], list[str]] = defaultdict(list)
        for word in self.counts:
            self._buckets[(word[0], len(word))].append(word)

    @property
    def keep(self) -> frozenset[str]:
        if callable(self._keep):
            self._keep = frozenset(self._keep())
        return self._keep

    def nearest(self, word: str) -> str | None:
        """The collection's word nearest a word it lacks, or None (see the module's docstring)."""
        from rapidfuzz.distance import OSA

        lower = word.lower()
        if lower in self.counts:
            return None
        pieces = word.split("-")
        if len(pieces) > 1 and all(pieces):  # "counter-finanse": each part as a word ("finance")
            fixed = [self.nearest(piece) for piece in pieces]
            return "-".join(f or p for f, p in zip(fixed, pieces)) if any(fixed) else None
        if not lower.isalpha():
            return None
        if variant := self._variant(lower):  # another standard's spelling of the word: the same word
            return _as_typed(variant, word)
        if lower in self._accented:
            return _as_typed(self._accented[lower], word)
        if len(lower) < MIN_LENGTH:
            return None
        limit = 1 if len(lower) < LONG_WORD else 2
        # The nearest within ``limit`` edits, else the nearest that sounds the same within one more.
        best: tuple[int, int, str] | None = None
        alike: tuple[int, int, str] | None = None
        heard = sound(lower)
        for size in range(len(lower) - limit - 1, len(lower) + limit + 2):
            for candidate in self._buckets.get((lower[0], size), ()):
                distance = OSA.distance(lower, candidate, score_cutoff=limit + 1)
                if distance <= limit:  # equally near: one that sounds the same first ("spil": "spill", not "sail")
                    key = (distance, sound(candidate) != heard, -self.counts[candidate], candidate)
                    best = key if best is None or key < best else best
                elif distance <= limit + 1 and sound(candidate) == heard:
                    key = (distance, False, -self.counts[candidate], candidate)
                    alike = key if alike is None or key < alike else alike
        best = best or alike
        # The language's words are read only now, when there is a correction to refuse (reading
        # the word list costs a tenth of a second, and most questions need no correction).
        if best is None or lower in self.keep:
            return None
        return _as_typed(best[3], word)

    def _variant(self, lower: str) -> str | None:
        """The collection's spelling of a word it writes with another ending of the language's pairs
        ("stabilization" for "stabilisation", "defense" for "defence"), or another middle ("organizations"
        for "organisations"), or None."""
        for ending, other in self._variants:
            if lower.endswith(ending) and len(lower) > len(ending) + 2:
                found = lower[:-len(ending)] + other
                if found in self.counts:
                    return found
        for inner, other in self._inside:
            at = lower.find(inner, 3)
            if at > 2 and (found := lower[:at] + other + lower[at + len(inner):]) in self.counts:
                return found
        return None

    def joined(self, first: str, second: str) -> str | None:
        """The collection's word two typed words make as one ("Alp Pas" -> "AlpPass" written
        "Alppass"), or None: only when neither is a word of the collection and the word they make
        is the collection's own, no word of the language ("any one" stays two words)."""
        if first.lower() in self.counts or second.lower() in self.counts or "-" in first + second:
            return None  # a hyphenated word is corrected part by part (``nearest``), never joined
        whole = first + second.lower()
        found = whole if whole.lower() in self.counts else self.nearest(whole)
        return found if found is not None and found.lower() not in self.keep else None

    def correct(self, text: str) -> tuple[str, tuple[tuple[str, str], ...]]:
        """The text with each correctable word replaced, and the (typed, searched) pairs."""
        fixes: list[tuple[str, str]] = []
        words = list(WORD.finditer(text))
        taken = len(text)  # where the last join made starts: a word is joined once
        for first, second in reversed(list(zip(words, words[1:]))):  # from the end: spans stay valid
            if (second.end() <= taken and text[first.end():second.start()] == " "
                    and (found := self.joined(first.group(0), second.group(0)))):
                fixes.insert(0, (f"{first.group(0)} {second.group(0)}", found))
                text, taken = text[:first.start()] + found + text[second.end():], first.start()

        def replace(match: re.Match) -> str:
            typed = match.group(0)
            found = self.nearest(typed)
            if found is None:
                return typed
            if (typed, found) not in fixes:
                fixes.append((typed, found))
            return found

        return WORD.sub(replace, text), tuple(fixes)


def _as_typed(found: str, typed: str) -> str:
    """The collection's word with the typed word's capital ("Mosul" for "Mosull")."""
    return found.capitalize() if typed[:1].isupper() and not typed.isupper() else found
