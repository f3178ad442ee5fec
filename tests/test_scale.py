"""The scale benchmark's parts: a synthetic collection of N paragraphs and the stand-in embedder."""

from __future__ import annotations

import numpy as np
import pytest

from qa import scale
from qa.cli import main
from qa.corpus import load_collection
from qa.embed import HashingEmbedder

from conftest import CORPUS


@pytest.fixture(scope="module")
def pool():
    return scale._sentence_pool(CORPUS)


def test_a_synthetic_collection_has_n_paragraphs_of_bundled_sentences(tmp_path, pool):
    entries = scale.write_collection(tmp_path / "corpus", 2500, pool)
    collection = load_collection(tmp_path / "corpus")
    paragraphs = collection.paragraphs()
    assert len(entries) == 3 and len(collection.documents) == 3
    assert 2450 <= len(paragraphs) <= 2500  # a paragraph drawn twice in one document counts once
    assert all(p.number for _, p in paragraphs) and collection.documents[0].numbered
    sentence = next(s for s in pool if s in paragraphs[0][1].text)
    assert sentence
    assert [d.date for d in collection.documents] == ["2000-01-03", "2000-01-10", "2000-01-17"]
    scale.add_document(tmp_path / "corpus", entries, pool)
    grown = load_collection(tmp_path / "corpus")
    assert len(grown.documents) == 4 and len(grown.documents[-1].paragraphs) == scale.ADDED_PARAGRAPHS


def test_the_stand_in_puts_a_passage_near_the_sentences_it_is_made_of(tmp_path, pool):
    real = HashingEmbedder()
    stand_in = scale.StandInEmbedder(real, dict(zip(pool, real.encode(pool))))
    a, b, c = pool[:3]
    vectors = stand_in.encode([f"{a} {b}", c, f"{a} {b}"])
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    mean = real.encode([a])[0] + real.encode([b])[0]
    mean /= np.linalg.norm(mean)
    assert vectors[0] @ mean > 0.95 and vectors[0] @ real.encode([c])[0] < vectors[0] @ mean
    # A text's vector is its own, whatever batch it comes in (a build that reuses vectors must
    # see the same collection as one that embeds afresh); two texts' turns differ.
    np.testing.assert_array_equal(vectors[0], vectors[2])
    np.testing.assert_array_equal(stand_in.encode([c, f"{a} {b}"])[1], vectors[0])
    other = stand_in.encode([f"{a} {b} "])[0]  # the same sentences, another text: its own turn
    assert 0.95 < other @ vectors[0] < 1 - 1e-4
    # Questions are the real model's (remembered: the engine's time is measured apart from it).
    np.testing.assert_allclose(stand_in.encode(["what about c?"], query=True), real.encode(["what about c?"], query=True))
    assert len(stand_in.query_seconds) == 1
    stand_in.encode(["what about c?"], query=True)
    assert len(stand_in.query_seconds) == 1


def test_too_small_a_scale_is_refused(capsys):
    assert main(["bench", "--scale", "50"]) == 1
    assert "--scale 50 is too small" in capsys.readouterr().err


@pytest.mark.slow
def test_a_small_scale_run_measures_every_figure_and_reuses_vectors_when_a_document_is_added(tmp_path):
    row = scale.measure(300, "hashing", CORPUS, work=tmp_path)
    for key in ("build_s", "load_s", "p50_none", "p95_none", "p50_date", "p95_date", "query_rss_mb", "disk_mb", "add_s"):
        assert row[key] > 0, key
    assert row["p95_none"] >= row["p50_none"] and row["index"] == "IndexFlatIP" and row["recall10"] == 1.0
    # Adding a ten-paragraph document embeds its passages only.
    assert any("reused" in line and f"{row['add_embedded']} embedded" in line for line in row["add_log"])
    assert 0 < row["add_embedded"] <= 4 * scale.ADDED_PARAGRAPHS
    table = scale.format_table([row])
    assert "300" in table and "recall@10" in table
    assert scale.plot([row, {**row, "n": 3000}], tmp_path / "cost.png").stat().st_size > 1000
