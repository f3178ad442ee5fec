"""BM25 over paragraph texts (bm25s): scores, vocabulary and document frequency."""

import numpy as np
import pytest

from qa.lexical import LexicalIndex, PhraseIndex, word_pairs

TEXTS = ["ISIS fighters in Syria", "the Coalition met in Rome", "the Coalition and ISIS in Iraq", "stabilization in Iraq"]


def test_document_frequency_is_the_share_of_paragraphs_with_the_word():
    frequency = LexicalIndex.build(TEXTS).document_frequency()
    assert frequency["coalit"] == pytest.approx(0.5)
    assert frequency["iraq"] == pytest.approx(0.5)
    assert frequency["rome"] == pytest.approx(0.25)
    assert "" not in frequency and "the" not in frequency  # bm25s's empty token and stopwords are not words


def test_scores_rank_the_paragraph_with_the_rare_word_first(tmp_path):
    index = LexicalIndex.build(TEXTS)
    scores = index.scores("stabilization Iraq")
    assert int(np.argmax(scores)) == 3
    index.save(tmp_path / "lexical")
    loaded = LexicalIndex.load(tmp_path / "lexical", len(TEXTS))
    assert np.allclose(loaded.scores("stabilization Iraq"), scores)
    assert loaded.document_frequency() == index.document_frequency()
    assert not loaded.scores("chocolate cake").any()  # no known word: all zeros


def test_phrase_index_scores_the_paragraph_with_the_exact_phrase(tmp_path):
    texts = ["the Egmont Group of financial units", "the Small Group and the Egmont delegation", "group of Egmont friends"]
    assert word_pairs(["egmont", "group", "financi"]) == ["egmont_group", "group_financi"]
    index = PhraseIndex.build(texts)
    scores = index.scores("Egmont Group")
    assert scores[0] > 0 and scores[1] == 0 and scores[2] == 0  # both words in 1 and 2, the phrase only in 0
    index.save(tmp_path / "phrases")
    assert np.allclose(PhraseIndex.load(tmp_path / "phrases", len(texts)).scores("Egmont Group"), scores)
    assert not index.scores("Egmont").any()  # one word makes no pair
