"""Chat follow-ups: "and in 2019?" or "what about the Rome communiqué?" continue the last question.

The language's patterns (``qa/languages/<language>.toml``: ``follow_up``, ``pronoun``) say how a
message leans on the one before; the collection's years and places (``Intent.places``) fill in
what a message may open with ("for Rome", "in the Kuwait statement"). No name is written here.
"""

from __future__ import annotations

import re

from qa.intent import words_of
from qa.profile import Profile

# A message this short that points back with a pronoun ("did they repeat it?") continues the last one.
PRONOUN_MAX_WORDS = 6


class FollowUps:
    """Decides which chat messages continue the previous question, for one collection."""

    def __init__(self, profile: Profile, places: list[str]):
        nouns = "|".join(re.escape(n) for n in profile.document_nouns + profile.news_words)
        alternatives = [re.escape(n) for n in places] + ([rf"[a-z]+ ({nouns})"] if nouns else [])
        self._follow_up = profile.pattern("follow_up", names="|".join(alternatives) or r"(?!x)x")
        self._pronoun = profile.pattern("pronoun")

    def contextualize(self, question: str, previous: list[str]) -> str:
        """The text to search for, given the conversation's earlier searched texts (oldest first).

        A follow-up is searched together with the question it follows; anything else stands alone.
        """
        if not previous:
            return question
        if self._follow_up.search(question) or (len(question.split()) <= PRONOUN_MAX_WORDS
                                                and self._pronoun.search(question)):
            return f"{previous[-1]} {question}"
        return question


def scope(query, documents) -> frozenset[str]:
    """The documents a follow-up names when it names nothing else ("and what about that in the
    Kuwait statement?", "and in 2019?"): the follow-up asks the question before *of them*, so its
    search is kept to them. Empty when the message has a topic of its own ("what about Libya in
    the Rome communiqué?") or names no document.

    Args:
        query: the follow-up message alone, as ``Intent.parse`` reads it.
        documents: the collection's documents (their places, titles and dates are the names).
    """
    if not query.cue_doc_ids:
        return frozenset()
    names = words_of(" ".join(f"{d.place} {' '.join(d.place_aliases)} {d.title} {d.date.replace('-', ' ')}"
                              for d in documents if d.id in query.cue_doc_ids))
    if all(words_of(word) <= names for word in query.topic_words):
        return frozenset(query.cue_doc_ids)
    return frozenset()
