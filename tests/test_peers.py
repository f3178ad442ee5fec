import pytest

from qa.corpus import load_collection
from qa.errors import QAError
from qa.eval.peers import chunk_to_paragraphs, rank_paragraphs

from conftest import CORPUS


def test_chunks_map_to_paragraphs_by_overlap():
    collection = load_collection(CORPUS)
    doc = collection.document("rome-2021")
    p6, p7 = doc.paragraphs[5], doc.paragraphs[6]
    # a chunk with the end of paragraph 6 and most of paragraph 7: 7 overlaps more, so it comes first
    start, end = p6.end - 50, p7.end - 10
    assert chunk_to_paragraphs(collection, "rome-2021", start, end) == [("rome-2021", 7), ("rome-2021", 6)]
    assert sorted(chunk_to_paragraphs(collection, "rome-2021", 0, p6.start - 1)) == [("rome-2021", n) for n in range(1, 6)]
    assert chunk_to_paragraphs(collection, "rome-2021", 0, 10) == []  # boilerplate only


def test_ranked_chunks_give_deduplicated_paragraphs_in_order():
    collection = load_collection(CORPUS)
    doc = collection.document("rome-2021")
    p = doc.paragraphs
    chunks = [("rome-2021", p[6].start, p[6].end), ("rome-2021", p[5].start, p[6].end), ("rome-2021", p[0].start, p[0].end)]
    assert rank_paragraphs(collection, chunks) == (("rome-2021", 7), ("rome-2021", 6), ("rome-2021", 1))


def test_plain_bm25_peer_ranks_the_paragraph_with_the_rare_words_first():
    from qa.eval.peers import PEERS, bm25_system, peer_system

    collection = load_collection(CORPUS)
    search = bm25_system(collection)
    assert search("Egmont Group of financial intelligence units").items[0] == ("washington-2017", 11)
    assert search("the of and").items == ()  # only stopwords: nothing to rank
    assert not search("Egmont Group").refused  # peers never refuse
    assert {"langchain", "llamaindex", "llamaindex-window", "bm25"} == set(PEERS)
    with pytest.raises(QAError, match="unknown peer 'haystack'; the peers are langchain"):
        peer_system("haystack", collection, None)
