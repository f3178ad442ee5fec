from qa.types import Answer, Hit
from qa.corpus import load_collection
from qa import digest
from qa.render import answer_message, card, changes_html, export_markdown, question_message, source_html

from conftest import CORPUS

TEXT = "First sentence about <script>alert(1)</script> detainees. Second sentence on camps in Syria."


def hit(rank=1, text=TEXT, spans=((0, 56),), source_type="official"):
    return Hit(rank, "rome-2021", "Joint Communiqué by Ministers", "Rome", "2021-06-28", source_type, 7, text,
               " ".join(text[a:b] for a, b in spans), 1.0, "Joint Communiqué by Ministers, Rome, 28 June 2021, para 7",
               "pid", tuple(spans))


def test_card_escapes_document_text_and_marks_the_answer():
    html = card(hit())
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<mark>First sentence about &lt;script&gt;" in html
    assert "Rome, 28 June 2021</b> · para 7" in html
    assert "```text\nJoint Communiqué by Ministers, Rome, 28 June 2021, para 7\n```" in html  # copyable citation


def test_questions_are_shown_as_text():
    assert question_message("<img src=x onerror=alert(1)>") == "&lt;img src=x onerror=alert(1)&gt;"


def test_refusal_says_so_and_marks_nothing():
    message = answer_message(Answer("cake?", False, (hit(),), 0.1))
    assert message.startswith("**Nothing in the collection answers this question.**")
    assert "not a match" in message and "<mark>" not in message and "qa-answer" not in message


def test_refusal_gives_its_reason_escaped():
    note = "the collection never uses the words '<script>alert(1)</script>'"
    message = answer_message(Answer("<script>alert(1)</script>?", False, (hit(),), 0.1, (note,)))
    assert "Why: the collection never uses the words" in message
    assert "<script>" not in message and "&lt;script&gt;" in message


def test_answer_lists_every_hit_and_the_searched_text():
    message = answer_message(Answer("q and in 2019?", True, (hit(1), hit(2)), 0.5), searched_for="detainees and in 2019?")
    assert message.count('class="qa-card"') == 2
    assert "Searched for: detainees and in 2019?" in message


def test_no_hits_under_filters_says_to_widen_them():
    assert "Widen the filters" in answer_message(Answer("q", False, (), 0.0))


def test_export_is_markdown_quotes_with_citations():
    text = export_markdown(Answer("what about detainees?", True, (hit(),), 0.5))
    assert text.splitlines()[0] == "## what about detainees?"
    assert "> — Joint Communiqué by Ministers, Rome, 28 June 2021, para 7" in text
    assert export_markdown(Answer("cake", False, (hit(),), 0.1)).endswith("_Nothing in the collection answers this question._\n")
    # A refusal keeps its reason; filters that admit nothing are blamed, not the collection.
    refused = export_markdown(Answer("Hezbollah?", False, (hit(),), 0.1, ("the collection never uses the words 'Hezbollah'",)))
    assert "Why: the collection never uses the words 'Hezbollah'." in refused
    assert "No paragraph matches these filters" in export_markdown(Answer("q", False, (), 0.0, ("no document matches the filters",)))


def test_source_view_shows_the_whole_statement_with_one_paragraph_marked():
    doc = load_collection(CORPUS).document("rome-2021")
    html = source_html(doc, 7)
    assert html.count('class="qa-para') == 9
    assert html.count("qa-marked") == 1 and 'qa-para qa-marked" id="para-7"' in html
    assert "The following statement was released" in html  # the editorial line, as context


def test_counted_paragraph_numbers_are_marked_as_counted():
    from dataclasses import replace as copy

    rome, washington = (load_collection(CORPUS).document(d) for d in ("rome-2021", "washington-2019"))
    assert not rome.numbered and washington.numbered  # Rome prints no numbers; Washington 2019 does
    counted = source_html(rome, 7)
    assert "prints no paragraph numbers" in counted and '<span class="qa-num">[7]</span>' in counted
    printed = source_html(washington, 8)
    assert "prints no paragraph numbers" not in printed and '<span class="qa-num">8.</span>' in printed
    assert "(counted)" in card(copy(hit(), numbered=False)) and "(counted)" not in card(hit())


def test_statement_addresses_are_links_and_nothing_else_is():
    from dataclasses import replace as copy

    from qa.render import link

    assert link("https://www.state.gov/x") == ('<a href="https://www.state.gov/x" target="_blank" '
                                               'rel="noopener noreferrer">https://www.state.gov/x</a>')
    assert link("javascript:alert(1)") == "javascript:alert(1)" and "<a" not in link('https://x" onclick="y')
    rome = load_collection(CORPUS).document("rome-2021")
    assert rome.url and f'<a href="{rome.url}"' in source_html(rome, 7)
    assert '>source</a>' in card(copy(hit(), url="https://example.org/rome")) and "<a" not in card(hit())


def test_an_answer_opens_with_its_sentences_verbatim_and_numbered_and_a_refusal_without():
    first, second = hit(1, spans=((0, 56),)), hit(2, spans=((57, len(TEXT)),))
    message = answer_message(Answer("q", True, (first, second, hit(3, spans=((0, 56),))), 0.9))
    brief = message.split('class="qa-summary"')[1].split("</details>")[0]
    assert "First sentence about &lt;script&gt;alert(1)&lt;/script&gt; detainees <span class=\"qa-ref\">[1]</span>" in brief
    assert "Second sentence on camps in Syria. <span class=\"qa-ref\">[2]</span>" in brief
    assert brief.count("<li>") == 2  # the third repeats the first sentence: said once
    assert message.index("qa-summary") < message.index("qa-card")  # at the top
    assert "qa-summary" not in answer_message(Answer("cake", False, (first,), 0.1))


def test_how_it_changed_takes_each_statements_best_paragraph_in_date_order_and_marks_the_words():
    from dataclasses import replace as copy

    older = copy(hit(2), doc_id="washington-2017", date="2017-03-22", place="Washington", paragraph=3,
                 text="The Coalition will support the return of displaced people.")
    newer = copy(hit(1), doc_id="rome-2021", text="The Coalition will support the voluntary return of displaced people.")
    repeat = copy(hit(3), text="A later, weaker paragraph of the same statement.")
    news = copy(hit(4), doc_id="news-2021", source_type="news", date="2021-06-29", text="Reported.")
    block = changes_html(digest.changes([newer, older, repeat, news]))
    assert block.index("Washington, 22 March 2017") < block.index("Rome, 28 June 2021")  # oldest first
    assert "<ins>voluntary</ins>" in block and "weaker" not in block and "Reported" not in block
    assert changes_html(digest.changes([newer, repeat])) == ""  # one statement: nothing to compare


def test_a_caveat_on_an_answer_is_shown_in_the_body_colour_above_the_paragraphs():
    note = "the document named (Rome, 2021) never uses 'police'; other documents do"
    message = answer_message(Answer("police?", True, (hit(),), 0.8, (note,)), searched_for="police?")
    caveat = '<div class="qa-note qa-caveat">The document named (Rome, 2021) never uses &#x27;police&#x27;; other ' \
             'documents do.</div>'
    assert caveat in message and message.index(caveat) < message.index("<mark>")
    assert '<div class="qa-note">Searched for: police?</div>' in message  # the search line stays subdued


def test_how_it_changed_names_the_statements_it_leaves_out_escaped():
    from dataclasses import replace as copy

    older = copy(hit(2), doc_id="washington-2017", date="2017-03-22", place="Washington", text="Support returns.")
    newer = copy(hit(1), text="Support voluntary returns.")
    far = copy(hit(3), doc_id="kuwait-2018", date="2018-02-13", place="Kuwait <City>", score=0.1)
    block = changes_html(digest.changes([newer, older, far]), (far,))
    assert "Left out: Kuwait &lt;City&gt;, 13 February 2018; its closest paragraph" in block
    assert block.count('class="qa-change"') == 2
    assert "Left out" not in changes_html(digest.changes([newer, older]))


def test_a_refusal_gives_its_reasons_in_one_sentence_main_reason_first():
    notes = ("the question is far from every paragraph in the collection",
             "read as French: searched by meaning alone, with a model that reads it")
    message = answer_message(Answer("Comment faire une pâte à crêpes ?", False, (hit(),), 0.1, notes))
    assert message.count("Why:") == 1
    assert ("Why: the question is far from every paragraph in the collection; read as French: searched by meaning "
            "alone, with a model that reads it.") in message


def test_a_question_that_could_not_be_searched_says_why_not_to_widen_the_filters():
    note = "the question reads as French, and the model ranking the paragraphs (bundled) reads English only"
    answer = Answer("Qu'ont dit les ministres ?", False, (), 0.0, (note,))
    message = answer_message(answer)
    assert message.startswith("**This question could not be searched.** Why: the question reads as French")
    assert "Widen the filters" not in message
    assert export_markdown(answer).splitlines()[2].startswith("_This question could not be searched._ Why: the question")
