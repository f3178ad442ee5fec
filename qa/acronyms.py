"""Acronyms learnt from the collection's own text: "financial intelligence unit (FIU)".

A statement that writes a long form and then its abbreviation in brackets defines the pair; from
then on either spelling should find the other. The pairs are found at build time and join the
collection vocabulary's alias groups (``qa.analyze``), so the hand-written groups need to list
only what the text does not say (other spellings, lower-case forms).

The long form is found as Schwartz & Hearst describe ("A simple algorithm for identifying
abbreviation definitions in biomedical text", PSB 2003): walking the short form's letters from the
last to the first and the words before the bracket from right to left, each letter must be found,
the first one at the start of a word; the long form is at most min(|short| + 5, 2 |short|) words.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Iterable

# "(FIU)", "(FIUs)", "(CEN-SAD)", "(ISIS-K)", "(the CIFG)": a bracket holding one abbreviation.
_BRACKET = re.compile(r"\((?:the\s+)?([A-Za-z][A-Za-z0-9&.-]{1,11})\)")
_WORD = re.compile(r"[\w'’&-]+")


def _is_short_form(token: str) -> bool:
    """An abbreviation: two or more capitals ("FIU", "ISIS-K"), not an ordinary capitalised word."""
    body = token[:-1] if token.endswith("s") and token[:-1].isupper() else token
    return sum(c.isupper() for c in body) >= 2 and body[0].isalpha() and len(re.sub(r"\W", "", body)) >= 2


def _letters(short: str) -> str:
    """The letters and digits a long form must supply: "FIUs" -> "fiu", "CEN-SAD" -> "censad"."""
    body = short[:-1] if short.endswith("s") and short[:-1].isupper() else short
    return re.sub(r"[^0-9a-z]", "", body.lower())


def long_form(short: str, before: str) -> str | None:
    """The long form of ``short`` at the end of ``before`` (the text up to its bracket), or None."""
    letters = _letters(short)
    words = _WORD.findall(before)
    limit = min(len(letters) + 5, 2 * len(letters))
    window = words[-limit:]
    if not letters or not window:
        return None
    text = " ".join(window).lower()
    s, t = len(letters) - 1, len(text) - 1
    while s >= 0:
        c = letters[s]
        # Find c going left; the first letter must begin a word.
        while t >= 0 and (text[t] != c or (s == 0 and t > 0 and text[t - 1].isalnum())):
            t -= 1
        if t < 0:
            return None
        s, t = s - 1, t - 1
    start = text.rfind(" ", 0, t + 1) + 1
    found = text[start:]
    n_words = len(found.split())
    if n_words < 2 or found.split()[-1].isupper():
        return None
    # Keep the text's own spelling (case) of those words.
    return " ".join(window[-n_words:])


def definitions(texts: Iterable[str], min_count: int = 1) -> list[tuple[str, ...]]:
    """Alias groups (long form, short form) defined in the texts, most often defined first.

    A short form defined with two different long forms keeps the one written most often (ties:
    the first written). Plural short forms ("FIUs") join their singular's group.
    """
    seen: dict[str, Counter] = {}
    for text in texts:
        for match in _BRACKET.finditer(text):
            short = match.group(1)
            if not _is_short_form(short):
                continue
            found = long_form(short, text[:match.start()])
            if found:
                plural = short.endswith("s") and short[:-1].isupper()
                singular, found = (short[:-1], found[:-1]) if plural and found.endswith("s") else (short, found)
                seen.setdefault(singular, Counter())[found.lower()] += 1
    groups = []
    for short, forms in seen.items():
        best, count = forms.most_common(1)[0]
        if count >= min_count:
            groups.append((count, best, short))
    groups.sort(key=lambda g: -g[0])
    return [(best, short) for _, best, short in groups]


def merged(aliases: tuple[tuple[str, ...], ...], learnt: list[tuple[str, ...]]) -> tuple[tuple[str, ...], ...]:
    """The vocabulary's alias groups with the learnt ones added: a learnt pair sharing a spelling
    with a hand-written group adds its other spelling to that group; a new pair is a new group.
    The hand-written spellings come first, so a group's canonical word does not change."""
    out = [list(g) for g in aliases]
    where = {s.lower(): i for i, g in enumerate(out) for s in g}
    for group in learnt:
        hits = {where[s.lower()] for s in group if s.lower() in where}
        if len(hits) > 1:
            continue  # the pair would join two hand-written groups: the vocabulary file decides
        if hits:
            i = hits.pop()
            for s in group:
                if s.lower() not in where:
                    out[i].append(s)
                    where[s.lower()] = i
        else:
            out.append(list(group))
            for s in group:
                where[s.lower()] = len(out) - 1
    return tuple(tuple(g) for g in out)
