from qa.clean import parse, strip_markup

from conftest import DATA


def test_strip_markup_removes_markdown_and_escapes():
    assert strip_markup("### Title with **bold** and *em*") == "Title with bold and em"
    assert strip_markup(r"meet in \(spring\) 2023.") == "meet in (spring) 2023."
    assert strip_markup("a\u00a0b   c") == "a b c"


def test_messy_statement_comes_out_clean_and_numbered():
    text = (DATA / "messy_statement.txt").read_text(encoding="utf-8")
    parsed = parse(text)
    assert [b.number for b in parsed.blocks] == [1, 2, 3, 4]
    assert parsed.blocks[0].text == (
        "The Small Group met in Brussels today to review progress on reconstruction in liberated areas."
    )
    # the page break inside paragraph 3 is joined, and nothing else is glued on
    assert parsed.blocks[2].text.endswith("children face recruitment by violent extremists unless "
                                          "education and psychosocial support reach them soon.")
    assert parsed.blocks[3].text == "We will meet again in (spring) 2023."
    assert parsed.preamble == ("The following is the text of a joint statement by the Small Group.",)
    joined = " ".join(b.text for b in parsed.blocks)
    for junk in ("official website", "Media Note", "Begin text", "End text", "Photo", "Website Management",
                 "Leave a Reply", "email address", "**", "#", "Brussels, Belgium"):
        assert junk not in joined


def test_messy_report_joins_wrapped_lines_and_page_breaks_and_drops_caption():
    parsed = parse((DATA / "messy_report.txt").read_text(encoding="utf-8"))
    assert [b.number for b in parsed.blocks] == [None, None]
    assert parsed.blocks[0].text.startswith("Ministers from the coalition met on Tuesday")
    assert parsed.blocks[0].text.endswith("camps of northeast Syria, where tens of thousands of people remain.")
    assert "should be accelerated by every member of the coalition without further delay." in parsed.blocks[1].text
    joined = " ".join(b.text for b in parsed.blocks)
    for junk in ("News Ticker", "Pledge Support for Camps", "Brussels meeting", "Share this", "Leave a Reply"):
        assert junk not in joined


def test_spans_point_at_the_paragraph_in_the_source():
    text = (DATA / "messy_statement.txt").read_text(encoding="utf-8")
    for block in parse(text).blocks:
        source = text[block.start:block.end]
        assert source.lstrip().startswith(f"{block.number}.")
        assert block.text.split()[-1] in source


def test_out_of_sequence_numbers_are_text_not_paragraph_numbers():
    text = "1. First paragraph of the statement is here.\n2. Second paragraph of the statement is here.\n" \
           "2019. That year the campaign changed course in many ways."
    parsed = parse(text)
    assert [b.number for b in parsed.blocks] == [1, 2]
    assert parsed.blocks[1].text.endswith("That year the campaign changed course in many ways.")


def test_run_together_numbered_lines_are_split():
    text = "Begin text:\n1. We met today in Rome to talk.\n2. We agreed on many things together.\n" \
           "3. We will meet again next year.\nEnd text."
    assert [(b.number, b.text) for b in parse(text).blocks] == [
        (1, "We met today in Rome to talk."),
        (2, "We agreed on many things together."),
        (3, "We will meet again next year."),
    ]


def test_extra_boilerplate_patterns_drop_matching_lines():
    text = "Sign up for our newsletter today and never miss a thing.\n\nThe ministers met and agreed on a plan."
    assert len(parse(text).blocks) == 2
    blocks = parse(text, extra_boilerplate=(r"sign up for our newsletter",)).blocks
    assert [b.text for b in blocks] == ["The ministers met and agreed on a plan."]


def test_captions_with_photo_credits_cookie_lines_and_link_text_go():
    text = ("Statement of the Forum\n\nValletta, 3 March 2031\n\n"
            "Keepers inspect a lamp at the Delimara light (Forum photo by J. Borg)\n"
            "We use cookies to improve your experience on this site.\n\n"
            "The members of the Forum met in Valletta to review the safety of coastal lights after a winter of "
            "storms. Read the Forum's full report here.\n\n"
            "Members asked each keeper to log every failure of a lamp, as the photo of the lamp shows, and to "
            "send the log each quarter.\n")
    blocks = [b.text for b in parse(text).blocks]
    assert blocks == [
        "The members of the Forum met in Valletta to review the safety of coastal lights after a winter of storms.",
        "Members asked each keeper to log every failure of a lamp, as the photo of the lamp shows, and to send the "
        "log each quarter.",
    ]


def test_paragraph_numbers_in_brackets_are_the_statements_own():
    text = "Joint statement\n\n(1) Ministers met today to review the campaign.\n\n" \
           "(2) They agreed to fund stabilization in liberated areas.\n\n(3) They will meet again next year."
    assert [(b.number, b.text) for b in parse(text).blocks] == [
        (1, "Ministers met today to review the campaign."),
        (2, "They agreed to fund stabilization in liberated areas."),
        (3, "They will meet again next year."),
    ]
    # A bracketed number out of sequence stays text, as "2019." does.
    assert [b.number for b in parse("(1) First paragraph here.\n\n(5) million people were displaced.").blocks] == [1]


def test_list_bullets_are_not_part_of_a_paragraphs_words():
    text = "Statement\n\n• Ministers reviewed the campaign against the group in detail.\n\n" \
           "- They agreed to fund stabilization in the liberated areas.\n\n" \
           "The 2019 figures - not final - were shared."
    assert [b.text for b in parse(text).blocks] == [
        "Ministers reviewed the campaign against the group in detail.",
        "They agreed to fund stabilization in the liberated areas.",
        "The 2019 figures - not final - were shared.",  # a dash inside a line is the text's own
    ]


def test_numbering_that_starts_again_under_a_section_heading_is_counted_through():
    text = "Statement\n\nSection A\n\n1. Ministers reviewed the campaign in detail.\n\n" \
           "2. They agreed to fund stabilization in liberated areas.\n\nSection B\n\n" \
           "1. Partners shared information on fighters.\n\n2. They will meet again next year."
    blocks = parse(text).blocks
    # Each paragraph stands alone (not section B folded into paragraph 2), and without numbers:
    # "para 1" would name two paragraphs, so the corpus counts them 1 to 4 instead.
    assert [(b.number, b.text) for b in blocks] == [
        (None, "Ministers reviewed the campaign in detail."),
        (None, "They agreed to fund stabilization in liberated areas."),
        (None, "Partners shared information on fighters."),
        (None, "They will meet again next year."),
    ]


def test_a_numbered_list_inside_a_paragraph_stays_in_it():
    text = "Statement\n\n1. Ministers reviewed the campaign in detail.\n\n2. The Coalition will:\n\n" \
           "1. share information on fighters;\n\n2. fund stabilization in liberated areas.\n\n" \
           "3. They will meet again next year."
    blocks = parse(text).blocks
    assert [b.number for b in blocks] == [1, 2, 3]
    assert blocks[1].text.endswith("2. fund stabilization in liberated areas.")


def test_words_broken_across_lines_with_a_hyphen_are_joined():
    text = "Statement\n\n1. Ministers reviewed the stabili-\nzation of liberated areas and the counter-\n" \
           "terrorism campaign, and counter claims on terrorism.\n\n2. They will meet again next year."
    first = parse(text).blocks[0].text
    # A fragment is joined whole; two words the text also writes apart keep their hyphen; no stray space.
    assert first == ("Ministers reviewed the stabilization of liberated areas and the counter-terrorism campaign, "
                     "and counter claims on terrorism.")
    # A line ending in a dash before a capital, or a number, is not a broken word.
    assert parse("Statement\n\n1. Ministers met in Rome -\nItaly hosted them this year.").blocks[0].text == \
        "Ministers met in Rome - Italy hosted them this year."


def test_a_list_introduced_by_a_colon_belongs_to_its_paragraph():
    text = ("Statement\n\nThe members agreed on the following steps for the coming season:\n"
            "- to fund new landing sites in the southern ports;\n- to train twenty inspectors.\n\n"
            "They will meet again in the spring of next year.\n\n"
            "- A bulleted line with no introduction stays its own paragraph.")
    assert [b.text for b in parse(text).blocks] == [
        "The members agreed on the following steps for the coming season:\nto fund new landing sites in the "
        "southern ports;\nto train twenty inspectors.",  # cited as one paragraph, as a reader counts it
        "They will meet again in the spring of next year.",
        "A bulleted line with no introduction stays its own paragraph.",
    ]


def test_a_list_without_final_stops_neither_takes_the_next_paragraph_nor_is_dropped():
    text = ("Statement\n\nThe Ministers agreed on these priorities for the coming year:\n\n"
            "- Strengthening port inspections across the region\n\n- Protecting dolphins\n\n"
            "The Ministers thanked the Government of Portugal for hosting the meeting in Lisbon.\n\n"
            "Delegations of these member states attended the meeting:\n- Portugal\n- Iceland")
    assert [b.text for b in parse(text).blocks] == [
        "The Ministers agreed on these priorities for the coming year:\nStrengthening port inspections across "
        "the region\nProtecting dolphins",
        "The Ministers thanked the Government of Portugal for hosting the meeting in Lisbon.",
        "Delegations of these member states attended the meeting:\nPortugal\nIceland",
    ]


def test_a_short_wrapped_line_after_a_sentence_ending_at_a_line_end_is_kept():
    # A PDF's lines come without blank lines between them; a sentence may end just at a line's end,
    # and the next line, short and unterminated, is then no heading: its words belong to the paragraph.
    text = ("Declaration on Health\n\n"
            "1. Our health systems cannot function without the people who work in them.\n"
            "According to estimates prepared for this meeting, the region will face a\n"
            "shortage of some 31,400 nurses by 2030, with the most severe gaps in rural areas.\n"
            "Workforce\n"
            "2. We reaffirm our commitment to the code of practice on recruitment.\n")
    blocks = parse(text).blocks
    assert [b.number for b in blocks] == [1, 2]
    assert "will face a shortage of some 31,400 nurses" in blocks[0].text
    assert "Workforce" not in blocks[0].text  # a heading standing alone before the next number


def test_no_words_of_an_unnumbered_wrapped_paragraph_are_lost_at_a_sentence_ending_a_line():
    text = ("Statement on Health\n\n"
            "The ministers met in the old town hall for two days of talks.\n"
            "According to estimates prepared for this meeting, the region will\n"
            "face a shortage of nurses and doctors within five years.\n\n"
            "They agreed to meet again next year in the same city to review progress.\n")
    words = " ".join(b.text for b in parse(text).blocks)
    assert "According to estimates prepared for this meeting, the region will face a shortage" in words


def test_a_markdown_link_keeps_its_words_and_loses_its_address():
    assert strip_markup("See the [Council's site](https://example.org/a_(b) \"home\") for more.") == \
        "See the Council's site for more."
    assert strip_markup("![map of the ports](map.png) shows them") == "map of the ports shows them"


def test_a_footer_of_links_credits_and_issued_by_lines_is_no_paragraph():
    text = ("# Ministers agree on port pumps\n\n"
            "The ministers agreed to share the cost of new pumps for every port of the region by 2030.\n\n"
            "They will meet again next year in Tallinn to review what has been done since.\n\n"
            "*Reporting by Ana Lee; editing by Tom Berg*\n\n"
            "*Issued by the Council's Press Office. For the official record, see the Council's website.*\n\n"
            "[Subscribe to our newsletters](https://wire.example.com/subscribe) | © 2031 Port Wire. "
            "All rights reserved.\n")
    parsed = parse(text)
    assert [b.text[:20] for b in parsed.blocks] == ["The ministers agreed", "They will meet again"]
    assert parsed.preamble == ("Issued by the Council's Press Office. For the official record, see the Council's "
                               "website.",)


def test_a_paragraphs_lettered_items_stay_in_it_across_blank_lines():
    text = ("1. The Members agreed to focus their work on the following areas:\n\n"
            "(a) the use of virtual assets by the group's supporters;\n\n"
            "(b) money services businesses and informal networks that move funds to the camps\n\n"
            "in the northeast;\n\n(c) financing flows between the group and its affiliates; and\n\n"
            "(d) the exploitation of natural resources.\n\n2. Members will meet again next year in Rabat.\n")
    blocks = parse(text).blocks
    assert [b.number for b in blocks] == [1, 2]
    assert all(f"({x})" in blocks[0].text for x in "abcd") and "to the camps in the northeast;" in blocks[0].text
    assert blocks[1].text == "Members will meet again next year in Rabat."
