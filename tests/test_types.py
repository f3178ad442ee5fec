import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest

from qa.corpus import Document
from qa.errors import QueryError
from qa.types import Answer, Filters, Hit, Paragraph

D = dt.date

# ---- Filters ---------------------------------------------------------------------------------


def test_a_date_range_ending_before_it_starts_is_refused():
    with pytest.raises(QueryError, match="the date range is empty: since 2020-01-01 is after until 2019-01-01; swap them"):
        Filters(since=D(2020, 1, 1), until=D(2019, 1, 1))


def test_a_one_day_range_is_allowed():
    assert Filters(since=D(2019, 2, 6), until=D(2019, 2, 6)).admits("a", "official", D(2019, 2, 6), D(2019, 2, 6))


def test_only_filters_without_any_condition_are_empty():
    assert Filters().empty
    assert not Filters(doc_ids=("rome-2021",)).empty
    assert not Filters(since=D(2019, 1, 1)).empty
    assert not Filters(until=D(2019, 1, 1)).empty
    assert not Filters(source_types=("official",)).empty


def test_records_cannot_be_edited():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Filters().doc_ids = ("x",)


def test_parse_date_reads_iso_text_and_passes_dates_and_blanks_through():
    assert Filters.parse_date("2019-02-06", "since") == D(2019, 2, 6)
    assert Filters.parse_date(" 2019-02-06 ", "since") == D(2019, 2, 6)
    assert Filters.parse_date(D(2019, 2, 6), "since") == D(2019, 2, 6)
    assert Filters.parse_date(None, "since") is None
    assert Filters.parse_date("", "since") is None
    # Bare years and months, as the metadata allows them: the first day, or for an end the last.
    assert Filters.parse_date("2019", "since") == D(2019, 1, 1) and Filters.parse_date(2019, "since") == D(2019, 1, 1)
    assert Filters.parse_date("2019", "until", end=True) == D(2019, 12, 31)
    assert Filters.parse_date("2020-02", "until", end=True) == D(2020, 2, 29)


def test_parse_date_names_the_option_and_the_format_when_the_text_is_no_date():
    with pytest.raises(QueryError, match=r"until '6 Feb 2019' is not a date; write it as YYYY-MM-DD"):
        Filters.parse_date("6 Feb 2019", "until")
    with pytest.raises(QueryError, match=r"since '2019-02-30' is not a date"):
        Filters.parse_date("2019-02-30", "since")
    for bad in ("2019-13", "19", True, 2019.5, ["2019"]):
        with pytest.raises(QueryError, match="is not a date"):
            Filters.parse_date(bad, "since")


def test_a_datetime_bound_counts_as_its_day():
    since = Filters.parse_date(dt.datetime(2019, 2, 6, 12, 0), "since")
    assert type(since) is dt.date and since == D(2019, 2, 6)
    assert Filters(since=since).admits("a", "official", D(2019, 2, 6), D(2019, 2, 6))


def test_admits_only_the_listed_documents_and_kinds():
    day = D(2019, 2, 6)
    by_doc = Filters(doc_ids=("rome-2021",))
    assert by_doc.admits("rome-2021", "official", day, day)
    assert not by_doc.admits("paris-2019", "official", day, day)
    by_kind = Filters(source_types=("official",))
    assert by_kind.admits("rome-2021", "official", day, day)
    assert not by_kind.admits("rome-news", "news", day, day)


def test_a_document_dated_to_a_month_matches_when_any_day_of_it_is_in_range():
    march = (D(2017, 3, 1), D(2017, 3, 31))
    assert Filters(since=D(2017, 3, 15)).admits("a", "news", *march)
    assert Filters(until=D(2017, 3, 15)).admits("a", "news", *march)
    assert Filters(since=D(2017, 3, 31)).admits("a", "news", *march)  # bounds are inclusive
    assert Filters(until=D(2017, 3, 1)).admits("a", "news", *march)
    assert not Filters(since=D(2017, 4, 1)).admits("a", "news", *march)
    assert not Filters(until=D(2017, 2, 28)).admits("a", "news", *march)


# ---- Hit and Answer --------------------------------------------------------------------------

TEXT = "First one. Second one. Third one."  # sentences at 0-10, 11-22, 23-33


def make_doc() -> Document:
    return Document(id="rome-2021", title="Joint Communiqué", issuer="Coalition", place="Rome", date="2021-06-28",
                    source_type="official", url="", path=Path("rome.txt"), sha256="", numbered=True,
                    dated_in_text=False, preamble=(), paragraphs=())


PARA = Paragraph(id="p7", doc_id="rome-2021", number=7, text=TEXT, start=0, end=len(TEXT))


def test_highlight_of_adjacent_sentences_is_joined_by_a_space():
    hit = Hit.of(1, make_doc(), PARA, 0.5, [(11, 22), (0, 10)])
    assert hit.highlight == "First one. Second one."
    assert hit.highlight_spans == ((0, 10), (11, 22))


def test_highlight_of_sentences_apart_is_joined_by_an_ellipsis_in_text_order():
    hit = Hit.of(1, make_doc(), PARA, 0.5, [(23, 33), (0, 10)])
    assert hit.highlight == "First one. … Third one."
    assert hit.highlight_spans == ((0, 10), (23, 33))


def test_hit_cites_the_paragraph_number_and_rounds_its_score():
    hit = Hit.of(3, make_doc(), PARA, 0.12345678, [(0, 10)])
    assert (hit.rank, hit.paragraph, hit.paragraph_id) == (3, 7, "p7")
    assert hit.score == 0.123457
    assert hit.citation.endswith("para 7")
    assert (hit.doc_id, hit.title, hit.place, hit.source_type) == ("rome-2021", "Joint Communiqué", "Rome", "official")


def test_hit_json_has_no_paragraph_id_and_lists_for_spans():
    row = Hit.of(1, make_doc(), PARA, 0.5, [(23, 33), (0, 10)]).to_json()
    assert "paragraph_id" not in row
    assert row["highlight_spans"] == [[0, 10], [23, 33]]
    assert row["paragraph"] == 7 and row["text"] == TEXT
    assert json.loads(json.dumps(row)) == row


def test_answer_json_carries_notes_only_when_there_are_some():
    hit = Hit.of(1, make_doc(), PARA, 0.5, [(0, 10)])
    plain = Answer("q?", True, (hit,), 0.4).to_json()
    assert plain == {"question": "q?", "answerable": True, "confidence": 0.4, "hits": [hit.to_json()]}
    refused = Answer("q?", False, (), 0.1, ("the collection never uses the words 'gold'",)).to_json()
    assert refused["answerable"] is False and refused["hits"] == []
    assert refused["notes"] == ["the collection never uses the words 'gold'"]
