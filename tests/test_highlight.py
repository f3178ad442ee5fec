from qa.highlight import spans
from qa.types import Passage


def sentence(start: int, end: int) -> Passage:
    return Passage(f"s{start}", "p", "doc", 1, "sentence", "x" * (end - start), start, end)


S1, S2, S3 = sentence(0, 10), sentence(11, 20), sentence(21, 30)


def test_a_paragraph_without_sentences_is_highlighted_whole():
    assert spans([], {"oil": 1.0}, 0.15, 0.05, paragraph_length=42) == [(0, 42)]


def test_the_most_similar_sentence_is_highlighted_alone_when_the_rest_are_far_behind():
    sentences = [(S1, 0.3, frozenset()), (S2, 0.6, frozenset()), (S3, 0.4, frozenset())]
    assert spans(sentences, {}, 0.15, 0.05, 30) == [(11, 20)]


def test_a_second_sentence_within_the_margin_joins_the_best():
    sentences = [(S1, 0.5, frozenset()), (S2, 0.3, frozenset()), (S3, 0.48, frozenset())]
    assert spans(sentences, {}, 0.15, 0.05, 30) == [(0, 10), (21, 30)]
    assert spans(sentences, {}, 0.15, 0.01, 30) == [(0, 10)]


def test_a_shared_rare_word_outweighs_a_small_similarity_lead():
    # idf share of the question's words: S1 has "unscr" (1/4), S2 has "2396" (3/4).
    # S1: 0.5 + 0.2 * 0.25 = 0.55; S2: 0.45 + 0.2 * 0.75 = 0.60.
    wanted = {"2396": 3.0, "unscr": 1.0}
    sentences = [(S1, 0.5, frozenset({"unscr"})), (S2, 0.45, frozenset({"2396"}))]
    assert spans(sentences, wanted, lexical_weight=0.2, margin=0.0, paragraph_length=20) == [(11, 20)]


def test_without_lexical_weight_similarity_alone_decides():
    wanted = {"2396": 3.0, "unscr": 1.0}
    sentences = [(S1, 0.5, frozenset({"unscr"})), (S2, 0.45, frozenset({"2396"}))]
    assert spans(sentences, wanted, lexical_weight=0.0, margin=0.0, paragraph_length=20) == [(0, 10)]


def test_equal_scores_prefer_the_earlier_sentence():
    sentences = [(S1, 0.4, frozenset()), (S2, 0.4, frozenset()), (S3, 0.4, frozenset())]
    assert spans(sentences, {}, 0.15, 0.0, 30) == [(0, 10), (11, 20)]
