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


def test_the_boundary_pattern_cuts_where_its_look_behind_first_form_cuts():
    """The pattern starts with the space after a sentence's end so that the regex engine can skip
    to spaces; it must cut exactly where the plainer form (look-behinds first, then the space)
    cuts, spaces kept as the text splitter keeps them, on the collection and on random text made
    of end marks, quotes, brackets, abbreviations and spaces."""
    import random
    import re

    from qa.chunk import SENTENCE_BOUNDARY

    plain = (r"(?:(?<=[.!?])|(?<=[.!?][\"'”’)\]]))"
             r"(?<!\b[A-Z]\.)(?<!\bU\.S\.)(?<!\bU\.N\.)(?<!\bMr\.)(?<!\bMs\.)(?<!\bDr\.)(?<!\bNo\.)(?<!\bSt\.)"
             r"(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\bvs\.)"
             r"\s+(?=[\"“‘(\[]?[A-Z0-9])")
    rng = random.Random(3)
    letters = 'aAZ. !?"\'”’)(]["“‘\n\t\u00a0US.N.Mr.Dr.e.g.i.vs.St.No.019'
    texts = [p.text for _, p in load_collection(CORPUS).paragraphs()]
    texts += ["".join(rng.choice(letters) for _ in range(rng.randint(0, 60))) for _ in range(20000)]
    fast, reference = re.compile(f"({SENTENCE_BOUNDARY})"), re.compile(f"({plain})")
    cut = 0
    for text in texts:
        assert fast.split(text) == reference.split(text), text
        cut += len(reference.split(text)) > 1
    assert cut > 1000  # the random texts do hold sentence ends


def test_sentences_are_cut_where_the_boundary_pattern_would_cut_them_anywhere():
    """The fast cut (the pattern tried only after end marks) equals a plain split on the pattern,
    on the whole collection and on end marks, quotes, brackets, abbreviations and odd spacing."""
    import re

    from qa.chunk import SENTENCE_BOUNDARY, _between_boundaries

    tricky = [
        'U.S. forces met. Then (A) left! "Yes." 2017. Mr. X. e.g. Foo.  Bar', "A.  B", "", "x. y",
        "End.\n\nNext one. ‘Q’ and. [1] ok", "Why?! Because.” (Then) 3 more.) [Note] fine", "...  . . A",
        "Dr. No. St. Paul vs. Rome i.e. Here. Ms. J. Smith.\tTab.\u00a0Space", "?” “Quoted.” ‘Single’", ".!?",
    ]
    texts = tricky + [p.text for _, p in load_collection(CORPUS).paragraphs()]
    plain = re.compile(SENTENCE_BOUNDARY)
    for text in texts:
        assert _between_boundaries(text) == plain.split(text), text
