"""The evidence basket as a memo (qa/memo.py): Markdown and Word, in the analyst's order."""

import docx

from qa.memo import Quote, markdown, quotes_of, write_docx

QUOTES = [Quote("rome-2021#7", "Detainees in northeast Syria are of grave concern.", "Joint Communiqué, Rome, 28 June 2021, para 7",
                "https://example.org/rome"),
          Quote("washington-2019#8", "Detained fighters must never return to the battlefield.",
                "Statement by Ministers, Washington, 6 February 2019, para 8")]


def test_markdown_quotes_each_item_with_its_citation_and_address_in_order():
    text = markdown(QUOTES)
    assert text.index("grave concern") < text.index("never return")
    assert "> — Joint Communiqué, Rome, 28 June 2021, para 7 (https://example.org/rome)" in text
    assert "> — Statement by Ministers, Washington, 6 February 2019, para 8\n" in text


def test_word_document_has_each_quote_then_its_citation_in_order(tmp_path):
    path = write_docx(list(reversed(QUOTES)), tmp_path / "evidence.docx")
    paragraphs = [p.text for p in docx.Document(str(path)).paragraphs if p.text]
    assert paragraphs == ["Evidence", QUOTES[1].quote, f"— {QUOTES[1].citation}", QUOTES[0].quote,
                          f"— {QUOTES[0].citation} https://example.org/rome"]
    # The address is a link Word opens, not only its text.
    links = [link for p in docx.Document(str(path)).paragraphs for link in p.hyperlinks]
    assert [(link.address, link.text) for link in links] == [("https://example.org/rome", "https://example.org/rome")]


def test_quotes_asked_for_by_id_take_their_citation_and_address_from_the_collection():
    from qa.corpus import load_collection
    from conftest import CORPUS

    collection = load_collection(CORPUS)
    rome = collection.document("rome-2021")
    seventh = next(p for p in rome.paragraphs if p.number == 7)
    sentence = seventh.text.split(". ")[0]
    whole, part = quotes_of(collection, ["rome-2021#7", {"doc_id": "rome-2021", "paragraph": 7, "quote": sentence,
                                                        "citation": "a citation of the client's own"}])
    assert whole.quote == " ".join(seventh.text.split()) and part.quote == sentence
    assert part.citation == rome.citation(7) and part.url == rome.url  # never the client's
    # A hit's highlight joins sentences apart in the paragraph with " … ": each part must be there.
    second = seventh.text.split(". ")[1]
    assert quotes_of(collection, [{"doc_id": "rome-2021", "paragraph": 7, "highlight": f"{sentence} … {second}"}])


def test_a_basket_item_that_is_not_in_the_collection_is_named_with_the_fix():
    import pytest

    from qa.corpus import load_collection
    from qa.errors import QueryError
    from conftest import CORPUS

    collection = load_collection(CORPUS)
    cases = {
        "the basket is empty": [],
        "the basket is str": "rome-2021#7",
        "basket item 2 .* names no paragraph": ["rome-2021#7", {"doc_id": "rome-2021"}],
        "basket item 1: no document with id 'nowhere'": ["nowhere#3"],
        "rome-2021 has no paragraph 99": ["rome-2021#99"],
        "the quote is not in rome-2021 paragraph 7; quotes are verbatim": [
            {"doc_id": "rome-2021", "paragraph": 7, "quote": "Words the statement never wrote."}],
    }
    for message, items in cases.items():
        with pytest.raises(QueryError, match=message):
            quotes_of(collection, items)
