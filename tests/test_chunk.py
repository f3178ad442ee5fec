from qa.chunk import make_passages, paragraph_passages, sentences
from qa.corpus import Paragraph, load_collection, paragraph_id

from conftest import CORPUS


def test_sentences_respect_abbreviations_and_initials():
    text = 'Antony J. Blinken met the U.S. team. Then they left! "Quoted here." Next one.'
    assert [s for s, _, _ in sentences(text)] == [
        "Antony J. Blinken met the U.S. team.", "Then they left!", '"Quoted here."', "Next one."]


def test_sentence_spans_point_into_the_text():
    text = "First sentence here.  Second one follows. Third."
    for sentence, start, end in sentences(text):
        assert text[start:end] == sentence


def test_long_paragraph_is_split_on_sentence_boundaries_and_keeps_its_number():
    text = " ".join(f"Sentence number {i} talks about the Coalition and its many partners." for i in range(40))
    para = Paragraph(paragraph_id("d", 3, text), "d", 3, text, 0, len(text))
    pieces = [p for p in paragraph_passages(para, piece_chars=300, overlap=80) if p.kind == "piece"]
    assert len(pieces) > 5
    for piece in pieces:
        assert len(piece.text) <= 300
        assert piece.text.endswith(".") and piece.text[0].isupper()
        assert text[piece.start:piece.end] == piece.text
        assert (piece.paragraph_id, piece.number, piece.doc_id) == (para.id, 3, "d")


def test_every_paragraph_of_the_collection_has_pieces_and_sentences():
    collection = load_collection(CORPUS)
    passages = make_passages(collection)
    for _, para in collection.paragraphs():
        kinds = {p.kind for p in passages if p.paragraph_id == para.id}
        assert kinds == {"piece", "sentence"}
    ids = [p.id for p in passages]
    assert len(ids) == len(set(ids))
