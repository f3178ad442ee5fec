"""Text to BM25 terms with the bundled collection's profile: aliases, lay words, stemming."""

import re

import pytest

from qa.analyze import Analyzer, word_pairs
from qa.profile import load_profile

from conftest import CORPUS

A = Analyzer(load_profile(CORPUS))


def terms(text):
    return list(A.terms(text))


def test_aliases_bring_every_spelling():
    expanded = A.with_spellings("What did ISIL do in Mosul?")
    for spelling in ("ISIS", "Daesh", "Da'esh", "Islamic State"):
        assert spelling in expanded
    assert "foreign terrorist fighters" in A.with_spellings("FTF returns")
    assert "UNSCR" in A.with_spellings("UN Security Council Resolution 2254")


def test_short_upper_case_aliases_need_exact_case():
    assert A.with_spellings("what is this about?") == "what is this about?"
    assert A.with_spellings("the un-named partner") == "the un-named partner"


def test_lay_words_gain_the_statements_terms():
    assert "child soldiers" in A.lay_terms("kids forced to fight")
    assert "demining" in A.lay_terms("clearing landmines")
    assert A.lay_terms("the ministers met in Rome") == []
    assert "detainees" in A.expand("prisoners in Syria")
    assert A.expand("prisoners in Syria", lay_words=False) == "prisoners in Syria"


def test_canonical_aliases_make_one_word_of_every_spelling():
    tokens = terms(A.canonical("ISIL, Daesh and the Islamic State"))
    assert tokens == ["isi", "isi", "isi"]  # one word, whatever the spelling ("isi" is the stem of "isis")
    assert "unscr 2254" in A.canonical("UN Security Council Resolution 2254")
    assert A.canonical("UNSCR 2254").split() == A.canonical("UN Security Council Resolution 2254").split()
    # Plurals of multi-word spellings and possessives land on the same word as the plain spelling.
    assert terms(A.canonical("the Working Groups")) == terms(A.canonical("working group"))
    assert terms(A.canonical("ISIS’s ideology"))[0] == terms(A.canonical("Daesh"))[0]
    # A longer alias is not swallowed by a shorter one inside it.
    assert "isisk" in A.canonical("ISIS-Khorasan in Afghanistan") and " isis " not in A.canonical("ISIS-K")
    # A possessive ends a spelling as a word's end does; the question's words as the index holds them.
    for text in ("the Islamic State's fighters", "Daesh’s fighters", "ISIL's fighters", "ISIS fighters"):
        assert A.canonical_terms(text) == ("isi", "fighter"), text
    assert A.canonical_terms("the Working Groups' reports") == A.canonical_terms("working group reports")


def test_a_paragraph_writing_two_spellings_counts_the_alias_once():
    assert terms(A.canonical("defeat ISIS/Da'esh now")) == ["defeat", "isi", "now"]
    assert terms(A.canonical("Daesh/ISIS affiliates")) == ["isi", "affili"]


def test_lexical_query_adds_the_statements_terms_in_canonical_form():
    query = A.lexical_query("prisoners held by ISIL")
    tokens = terms(query)
    assert tokens.count("isi") == 1  # the alias once, not once per spelling
    assert "detaine" in tokens  # "prisoners" brings the statements' "detainees"
    assert "detaine" not in terms(A.lexical_query("prisoners held by ISIL", lay_words=False))


def test_indexed_names_keep_their_words_and_count_the_alias_once():
    indexed = terms(A.canonical("the Counter-Finance Working Group and UN Security Council Resolution 2254",
                                                    keep_names=True))
    assert "financ" in indexed and "counter" in indexed  # a question about finance still finds the group
    assert indexed.count("cifg") == 1 and indexed.count("unscr") == 1  # the kept words are not matched again
    assert "financ" not in terms(A.canonical("the Counter-Finance Working Group"))


def test_word_pairs_make_adjacent_terms_one_term():
    assert word_pairs(["egmont", "group", "financi"]) == ["egmont_group", "group_financi"]
    assert word_pairs(["egmont"]) == []


def test_a_collection_without_aliases_leaves_text_as_it_is(tmp_path):
    plain = Analyzer(load_profile(tmp_path))  # no vocabulary file: no aliases, no lay words
    assert plain.canonical("ISIL and Daesh") == "ISIL and Daesh"
    assert plain.lay_terms("kids forced to fight") == []
    assert list(plain.terms("ISIL fighters")) == ["isil", "fighter"]


def test_a_lazy_word_pattern_matches_exactly_where_the_compiled_one_does():
    from qa.analyze import WordPattern, word_pattern
    from qa.profile import load_profile

    from conftest import CORPUS, DATA

    for folder in (CORPUS, DATA / "harbours"):
        profile = load_profile(folder)
        spellings = [s for g in profile.aliases for s in g] + [w for e in profile.lay_words for w in e.words]
        texts = ([f"about {s} here" for s in spellings] + [f"the {s.upper()}'s {s.replace(' ', '-')}" for s in spellings]
                 + [f"x{s}x" for s in spellings] + ["nothing here at all"])
        for s in spellings:
            lazy, compiled = WordPattern(s), word_pattern(s)
            assert [bool(lazy.search(t)) for t in texts] == [bool(compiled.search(t)) for t in texts], s


def test_a_figure_is_one_word_with_its_decimals_and_without_its_thousands_separator():
    assert terms("EUR 5.1 billion, a 31.2% share") == ["eur", "5.1", "billion", "31.2", "share"]
    assert terms("2,300 kilometres") == terms("2300 kilometres") == ["2300", "kilometr"]
    assert "5.1" not in terms("EUR 5 billion, 1 share")  # not made of figures standing apart
    assert terms("in 2019. Then") == ["2019"]  # a sentence's full stop is no decimal point


@pytest.mark.parametrize("chunk", [3, 65_536])
def test_term_lists_as_numbers_give_back_the_lists_their_word_pairs_and_prefixed_lists(monkeypatch, chunk):
    # A large build keeps its paragraphs' terms as numbers and makes its phrase view and its word
    # view (each paragraph after its document's context line) from them, a chunk of lists at a time.
    import random

    import numpy as np

    from qa import analyze
    from qa.analyze import TermLists, word_pairs

    monkeypatch.setattr(analyze, "LIST_CHUNK", chunk)
    rng = random.Random(5)
    words = [f"w{i}" for i in range(12)]
    for _ in range(100):
        lists = [[rng.choice(words) for _ in range(rng.randint(0, 5))] for _ in range(rng.randint(0, 20))]
        lines = [[rng.choice(words + ["rome", "kuwait"]) for _ in range(rng.randint(0, 3))] for _ in range(3)]
        which = [rng.randrange(3) for _ in lists]
        encoded = TermLists.encode(lists)
        assert encoded.lists() == lists and encoded.lengths.tolist() == [len(t) for t in lists]
        pairs = encoded.pairs()
        assert pairs.lists() == [word_pairs(t) for t in lists]
        assert list(pairs.vocab) == list(dict.fromkeys(p for t in lists for p in word_pairs(t)))  # first use
        assert encoded.prefixed(TermLists.encode(lines), np.array(which)).lists() == [lines[w] + t for w, t in zip(which, lists)]
        halves = [TermLists.encode(lists[:7]), TermLists.encode(lists[7:])]
        assert TermLists.joined(halves).lists() == lists


def test_a_word_views_counts_are_how_many_paragraphs_hold_each_word():
    from collections import Counter

    from qa.analyze import TermLists
    from qa.retrieve.lexical import LexicalIndex

    lists = [["coalit", "isis", "coalit"], [], ["isis", "detaine"], ["fund"]]
    expected = dict(Counter(t for terms in lists for t in set(terms)))
    assert LexicalIndex.build(lists).document_counts() == expected
    assert LexicalIndex.build(TermLists.encode(lists)).document_counts() == expected
    assert LexicalIndex.build([[], []]).document_counts() == {}  # no word at all: nothing counted


def test_the_grouped_alias_pattern_replaces_exactly_what_one_plain_alternation_does():
    """The alias pattern groups its spellings by their first character (``_alias_pattern``); it
    must replace what trying every spelling in order at each word start replaces, over the
    statements' paragraphs and over random runs of spelling fragments, case changes and
    punctuation (where partial and overlapping spellings sit side by side)."""
    import random

    from qa.analyze import _ALIAS_END, _alternative
    from qa.corpus import load_collection

    spellings = [s for s, _, _ in A._spellings]
    plain = re.compile(r"(?<![\w'’-])(?:" + "|".join(_alternative(s, f"a{i}") for i, s in enumerate(spellings))
                       + ")" + _ALIAS_END)
    grouped = A._canonical
    assert grouped.pattern != plain.pattern

    def replaced(pattern, text):
        return pattern.sub(lambda m: f"<{m.lastgroup}>", text)

    texts = [p.text for d in load_collection(CORPUS).documents for p in d.paragraphs]
    pieces = [w for s in spellings for w in re.split(r"(\s+|-)", s)] + ["s", "'s", "’", "-", " ", ", ", "/", "x"]
    rng = random.Random(7)
    for _ in range(3000):
        words = [rng.choice(pieces) for _ in range(rng.randint(1, 12))]
        texts.append("".join(w.upper() if rng.random() < 0.2 else w.lower() if rng.random() < 0.2 else w
                             for w in words))
    changed = 0
    for text in texts:
        assert replaced(grouped, text) == replaced(plain, text), text
        changed += replaced(plain, text) != text
    assert changed > 300  # the texts do hold spellings to replace (624 of 3,054)


def test_lay_words_found_through_their_needles_are_those_each_pattern_finds():
    """``lay_terms`` and ``lay_wording`` match only the spellings whose needle the question holds;
    they must find what matching every lay spelling of the profile one by one finds."""
    import json

    from conftest import ROOT

    questions = [json.loads(line)["question"] for path in sorted((ROOT / "eval").glob("*.jsonl"))
                 for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    questions += [p.spelling.upper() + " and " + p.spelling for _, patterns in A._lay_patterns for p in patterns]
    found = 0
    for question in questions:
        terms: list[str] = []
        wording: set[str] = set()
        for entry_terms, patterns in A._lay_patterns:
            hits = [p for p in patterns if p.search(question)]
            if hits:
                terms.extend(t for t in entry_terms if t not in terms)
            wording.update(w for p in hits for w in re.findall(r"[^\W_][\w'’-]*", p.spelling.lower()))
        assert A.lay_terms(question) == terms, question
        assert A.lay_wording(question) == wording, question
        found += bool(terms)
    assert found > 300
