"""Building an index folder: passages embedded in order, terms counted, news linked to statements."""

import json

import numpy as np
import pytest

from qa import store
from qa.build import build_index, build_record, embed, twins
from qa.config import BuildSettings, Settings
from qa.corpus import load_collection
from qa.embed import HashingEmbedder
from qa.profile import load_profile
from qa.types import Passage

from conftest import CORPUS


class Recording(HashingEmbedder):
    """The test embedder, remembering the batches it was given."""

    def __init__(self):
        super().__init__(dimension=16)
        self.batches = []

    def encode(self, texts, *, batch_size=32, progress=False):
        self.batches.append(list(texts))
        return super().encode(texts)


def test_embed_batches_by_length_and_returns_rows_in_the_texts_order():
    embedder = Recording()
    texts = ["a much longer text than the others", "short", "mid length text"]
    vectors = embed(embedder, texts, batch=2, progress=False)
    assert embedder.batches == [["short", "mid length text"], ["a much longer text than the others"]]
    np.testing.assert_allclose(vectors, HashingEmbedder(dimension=16).encode(texts), rtol=1e-6)
    assert embed(embedder, [], batch=2, progress=False).shape == (0, 16)


def passage(pid, para, doc, text):
    return Passage(pid, para, doc, 1, "sentence", text, 0, len(text))


def test_a_news_sentence_is_linked_to_the_official_sentence_it_repeats():
    collection = load_collection(CORPUS)
    passages = [passage("s1", "news-p", "news-washington-2017", "x"), passage("s2", "off-2017", "washington-2017", "x"),
                passage("s3", "off-2019", "washington-2019", "x"), passage("s4", "news-q", "news-washington-2017", "x")]
    vectors = np.array([[1, 0], [0.99, 0.14], [1, 0], [0, 1]], dtype=np.float32)
    # s1 matches 2019 exactly (1.0) and 2017 at 0.99, within the tie of 0.02: the report (March 2017)
    # is linked to the statement dated closest to it. s4 matches nothing above the threshold.
    assert twins(collection, passages, vectors, threshold=0.75, tie=0.02) == [("news-p", "off-2017")]
    assert twins(collection, passages, vectors, threshold=0.75, tie=0.0) == [("news-p", "off-2019")]
    assert twins(collection, passages[1:3], vectors[1:3], threshold=0.75, tie=0.02) == []  # no news: no links


def test_a_build_writes_the_manifest_links_and_term_counts(tmp_path):
    settings = Settings(corpus_dir=CORPUS, index_dir=tmp_path, model="hashing")
    collection, profile = load_collection(CORPUS), load_profile(CORPUS)
    report = build_index(settings, collection, profile, HashingEmbedder(), progress=False)
    assert report.folder == store.current_build(tmp_path) and report.paragraphs == 54
    manifest = store.read_manifest(report.folder)
    assert manifest["build_settings"] == build_record(settings, profile)
    assert manifest["dense_index"] == "IndexFlatIP" and manifest["counts"]["passages"] == report.passages
    assert set(manifest["files"]) >= {"links.json", "terms.json", "passages.jsonl", "paragraphs.jsonl", "dense.faiss"}
    terms = json.loads((report.folder / "terms.json").read_text())
    assert terms["paragraphs"] == 54
    assert terms["counts"]["egmont"] == 1  # one paragraph names the Egmont Group
    assert terms["counts"]["isi"] > 27  # "ISIS" (every spelling) is in most paragraphs
    links = json.loads((report.folder / "links.json").read_text())["twins"]
    ids = {p.id: d.id for d, p in collection.paragraphs()}
    assert links and all(ids[n] == "news-washington-2017" and ids[o] != ids[n] for n, o in links)


def test_the_build_record_changes_with_every_build_setting_and_the_vocabulary(tmp_path):
    profile = load_profile(CORPUS)
    base = build_record(Settings(), profile)
    assert build_record(Settings(build=BuildSettings(twin_threshold=0.8)), profile) != base
    (tmp_path / "vocabulary.toml").write_text('[[aliases]]\nspellings = ["IMO", "International Maritime Organization"]\n')
    assert build_record(Settings(), load_profile(tmp_path))["profile_fingerprint"] != base["profile_fingerprint"]
    assert set(base) >= {"piece_chars", "twin_threshold", "analyzer", "profile_fingerprint", "store"}
