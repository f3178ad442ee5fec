"""BM25 over term lists (bm25s): scores, the filter mask applied inside, top-k, save and load."""

import numpy as np
import pytest

from qa.analyze import word_pairs
from qa.retrieve.lexical import LexicalIndex

TERMS = [["isi", "fighter", "syria"], ["coalit", "met", "rome"], ["coalit", "isi", "iraq"], ["stabil", "iraq"]]


def test_scores_rank_the_paragraph_with_the_rare_word_first(tmp_path):
    index = LexicalIndex.build(TERMS)
    scores = index.scores(["stabil", "iraq"])
    assert int(np.argmax(scores)) == 3 and scores[2] > 0 and scores[0] == 0
    index.save(tmp_path / "lexical")
    loaded = LexicalIndex.load(tmp_path / "lexical", len(TERMS))
    assert np.allclose(loaded.scores(["stabil", "iraq"]), scores)
    assert not loaded.scores(["chocol", "cake"]).any()  # no known word: all zeros


def test_top_returns_the_k_best_positive_rows_and_honours_the_mask():
    index = LexicalIndex.build(TERMS)
    scores, rows = index.top(["iraq", "coalit"], k=2)
    assert list(rows) == [2, 3]  # row 2 has both words; of the one-word rows the shorter (3) scores higher
    assert rows[0] == 2 and scores[0] > scores[1] > 0
    allowed = np.array([True, True, False, True])
    scores, rows = index.top(["iraq", "coalit"], k=5, allowed=allowed)
    assert 2 not in rows and set(rows) == {1, 3}  # masked inside the scoring; zero scores are not returned
    assert len(index.top(["rome"], k=3)[1]) == 1


def test_phrase_index_scores_the_paragraph_with_the_exact_phrase(tmp_path):
    pairs = [word_pairs(t) for t in (["egmont", "group", "financi", "unit"], ["small", "group", "egmont", "deleg"],
                                     ["group", "egmont", "friend"])]
    index = LexicalIndex.build(pairs)
    scores = index.scores(["egmont_group"])
    assert scores[0] > 0 and scores[1] == 0 and scores[2] == 0  # both words in 1 and 2, the phrase only in 0
    index.save(tmp_path / "phrases")
    assert np.allclose(LexicalIndex.load(tmp_path / "phrases", 3).scores(["egmont_group"]), scores)


def test_an_index_whose_rows_have_no_terms_scores_nothing():
    index = LexicalIndex.build([[], [], []])  # e.g. one-word paragraphs make no word pairs
    assert index.size == 3 and not index.scores(["egmont_group"]).any()
    assert len(index.top(["egmont_group"], 2)[1]) == 0


def test_an_added_paragraph_scores_as_the_base_index_scores_the_same_paragraph():
    from qa.build import mean_length
    from qa.retrieve.lexical import AddedLexical, SegmentedLexical

    base_lists = [["isis", "financ", "network"], ["detaine", "syria", "camp", "detaine"], ["iraq", "stabil"],
                  ["financ", "fatf", "egmont", "group", "financ"], ["foreign", "fighter", "return"]]
    base = LexicalIndex.build(base_lists)
    # Paragraph 3 again, added after the base was built: the base's statistics give it the base's own score.
    added = AddedLexical([base_lists[3], ["unknown", "word"]], base, mean_length(base_lists))
    for terms in (["financ"], ["financ", "egmont"], ["financ", "financ"], ["group", "network"]):
        np.testing.assert_allclose(added.scores(terms)[0], base.scores(terms)[3], rtol=1e-5)
    assert added.scores(["financ"])[1] == 0 and added.scores(["word"])[1] > 0  # a word the base never saw counts too
    both = SegmentedLexical(base, added)
    scores, rows = both.top(["financ"], 3)
    assert rows.tolist() == [3, 5, 0] and scores[0] == pytest.approx(scores[1])  # the added copy ties its original
    scores, rows = both.top(["financ"], 3, allowed=np.array([True, True, True, False, True, True, False]))
    assert rows.tolist() == [5, 0]


def _bm25s_reference(term_lists):
    """bm25s's own indexing (what LexicalIndex.build did before it counted terms with numpy)."""
    from qa.analyze import bm25s_module

    retriever = bm25s_module().BM25()
    retriever.index(term_lists, show_progress=False)
    return retriever


def _paragraph_terms(texts) -> list[list[str]]:
    import re

    return [re.findall(r"[a-z0-9]+", line.lower()) for text in texts for line in text.splitlines()]


@pytest.mark.parametrize("pairs", [False, True])
def test_the_build_scores_every_term_of_every_paragraph_exactly_as_bm25s_does(monkeypatch, pairs):
    """Same numbers as bm25s's own index, term by term, on the bundled collection's paragraphs
    (words, or word pairs), with an empty paragraph and paragraphs of repeated words among them."""
    from conftest import CORPUS

    import qa.retrieve.lexical as lexical

    texts = [p.read_text(encoding="utf-8") for p in sorted(CORPUS.rglob("*")) if p.suffix in (".md", ".txt")]
    term_lists = _paragraph_terms(texts)
    term_lists += [[], ["isil", "isil", "isil"], ["daesh"] * 7 + ["isil"]]
    if pairs:
        term_lists = [word_pairs(t) for t in term_lists]
    assert len(term_lists) > 100
    monkeypatch.setattr(lexical, "CHUNK", 17)  # many chunks: their joins must not matter
    monkeypatch.setattr(lexical, "ENTRY_CHUNK", 23)  # nor those of the entries scored
    ours, reference = LexicalIndex.build(term_lists), _bm25s_reference(term_lists)
    vocabulary = sorted({t for terms in term_lists for t in terms})
    assert set(ours._retriever.vocab_dict) == set(reference.vocab_dict) == set(vocabulary) | {""}
    for term in vocabulary:
        assert np.array_equal(ours._retriever.get_scores([term]), reference.get_scores([term])), term
    sample = vocabulary[::7]
    assert np.array_equal(ours.scores(sample), np.asarray(reference.get_scores(sample), dtype=np.float32))
    assert list(ours.document_frequencies(sample)) == [sum(t in set(terms) for terms in term_lists) for t in sample]
