"""Fuzzing the public entry points: every input gets an answer or one QAError with a message.

Generated inputs (Hypothesis) go through ``Engine.search`` with its filters, the batch CLI and the
web API's handler: text with lone surrogates, control characters, NUL, right-to-left and CJK
text, very long strings, and wrong types for every argument. CI runs a bounded number of
examples with the test embedder; a longer run with the real model, by hand:

    QA_FUZZ_EXAMPLES=10000 QA_FUZZ_MODEL=e5+bundled python -m pytest tests/test_fuzz.py -p no:cacheprovider
"""

import io
import json
import os
import sys

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from qa import QAError
from qa.config import QuerySettings, Settings
from qa.embed import HashingEmbedder
from qa.pipeline import Engine
from qa.types import Answer

from conftest import CORPUS, ROOT

EXAMPLES = int(os.environ.get("QA_FUZZ_EXAMPLES", "60"))
MODEL = os.environ.get("QA_FUZZ_MODEL", "hashing")
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 60,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# Every code point, surrogates and control characters included.
ANY_CHAR = st.characters(blacklist_categories=())
TEXT = st.one_of(
    st.text(ANY_CHAR, max_size=80),
    st.text(st.sampled_from("ISIS financing détenus 聯盟 داعش \u202e\u200b\x00\t\r•"), max_size=40),
    st.builds(lambda s, n: s * n, st.text(ANY_CHAR, min_size=1, max_size=3), st.integers(300, 2000)),
    st.sampled_from(["", " ", "\ud800", "<script>alert(1)</script>", "' OR 1=1 --", "(a+)+$", "\x00" * 5]),
)
WRONG = st.one_of(st.none(), st.booleans(), st.integers(-10, 10**6), st.floats(allow_nan=True),
                  st.lists(st.one_of(st.none(), st.integers(), st.text(max_size=5)), max_size=3),
                  st.dictionaries(st.text(max_size=3), st.integers(), max_size=2), st.binary(max_size=5))
K = st.one_of(st.integers(-5, 120), WRONG, st.text(max_size=4))
DOC_IDS = st.one_of(st.just(()), st.lists(st.sampled_from(["rome-2021", "kuwait-2018", "nowhere"]), max_size=3),
                    st.text(max_size=12), WRONG)
DATES = st.one_of(st.none(), st.just(""), st.sampled_from(["2019", "2019-02", "2019-02-06", "2019-13", "2019/02/06"]),
                  st.dates().map(str), st.text(max_size=12), WRONG)
SOURCE_TYPES = st.one_of(st.just(()), st.lists(st.sampled_from(["official", "news", "blog"]), max_size=2),
                         st.text(max_size=8), WRONG)


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    index = tmp_path_factory.mktemp("index")
    if MODEL == "hashing":
        s = Settings(corpus_dir=CORPUS, index_dir=index, model="hashing", query=QuerySettings(abstain_threshold=0.0))
        return Engine.load(s, embedder=HashingEmbedder(), progress=False, log=lambda m: None)
    return Engine.load(Settings(corpus_dir=CORPUS, index_dir=index, model=MODEL), progress=False, log=lambda m: None)


def answered_or_refused_with_a_message(call):
    try:
        result = call()
    except QAError as exc:
        assert str(exc).strip(), "a QAError without a message"
        return None
    return result


@FUZZ
@given(question=st.one_of(TEXT, WRONG), k=K)
def test_search_answers_or_says_what_is_wrong(engine, question, k):
    answer = answered_or_refused_with_a_message(lambda: engine.search(question, k=k))
    if answer is not None:
        assert type(k) is int and isinstance(answer, Answer) and len(answer.hits) <= k  # True is no number
        json.dumps(answer.to_json())  # always serialisable


@FUZZ
@given(question=TEXT, doc_ids=DOC_IDS, since=DATES, until=DATES, source_types=SOURCE_TYPES)
def test_filters_answer_or_say_what_is_wrong(engine, question, doc_ids, since, until, source_types):
    def call():
        filters = engine.filters(doc_ids, since, until, source_types)
        return engine.search(question, k=3, filters=filters)

    answered_or_refused_with_a_message(call)


@FUZZ
@given(question=st.one_of(TEXT, WRONG), k=K, doc_ids=DOC_IDS, since=DATES, until=DATES, official=WRONG)
def test_the_web_api_returns_an_answer_or_an_error_field(engine, question, k, doc_ids, since, until, official):
    sys.path.insert(0, str(ROOT))
    from app import api_answer

    row = api_answer(engine, question, k, doc_ids, since, until, official)
    assert ("error" in row and row["error"].strip()) or "hits" in row
    json.dumps(row)


@FUZZ
@given(lines=st.lists(st.text(ANY_CHAR.filter(lambda c: c not in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"),
                              max_size=60), min_size=1, max_size=6))
def test_the_batch_cli_answers_every_line_in_order(engine, lines, monkeypatch, capsys):
    from qa import cli

    monkeypatch.setattr(cli, "_engine", lambda settings, rebuild="auto": engine)
    # Lone surrogates cannot come through a real pipe; they arrive as U+FFFD, as here.
    text = "\n".join(lines).encode("utf-8", "replace").decode("utf-8") + "\n"
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    capsys.readouterr()
    cli.main(["ask", "--json", "-"])
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    sent = text.split("\n")[:-1]
    assert [row["question"] for row in out if "error" in row] == \
        [s for s, row in zip(sent, out) if "error" in row]  # errors stay on their own line
    assert len(out) == len(sent)
    assert all(("error" in row and row["error"]) or "hits" in row for row in out)
