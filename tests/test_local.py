"""The embedded store (FAISS + bm25s): ids not rows, filters inside the search, damaged files refused."""

import os
import datetime as dt

import numpy as np
import pytest

from qa.errors import StoreError
from qa.retrieve import ParagraphRecord, open_store
from qa.retrieve.local import BASE, LocalStore, Texts
from qa.types import Filters, Passage

DAY = dt.date(2020, 1, 1).toordinal()
PARAGRAPHS = [ParagraphRecord("pa", "doc-a", "official", DAY, DAY),
              ParagraphRecord("pb", "doc-b", "news", DAY + 400, DAY + 430),
              ParagraphRecord("pc", "doc-b", "news", DAY + 400, DAY + 430)]
PASSAGES = [Passage("a1", "pa", "doc-a", 1, "piece", "alpha beta", 0, 10),
            Passage("a2", "pa", "doc-a", 1, "sentence", "alpha beta", 0, 10),
            Passage("b1", "pb", "doc-b", 1, "piece", "gamma", 0, 5),
            Passage("c1", "pc", "doc-b", 2, "sentence", "delta", 0, 5)]
VECTORS = np.array([[1, 0, 0], [0.8, 0.6, 0], [0, 1, 0], [0, 0, 1]], dtype=np.float32)


@pytest.fixture
def store(tmp_path):
    LocalStore.write(tmp_path, PASSAGES, [VECTORS], PARAGRAPHS, [["alpha", "beta"], ["gamma"], ["delta", "beta"]],
                     [["alpha_beta"], [], ["delta_beta"]])
    return open_store("faiss", tmp_path)


def test_dense_returns_passage_ids_with_their_paragraphs(store):
    found = store.dense(np.array([1, 0, 0], dtype=np.float32), 2, Filters())
    assert found.ids == ("a1", "a2") and found.paragraph_ids == ("pa", "pa")
    assert found.is_sentence.tolist() == [False, True]
    np.testing.assert_allclose(found.scores, [1.0, 0.8], rtol=1e-6)


def test_filters_act_inside_every_search(store):
    news = Filters(source_types=("news",))
    found = store.dense(np.array([1, 0, 0], dtype=np.float32), 2, news)
    assert set(found.paragraph_ids) == {"pb", "pc"} and len(found.ids) == 2  # two admitted, not two minus the rest
    assert store.lexical(["beta"], 5, news).ids == ("pc",)
    assert store.lexical(["beta"], 5, Filters()).ids[0] in {"pa", "pc"} and len(store.lexical(["beta"], 5, Filters()).ids) == 2
    assert store.phrases(["alpha_beta"], 5, Filters(since=dt.date(2021, 1, 1))).ids == ()
    assert store.phrases(["alpha_beta"], 5, Filters(until=dt.date(2020, 6, 1))).ids == ("pa",)


def test_admits_any_says_when_the_filters_exclude_everything(store):
    assert store.admits_any(Filters()) and store.admits_any(Filters(doc_ids=("doc-a",)))
    assert not store.admits_any(Filters(doc_ids=("doc-a",), source_types=("news",)))


def test_sentences_and_their_similarity_by_id(store):
    assert [p.id for p in store.sentences("pa")] == ["a2"]
    assert store.sentences("pb") == []  # a paragraph without sentence passages
    np.testing.assert_allclose(store.similarity(np.array([0, 1, 0], dtype=np.float32), ["a2", "c1"]), [0.6, 0.0], atol=1e-6)


def test_files_that_disagree_are_a_damaged_index(tmp_path):
    LocalStore.write(tmp_path, PASSAGES, [VECTORS], PARAGRAPHS, [["a"], ["b"], ["c"]], [[], [], []])
    table = np.load(tmp_path / "passages.npy")
    np.save(tmp_path / "passages.npy", table[:-1])  # one passage fewer than vectors
    with pytest.raises(StoreError, match="disagree on the number of passages"):
        LocalStore.load(tmp_path)
    (tmp_path / "paragraphs.npy").write_bytes(b"{not an array")
    with pytest.raises(StoreError, match=r"cannot be read \(ValueError"):
        LocalStore.load(tmp_path)


def test_ids_are_found_by_binary_search_and_unknown_ones_are_refused(store):
    vector = np.array([0, 1, 0], dtype=np.float32)
    np.testing.assert_allclose(store.similarity(vector, ["c1", "a2", "b1"]), [0.0, 0.6, 1.0], atol=1e-6)
    with pytest.raises(StoreError, match="passage 'zz' is not in this index"):
        store.similarity(vector, ["a1", "zz"])


def test_sentences_keep_their_text_number_and_document(store):
    (sentence,) = store.sentences("pc")
    assert (sentence.text, sentence.doc_id, sentence.kind, sentence.paragraph_id) == ("delta", "doc-b", "sentence", "pc")


def test_an_unknown_store_kind_lists_the_known_ones(tmp_path):
    with pytest.raises(StoreError, match="store 'qdrant' is not one of faiss, milvus"):
        open_store("qdrant", tmp_path)


def test_an_id_index_finds_content_ids_as_numbers_and_other_ids_as_strings():
    from qa.retrieve.local import IdIndex

    rng = np.random.default_rng(2)
    content = np.array([f"{v:016x}" for v in rng.integers(0, 2**63, size=500)])
    index = IdIndex(content)
    assert index._numeric
    wanted = [content[7], content[499], content[0], "zz", content[3].upper(), content[3] + "0", "0123456789abcdeg"]
    assert index.rows(wanted).tolist() == [7, 499, 0, -1, -1, -1, -1]
    table = np.zeros(500, dtype=[("id", "<U16"), ("paragraph", "<i4")])
    table["id"] = content
    assert IdIndex(table["id"]).rows(wanted[:3]).tolist() == [7, 499, 0]  # a column of a table
    other = IdIndex(np.array(["b1", "a1", "c1", "a10"]))
    assert not other._numeric
    assert other.rows(["a1", "a10", "c1", "a", content[0]]).tolist() == [1, 3, 2, -1, -1]
    assert IdIndex(np.zeros(0, dtype="<U16")).rows(["a1"]).tolist() == [-1]


@pytest.mark.parametrize("added_id", ["pd", "a-much-longer-paragraph-id"])  # the same id width, or a wider one
def test_a_grown_builds_tables_are_its_bases_rows_then_the_added_ones(tmp_path, added_id):
    (tmp_path / "base").mkdir()
    LocalStore.write_tables(tmp_path / "base", PASSAGES, PARAGRAPHS)
    added = [ParagraphRecord(added_id, "doc-c", "official", DAY + 900, DAY + 900)]
    passages = [Passage("d1", added_id, "doc-c", 1, "piece", "epsilon é", 0, 9)]
    (tmp_path / "grown").mkdir()
    LocalStore.write_tables(tmp_path / "grown", passages, added, base=tmp_path / "base")
    table = np.load(tmp_path / "grown" / "paragraphs.npy")
    assert table["id"].tolist() == ["pa", "pb", "pc", added_id] and table["doc"].tolist() == [0, 1, 1, 2]
    rows = np.load(tmp_path / "grown" / "passages.npy")
    assert rows["id"].tolist() == ["a1", "a2", "b1", "c1", "d1"] and rows["paragraph"].tolist() == [0, 0, 1, 2, 3]
    offsets = np.load(tmp_path / "grown" / "text_offsets.npy")
    assert (tmp_path / "grown" / "passages.txt").read_bytes() == "epsilon é".encode()  # the base's are not copied
    (tmp_path / "grown" / BASE).mkdir()
    os.link(tmp_path / "base" / "passages.txt", tmp_path / "grown" / BASE / "passages.txt")  # as a grown build has it
    texts = Texts(tmp_path / "grown", int(offsets[-1]))
    assert [texts.read(a, b).decode() for a, b in zip(offsets, offsets[1:])] == [p.text for p in PASSAGES + passages]
    os.unlink(tmp_path / "grown" / BASE / "passages.txt")
    with pytest.raises(StoreError, match="build --full"):  # the base's texts gone: a damaged index, with the fix
        Texts(tmp_path / "grown", int(offsets[-1]))


def test_appending_rows_to_a_table_of_another_type_writes_nothing(tmp_path):
    from qa.retrieve.local import appended

    np.save(tmp_path / "base.npy", np.arange(5, dtype=np.int64))
    assert appended(tmp_path / "out.npy", tmp_path / "base.npy", np.arange(3, dtype=np.int64))
    assert np.load(tmp_path / "out.npy").tolist() == [0, 1, 2, 3, 4, 0, 1, 2]
    assert not appended(tmp_path / "other.npy", tmp_path / "base.npy", np.arange(3, dtype=np.int32))
    assert not (tmp_path / "other.npy").exists()


def test_appending_rows_of_a_wider_type_rewrites_every_row_in_it(tmp_path):
    from qa.retrieve.local import append_rows

    np.save(tmp_path / "keys.npy", np.array(["ab", "cd"]))
    append_rows(tmp_path / "out.npy", tmp_path / "keys.npy", np.array(["longer"]))
    assert np.load(tmp_path / "out.npy").tolist() == ["ab", "cd", "longer"]
