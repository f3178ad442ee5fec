"""The answer in brief and "how it changed", as data (qa.digest), and their JSON."""

from dataclasses import replace

import pytest

from qa import digest
from qa.embed import HashingEmbedder
from qa.errors import QueryError
from qa.pipeline import Engine
from qa.types import Answer, Hit

from test_pipeline import settings_for

TEXT = "First sentence about detainees. Second sentence on camps in Syria."


def hit(rank=1, doc_id="rome-2021", date="2021-06-28", text=TEXT, spans=((0, 31),), source_type="official", score=1.0):
    return Hit(rank, doc_id, "Joint Communiqué", "Rome", date, source_type, 7, text,
               " ".join(text[a:b] for a, b in spans), score, f"Joint Communiqué, Rome, {date}, para 7", "pid",
               tuple(spans))


def test_brief_takes_each_answering_sentence_once_with_its_rank_and_nothing_for_a_refusal():
    hits = (hit(1), hit(2, spans=((32, len(TEXT)),)), hit(3), hit(4, spans=((32, len(TEXT)),)))
    lines = digest.brief(Answer("q", True, hits, 0.9))
    assert [(line.quote, line.rank) for line in lines] == [("First sentence about detainees.", 1),
                                                            ("Second sentence on camps in Syria.", 2)]
    assert digest.brief(Answer("q", False, hits, 0.1)) == ()


def test_brief_leaves_out_a_hit_far_below_the_best():
    other = "A sentence on another matter entirely."
    hits = (hit(1, score=1.3), hit(2, text=other, spans=((0, len(other)),), score=0.5))
    assert [line.rank for line in digest.brief(Answer("q", True, hits, 0.9))] == [1]
    assert [line.rank for line in digest.brief(Answer("q", True, hits, 0.9), floor=0.3)] == [1, 2]


def test_changes_diff_each_statement_against_the_one_before_oldest_first():
    older = hit(2, doc_id="washington-2017", date="2017-03-22", text="We will support the return of people.")
    newer = hit(1, text="We will support the safe return of displaced people.")
    news = hit(3, doc_id="news", date="2021-06-29", source_type="news", text="Reported.")
    later_same = hit(4, text="A weaker paragraph of the Rome statement.")
    changes = digest.changes([newer, news, older, later_same])
    assert [c.hit.doc_id for c in changes] == ["washington-2017", "rome-2021"]
    assert changes[0].pieces == (("same", "We will support the return of people."),)
    assert ("added", "safe") in changes[1].pieces and ("added", "displaced") in changes[1].pieces
    # Putting the pieces back gives the newer paragraph exactly (dropped words left out).
    assert " ".join(t for kind, t in changes[1].pieces if kind != "dropped") == newer.text
    assert digest.changes([newer, later_same]) == ()  # one statement: nothing to compare


def test_digest_json_adds_the_brief_when_answered_and_changes_when_there_are_any():
    answered = digest.Digest(Answer("q", True, (hit(1),), 0.9))
    row = answered.to_json()
    assert row["brief"] == [{"quote": "First sentence about detainees.", "rank": 1,
                             "citation": "Joint Communiqué, Rome, 2021-06-28, para 7"}]
    assert "changes" not in row
    assert set(digest.Digest(Answer("q", False, (hit(1),), 0.1)).to_json()) == {"question", "answerable", "confidence",
                                                                              "hits"}


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return Engine.load(settings_for(tmp_path_factory.mktemp("index")), embedder=HashingEmbedder(), progress=False,
                       log=lambda m: None)


def test_a_question_across_statements_gets_each_statements_best_paragraph_from_one_deeper_search(engine):
    question = "How has the Coalition's position on foreign terrorist fighters changed over the years?"
    result = digest.ask(engine, question, k=3)
    assert len(result.answer.hits) == 3 and result.answer.answerable
    dates = [c.hit.date for c in result.changes]
    assert len(dates) >= 2 and dates == sorted(dates)
    assert len({c.hit.doc_id for c in result.changes}) == len(dates)  # one paragraph per statement
    # The answer itself is the same as a plain search's, hit for hit.
    plain = engine.search(question, k=3)
    assert [(h.doc_id, h.paragraph) for h in result.answer.hits] == [(h.doc_id, h.paragraph) for h in plain.hits]
    assert result.answer.answerable == plain.answerable
    assert digest.ask(engine, "foreign terrorist fighters", k=3).changes == ()  # not across statements


def test_bad_arguments_are_named_by_the_engine(engine):
    with pytest.raises(QueryError, match="k"):
        digest.ask(engine, "How has the position on detainees changed over the years?", k="five")
    with pytest.raises(QueryError, match="empty"):
        digest.ask(engine, "  ", k=3)


def test_a_filter_that_admits_one_statement_leaves_nothing_to_compare(engine):
    question = "How has the Coalition's position on foreign terrorist fighters changed over the years?"
    only_rome = engine.filters(["rome-2021"], None, None, ())
    result = digest.ask(engine, question, k=3, filters=only_rome)
    assert {h.doc_id for h in result.answer.hits} == {"rome-2021"} and result.changes == ()
    assert replace(result, changes=()).to_json().get("changes") is None


def test_a_statement_far_below_the_best_is_left_out_of_the_changes_and_named():
    best = replace(hit(1, text="We will support the safe return of displaced people."), score=2.0)
    close = replace(hit(2, doc_id="washington-2017", date="2017-03-22", text="We will support the return of people."),
                    score=0.9)
    far = replace(hit(3, doc_id="kuwait-2018", date="2018-02-13", text="Finance working group met."), score=0.7)
    kept, left = digest.firsts([best, close, far])
    assert [h.doc_id for h in kept] == ["washington-2017", "rome-2021"] and [h.doc_id for h in left] == ["kuwait-2018"]
    assert [c.hit.doc_id for c in digest.changes([best, close, far])] == ["washington-2017", "rome-2021"]
    assert len(digest.changes([best, close, far], floor=0.3)) == 3
    # One statement left above the floor: nothing to compare, and nothing named as left out.
    assert digest.firsts([best, replace(close, score=0.5), far]) == ((), ())
    row = digest.Digest(Answer("q", True, (best,), 0.9), digest.changes([best, close, far]), (far,)).to_json()
    assert row["left_out"] == [{"doc_id": "kuwait-2018", "place": "Rome", "date": "2018-02-13",
                                "citation": "Joint Communiqué, Rome, 2018-02-13, para 7"}]
