"""The Milvus store (Milvus Lite, embedded): the same answers as the FAISS store, filters as expressions."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest

from qa.config import Settings
from qa.embed import HashingEmbedder
from qa.errors import ConfigError, StoreError
from qa.pipeline import Engine
from qa.retrieve.milvus import MilvusStore, _token, expression
from qa.types import Filters

from conftest import CORPUS

pytest.importorskip("pymilvus")

QUESTIONS = [
    ("what did the Coalition say about detainees in northeast Syria?", {}),
    ("how is ISIS financing being disrupted?", {}),
    ("foreign terrorist fighters", {"since": "2018", "until": "2019"}),
    ("what did the news report say about the meeting?", {"source_types": ["news"]}),
    ("Libya", {"doc_ids": ["kuwait-2018"]}),
    ("the Egmont Group", {}),
]


@pytest.fixture(scope="module")
def engines(tmp_path_factory):
    root = tmp_path_factory.mktemp("stores")
    out = {}
    for store in ("faiss", "milvus"):
        settings = Settings.from_env(env={}, corpus_dir=CORPUS, index_dir=root / store, model="hashing", store=store)
        out[store] = Engine.load(settings, embedder=HashingEmbedder(), progress=False, log=lambda m: None)
    return out


def test_milvus_gives_the_answers_faiss_gives(engines):
    faiss, milvus = engines["faiss"], engines["milvus"]
    assert milvus.store.kind == "milvus" and faiss.store.kind == "faiss"
    for question, filters in QUESTIONS:
        a = faiss.search(question, k=5, filters=faiss.filters(**filters))
        b = milvus.search(question, k=5, filters=milvus.filters(**filters))
        assert [h.citation for h in a.hits] == [h.citation for h in b.hits], question
        np.testing.assert_allclose([h.score for h in a.hits], [h.score for h in b.hits], atol=1e-4)
        assert [h.highlight for h in a.hits] == [h.highlight for h in b.hits]
        assert (a.answerable, a.notes) == (b.answerable, b.notes)


def test_bm25_scores_match_bm25s(engines):
    terms = engines["faiss"].intent.parse("financing of foreign terrorist fighters").terms
    a = engines["faiss"].store.lexical(terms, 10, Filters())
    b = engines["milvus"].store.lexical(terms, 10, Filters())
    assert a.ids == b.ids
    np.testing.assert_allclose(a.scores, b.scores, rtol=1e-5)


def test_filters_are_milvus_expressions_applied_inside_the_search(engines):
    store = engines["milvus"].store
    assert expression(Filters()) == ""
    rule = expression(Filters(doc_ids=("rome-2021",), since=dt.date(2020, 1, 1), source_types=("official",)))
    assert rule == (f'doc_id in ["rome-2021"] and source_type in ["official"] and '
                    f'last_day >= {dt.date(2020, 1, 1).toordinal()}')
    vector = HashingEmbedder().encode(["detainees in camps"], query=True)[0]
    found = store.dense(vector, 8, Filters(doc_ids=("rome-2021",)))
    assert len(found.ids) == 8  # eight admitted passages, not eight minus the others
    assert {engines["milvus"].paragraphs[p][0].id for p in found.paragraph_ids} == {"rome-2021"}
    assert store.admits_any(Filters(doc_ids=("rome-2021",)))
    assert not store.admits_any(Filters(doc_ids=("rome-2021",), source_types=("news",)))
    assert not store.admits_any(Filters(until=dt.date(2000, 1, 1)))


def test_sentences_and_similarity_by_id(engines):
    faiss, milvus = engines["faiss"].store, engines["milvus"].store
    pid = next(iter(engines["faiss"].paragraphs))
    assert milvus.sentences(pid) == faiss.sentences(pid) and milvus.sentences(pid)
    ids = [p.id for p in faiss.sentences(pid)]
    vector = HashingEmbedder().encode(["coalition ministers"], query=True)[0]
    np.testing.assert_allclose(milvus.similarity(vector, ids), faiss.similarity(vector, ids), atol=1e-5)
    with pytest.raises(StoreError, match="not in this index"):
        milvus.similarity(vector, ["no-such-passage"])


def test_a_build_whose_collections_are_gone_says_to_rebuild(engines, tmp_path):
    folder = engines["milvus"].folder
    record = json.loads((folder / "milvus.json").read_text())
    (tmp_path / "milvus.json").write_text(json.dumps({**record, "name": "qa_dropped"}))
    with pytest.raises(StoreError, match="qa_dropped_passages is missing.*python -m qa build"):
        MilvusStore.load(tmp_path)


def test_term_tokens_are_single_words_and_unknown_stores_are_refused():
    assert [_token(n) for n in (0, 35, 36, 1295)] == ["t0", "tz", "t10", "tzz"]
    with pytest.raises(ConfigError, match="QA_STORE='qdrant' is not a store; use one of faiss, milvus"):
        Settings.from_env(env={"QA_STORE": "qdrant"})


def test_each_build_drops_the_collections_of_builds_before_the_one_in_use(tmp_path):
    settings = Settings.from_env(env={}, corpus_dir=CORPUS, index_dir=tmp_path / "index", model="hashing", store="milvus")
    names = []
    for _ in range(3):
        engine = Engine.load(settings, embedder=HashingEmbedder(), rebuild="always", progress=False, log=lambda m: None)
        names.append(json.loads((engine.folder / "milvus.json").read_text())["name"])
    left = sorted(n for n in engine.store._client.list_collections() if n.startswith("qa_"))
    assert left == sorted(f"{n}_{kind}" for n in names[1:] for kind in ("paragraphs", "passages"))
    assert engine.search("detainees", k=1).hits
