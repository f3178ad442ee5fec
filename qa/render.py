"""What people see: answers as cards, a statement with one paragraph marked, Markdown for memos.

Pure functions from library objects to text, so the web app only wires widgets to them. Every
piece of text that came from a user or a document is HTML-escaped before it is placed in markup.
"""

from __future__ import annotations

import html
import re

from qa import digest
from qa.types import NO_DOCUMENT_NOTE, Answer, Hit
from qa.corpus import Document, display_date

REFUSAL = "Nothing in the collection answers this question."
UNSEARCHED = "This question could not be searched."
NO_MATCH = "No paragraph matches these filters. Widen the filters and ask again."


def _why(answer: Answer, escape=lambda text: text) -> str:
    """A refusal's reasons, its first the main one, as one sentence after "Why:" (none: empty)."""
    return f" Why: {escape('; '.join(answer.notes))}." if answer.notes else ""


def _unsearched(answer: Answer) -> bool:
    """A refusal without paragraphs for a reason other than filters that admit no document."""
    return bool(answer.notes) and answer.notes != (NO_DOCUMENT_NOTE,)


def _highlighted(hit: Hit) -> str:
    """The paragraph's text, escaped, with its highlighted sentences in <mark>."""
    out, pos = [], 0
    for start, end in sorted(hit.highlight_spans):
        out.append(html.escape(hit.text[pos:start]))
        out.append(f"<mark>{html.escape(hit.text[start:end])}</mark>")
        pos = end
    out.append(html.escape(hit.text[pos:]))
    return "".join(out).replace("\n\n", "<br><br>")


# Shown beside a paragraph number the statement does not print itself.
COUNTED_TITLE = "The statement prints no paragraph numbers; they are counted from its first paragraph."
COUNTED_MARK = f' <span class="qa-counted" title="{COUNTED_TITLE}">(counted)</span>'


def link(url: str, text: str | None = None) -> str:
    """A link that opens in a new tab, for web addresses only; any other text is shown as text."""
    shown = html.escape(text if text is not None else url)
    if not re.match(r"https?://[^\s\"'<>]+$", url or ""):
        return shown
    return f'<a href="{html.escape(url, quote=True)}" target="_blank" rel="noopener noreferrer">{shown}</a>'


def _label(source_type: str) -> str:
    return "News report" if source_type == "news" else "Official statement"


def card(hit: Hit, match: bool = True) -> str:
    """One hit as a card: where it is from, the answering sentences, the whole paragraph on demand,
    and the citation to copy. A card shown only for reference (``match=False``) marks nothing."""
    kind = "news" if hit.source_type == "news" else "official"
    flag = "" if match else '<span class="qa-badge qa-nomatch">not a match</span> '
    head = (f'<div class="qa-head">{flag}<span class="qa-badge qa-{kind}">{_label(hit.source_type)}</span> '
            f'<b>{html.escape(hit.place)}, {html.escape(display_date(hit.date))}</b> · para {hit.paragraph}'
            f'{"" if hit.numbered else COUNTED_MARK}'
            f' <span class="qa-rank">#{hit.rank}</span></div>')
    source = f' · {link(hit.url, "source")}' if hit.url.startswith(("http://", "https://")) else ""
    title = f'<div class="qa-title">{html.escape(hit.title)}{source}</div>'
    if match:
        lead = f'<div class="qa-answer">{html.escape(hit.highlight)}</div>'
        full = _highlighted(hit)
    else:
        snippet = hit.text if len(hit.text) <= 220 else hit.text[:220].rsplit(" ", 1)[0] + " …"
        lead = f'<div class="qa-snippet">{html.escape(snippet)}</div>'
        full = html.escape(hit.text).replace("\n\n", "<br><br>")
    body = f'<details class="qa-full"><summary>Whole paragraph {hit.paragraph}</summary><div class="qa-text">{full}</div></details>'
    citation = hit.citation.replace("`", "'")  # a backtick would end the fenced block early
    # A fenced block: the chat shows a copy button on it, and its text is the citation as is.
    return f'<div class="qa-card">{head}{title}{lead}{body}</div>\n\n```text\n{citation}\n```\n'


def answer_message(answer: Answer, searched_for: str | None = None, changes: tuple[digest.Change, ...] = (),
                   left_out: tuple[Hit, ...] = ()) -> str:
    """The chat's reply: cards for the hits, or a plain refusal with the closest paragraphs marked as such."""
    lines = []
    if searched_for:
        lines.append(f'<div class="qa-note">Searched for: {html.escape(searched_for)}</div>\n')
    if not answer.hits:
        if not _unsearched(answer):
            lines.append(NO_MATCH)
        else:  # not searched at all (a question in a language the model cannot read): why, and what to do
            lines.append(f"**{UNSEARCHED}**{_why(answer, html.escape)}")
        return "\n".join(lines)
    if not answer.answerable:
        lines.append(f"**{REFUSAL}**{_why(answer, html.escape)} The closest paragraphs are shown for reference only; "
                     f"they are not a match.\n")
    else:
        n = len(answer.hits)
        # A caveat on an answer ("... never mentions 'Russia'") is read before the paragraphs: body-coloured,
        # not the subdued grey of "Searched for:".
        lines.extend(f'<div class="qa-note qa-caveat">{html.escape(note[:1].upper() + note[1:])}.</div>\n'
                     for note in answer.notes)
        lines.append(summary(answer))
        if changes:
            lines.append(changes_html(changes, left_out))
        lines.append(f'<div class="qa-lead"><b>{n} paragraph{"s" if n > 1 else ""}</b>, best first. '
                     f'The answering sentences are highlighted.</div>\n')
    lines.extend(card(hit, match=answer.answerable) for hit in answer.hits)
    return "\n".join(lines)


def changes_html(changes: tuple[digest.Change, ...], left_out: tuple[Hit, ...] = ()) -> str:
    """How the statements put it over time (qa.digest.changes), with added words in <ins> and
    dropped ones in <del>, and the statements left out of it named. No changes (fewer than two
    statements): nothing."""
    rows = []
    for change in changes:
        hit = change.hit
        body = " ".join(f"<ins>{html.escape(text)}</ins>" if kind == "added" else
                        f"<del>{html.escape(text)}</del>" if kind == "dropped" else html.escape(text)
                        for kind, text in change.pieces)
        rows.append(f'<div class="qa-change"><b>{html.escape(hit.place)}, {html.escape(display_date(hit.date))}</b>'
                    f' · para {hit.paragraph}{"" if hit.numbered else COUNTED_MARK}<div>{body}</div>'
                    f'<div class="qa-cite">{html.escape(hit.citation)}</div></div>')
    if not rows:
        return ""
    if left_out:
        rows.append(f'<div class="qa-note">{html.escape(left_out_line(left_out))}</div>')
    return ('<details class="qa-changes" open><summary>How it changed: the best paragraph of each statement, oldest '
            'first (words added since the one before <ins>marked</ins>, dropped ones <del>struck</del>)</summary>'
            + "".join(rows) + "</details>\n")


def left_out_line(left_out: tuple[Hit, ...]) -> str:
    """The statements "how it changed" leaves out, as a reader is told of them."""
    named = [f"{h.place}, {display_date(h.date)}" for h in left_out]
    listed = named[0] if len(named) == 1 else f"{'; '.join(named[:-1])} and {named[-1]}"
    return (f"Left out: {listed}; {'its' if len(named) == 1 else 'their'} closest paragraph"
            f"{'' if len(named) == 1 else 's'} to the question {'is' if len(named) == 1 else 'are'} far "
            f"below the others, and may speak of something else")


def summary(answer: Answer) -> str:
    """The answer in brief (qa.digest.brief): the answering sentences of the best paragraphs,
    verbatim, each followed by its card's number [1] [2]; nothing for a refusal."""
    lines = digest.brief(answer)
    if not lines:  # a refusal, or no hits
        return ""
    items = "".join(f'<li>{html.escape(line.quote)} <span class="qa-ref">[{line.rank}]</span></li>' for line in lines)
    return (f'<details class="qa-summary" open><summary><b>In brief</b> (the statements\' own words)</summary>'
            f'<ul>{items}</ul></details>\n')


def question_message(question: str) -> str:
    """The user's question as the chat shows it: escaped, so markup in it is shown as text."""
    return html.escape(question)


def error_message(message: str) -> str:
    return f"⚠️ {html.escape(message)}"


def source_html(doc: Document, paragraph: int | None) -> str:
    """The whole statement, paragraph by paragraph, with one paragraph marked (and scrolled to)."""
    parts = [
        '<div class="qa-source">',
        f'<div class="qa-source-head"><span class="qa-badge qa-{"news" if doc.source_type == "news" else "official"}">'
        f'{_label(doc.source_type)}</span> <b>{html.escape(doc.place)}, {html.escape(doc.display_date)}</b></div>',
        f'<h3>{html.escape(doc.title)}</h3>',
    ]
    if doc.url:
        parts.append(f'<div class="qa-url">{link(doc.url)}</div>')
    for line in doc.preamble:
        parts.append(f'<p class="qa-preamble">{html.escape(line)}</p>')
    if not doc.numbered:
        parts.append(f'<p class="qa-counted-note">{COUNTED_TITLE} The numbers in [brackets] are those counts, '
                     f'as the citations give them.</p>')
    for para in doc.paragraphs:
        marked = " qa-marked" if para.number == paragraph else ""
        text = html.escape(para.text).replace("\n\n", "<br><br>")
        number = f"{para.number}." if doc.numbered else f"[{para.number}]"
        parts.append(f'<p class="qa-para{marked}" id="para-{para.number}"><span class="qa-num">{number}</span> {text}</p>')
    parts.append("</div>")
    return "\n".join(parts)


def export_markdown(answer: Answer) -> str:
    """The answer's citations and quotes as Markdown for a memo."""
    lines = [f"## {answer.question}", ""]
    if not answer.hits:
        lines += [f"_{UNSEARCHED}_{_why(answer)}" if _unsearched(answer) else "_No paragraph matches these filters._", ""]
        return "\n".join(lines)
    if not answer.answerable:
        lines += [f"_{REFUSAL}_{_why(answer)}", ""]
        return "\n".join(lines)
    for hit in answer.hits:
        quote = hit.highlight or hit.text
        lines += [f"> {quote}", ">", f"> — {hit.citation}", ""]
    return "\n".join(lines)
