"""The evidence basket as a memo (qa/memo.py): Markdown and Word, in the analyst's order."""

import docx

from qa.memo import Quote, markdown, write_docx

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
