"""Coalition QA web chat (Gradio): ask the statements, read cited paragraphs, copy citations.

    python app.py [--host 127.0.0.1] [--port 7860]      (or QA_HOST / QA_PORT)

A thin shell: every handler parses widget values, calls the library (qa.Engine, qa.render) and
returns what to show. The index is built or loaded before the server starts, with progress in
the terminal. The server listens on 127.0.0.1 unless told otherwise and never opens a share link.
"""

from __future__ import annotations

import argparse
import atexit
import hashlib
import html
import os
import shutil
import sys
import tempfile
import traceback

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no calls home; the app runs offline
os.environ.setdefault("HF_HUB_OFFLINE", "1")
# OpenMP's threads (E5's engine and FAISS each load libgomp) wait for their next piece of work by
# spinning, by default for 300,000 turns, on the cores the other users' searches need. Measured with
# scripts/loadcheck.py, two runs each, side by side: 50 clients x 20 questions 46-51 requests/s
# (p95 1.26-1.41 s) by default, 58-60 (1.07-1.15 s) at 10,000 turns, 62-66 (0.96-1.10 s) at 1,000;
# but at 1,000 a lone user's p50 rose from 32-38 ms to 53-57 (the threads sleep between the steps
# of one encode), at 10,000 it stayed 31-40. Read when libgomp loads, with the model and index;
# a value already set is kept.
os.environ.setdefault("GOMP_SPINCOUNT", "10000")


class _NoStubWriting:
    """Gradio (6.x), as it defines each of its components at import, reads the component's module
    source, parses it and renders a type-stub (``.pyi``) to compare with, and write over, the one
    in its installed package: a step for its own developers' type checkers, which changes nothing
    the app serves. It was 1.0 s of Gradio's 2.5 s import here, and the app's start is mostly that
    import (ready 3.3-4.0 s against a goal of 3). This import hook makes that step do nothing: it
    acts only when ``gradio.component_meta`` is first loaded, and only on the function of that name;
    if Gradio renames or moves it, the hook does nothing and the import is as before."""

    NAME, STEP = "gradio.component_meta", "create_or_modify_pyi"

    def find_spec(self, name, path, target=None):
        if name != self.NAME:
            return None
        sys.meta_path.remove(self)
        import importlib.util

        spec = importlib.util.find_spec(name)
        loader = spec.loader if spec is not None else None
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        load = loader.exec_module

        def exec_module(module):
            load(module)
            if callable(getattr(module, self.STEP, None)):
                setattr(module, self.STEP, lambda *args, **kwargs: None)

        loader.exec_module = exec_module
        return spec


if "gradio.component_meta" not in sys.modules:
    sys.meta_path.insert(0, _NoStubWriting())

from qa import QAError, digest, followup, memo, render  # noqa: E402
from qa.memo import Quote  # noqa: E402
from qa.config import Settings  # noqa: E402
from qa.errors import ConfigError  # noqa: E402
from qa.corpus import display_date  # noqa: E402

MAX_QUESTION_CHARS = 1000
CONCURRENCY = 4  # searches at once; the rest wait in the queue
LOOPBACK = ("127.0.0.1", "localhost", "::1")
# The app takes no files; Gradio's upload route still exists, so it is held to a token size.
MAX_UPLOAD = "10kb"
# Longest question echoed back in an API error.
ECHO_CHARS = 200
MAX_EXPORTS = 100  # export files kept at once (the oldest go first)

CSS = """
.qa-summary { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 6px 10px; margin-bottom: 8px; }
.qa-summary ul { margin: 4px 0 0 0; padding-left: 18px; } .qa-ref { color: #2f6db5; font-weight: 600; }
.qa-changes { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 6px 10px; margin-bottom: 8px; }
.qa-change { margin: 8px 0; } .qa-change ins { background: #dcfce7; text-decoration: none; }
.qa-change del { background: #fee2e2; color: #7f1d1d; } .qa-cite { font-size: 0.8em; color: #6b7280; }
.qa-counted { color: #6b7280; font-size: 0.85em; cursor: help; }
.qa-counted-note { color: #6b7280; font-size: 0.85em; font-style: italic; }
.qa-card { border: 1px solid var(--border-color-primary); border-left: 4px solid #2f6db5; border-radius: 8px;
           padding: 10px 14px; margin: 10px 0 2px 0; background: var(--background-fill-primary); }
.qa-head { font-size: 0.92em; margin-bottom: 2px; }
.qa-lead { margin: 6px 0 2px 0; }
.qa-title { font-size: 0.85em; color: var(--body-text-color-subdued); margin-bottom: 6px; }
.qa-text { line-height: 1.5; margin-top: 4px; }
.qa-answer { line-height: 1.5; background: #fff7cc; border-radius: 4px; padding: 4px 8px; }
.qa-snippet { line-height: 1.5; color: var(--body-text-color-subdued); }
.qa-full summary { cursor: pointer; font-size: 0.85em; color: #2f6db5; margin-top: 4px; }
#qa-chat pre, #qa-chat pre code { white-space: pre-wrap !important; word-break: break-word; }
.qa-text mark, .qa-marked mark { background: #fff3b0; color: inherit; padding: 0 2px; border-radius: 2px; }
.qa-badge { display: inline-block; font-size: 0.75em; font-weight: 600; padding: 1px 7px; border-radius: 10px;
            margin-right: 4px; vertical-align: 1px; }
.qa-official { background: #e3eefb; color: #1d4f8f; }
.qa-news { background: #fdecd8; color: #8a4b08; }
.qa-nomatch { background: #eee; color: #555; }
.qa-rank { color: var(--body-text-color-subdued); font-size: 0.85em; float: right; }
.qa-note { font-size: 0.85em; color: var(--body-text-color-subdued); }
.qa-caveat { color: var(--body-text-color); }
.qa-source { max-height: 560px; overflow-y: auto; padding-right: 6px; }
.qa-para { line-height: 1.5; }
.qa-num { font-weight: 600; color: var(--body-text-color-subdued); }
.qa-marked { background: #fff7cc; border-left: 4px solid #e0b400; padding: 6px 10px; border-radius: 4px; }
.qa-preamble, .qa-url { font-style: italic; font-size: 0.85em; color: var(--body-text-color-subdued); }
/* Secondary text at a readable contrast (the theme's subdued grey is 2.4:1 on the cards); a
   caveat keeps the body's colour. */
.qa-title, .qa-rank, .qa-note:not(.qa-caveat), .qa-snippet, .qa-num, .qa-preamble, .qa-url { color: #4b5563; }
.dark .qa-title, .dark .qa-rank, .dark .qa-note:not(.qa-caveat), .dark .qa-snippet, .dark .qa-num,
.dark .qa-preamble, .dark .qa-url { color: #d1d5db; }
/* Gradio's "scroll down" arrow floats over the first card's citation; an answer opens at its top. */
#qa-chat .scroll-down-button-container { display: none !important; }
/* Its clear button sits at the chat's top right: a question's bubble stops short of it. */
#qa-chat .bubble.user-row { margin-right: 34px !important; }
/* A phone: a shorter introduction, a taller chat, and answers the chat's full width. */
@media (max-width: 640px) {
  #qa-intro .prose, #qa-intro p { font-size: 12.5px !important; line-height: 1.45; }
  #qa-chat { height: max(320px, calc(100vh - 330px)) !important; }
  #qa-chat .bubble.bot-row { margin: 6px 2px !important; max-width: 100% !important; }
  #qa-chat .message { padding: 6px !important; }
  .qa-card { padding: 8px 10px; }
  .qa-lead { font-size: 0.85em; }
}
"""
# After an answer, show it from its top: the question, then the best paragraph first.
SHOW_ANSWER_JS = """
() => { setTimeout(() => {
  const rows = document.querySelectorAll('#qa-chat .user-row');
  const wrap = document.querySelector('#qa-chat .bubble-wrap');
  if (rows.length && wrap) wrap.scrollTop = rows[rows.length - 1].offsetTop - wrap.offsetTop - 8;
}, 80); }
"""
# Run once on page load. Gradio labels each chat message for screen readers with its raw content,
# which for an answer is HTML markup; the label becomes the text a reader would see instead.
# Where "In brief" or "How it changed" would fill most of the chat's view (a phone, a small window),
# it starts folded, so that the first card shows without scrolling.
PAGE_JS = """
() => {
  const LABEL = 400;  // characters of a message read out as its label
  const BRIEF_SHARE = 0.4;  // "In brief" or "How it changed" taller than this share of the chat's view starts folded
  let retries = 0;
  const tidy = () => {
    let later = false;
    for (const el of document.querySelectorAll('#qa-chat [aria-label]')) {
      const label = el.getAttribute('aria-label');
      const raw = label.match(/^(user|bot)'s message: /);
      if (raw) el.dataset.qaRole = raw[1] === 'user' ? 'Question' : 'Answer';
      if (!el.dataset.qaRole) continue;
      const size = String(el.textContent.length);  // cheap: the label is remade only when the message changed
      if (!raw && el.dataset.qaSize === size) continue;
      el.dataset.qaSize = size;
      let text = el.innerText.replace(/\\s+/g, ' ').trim();
      if (text.length > LABEL) text = text.slice(0, LABEL) + '…';
      const wanted = el.dataset.qaRole + ': ' + text;
      if (label !== wanted) el.setAttribute('aria-label', wanted);
    }
    for (const d of document.querySelectorAll('#qa-chat details.qa-summary:not([data-qa-seen]), '
                                              + '#qa-chat details.qa-changes:not([data-qa-seen])')) {
      const wrap = d.closest('.bubble-wrap');
      if (!wrap || !d.offsetHeight) { later = true; continue; }  // not laid out yet
      d.dataset.qaSeen = '1';
      if (d.offsetHeight > wrap.clientHeight * BRIEF_SHARE) d.open = false;
    }
    if (later && retries++ < 50) setTimeout(tidy, 100);
  };
  let queued = false;
  new MutationObserver(() => { if (!queued) { queued = true; requestAnimationFrame(() => { queued = false; tidy(); }); } })
    .observe(document.body, {subtree: true, childList: true, attributes: true, attributeFilter: ['aria-label']});
}
"""
# Scroll the source view to the marked paragraph whenever it changes.
# Only the source panel scrolls (scrollIntoView would scroll the whole page away from the answer).
SCROLL_JS = """
() => { const el = document.querySelector('.qa-marked'); if (!el) return;
  let box = el.parentElement;
  while (box && box !== document.body && !(box.scrollHeight > box.clientHeight + 1 &&
         ['auto', 'scroll'].includes(getComputedStyle(box).overflowY))) box = box.parentElement;
  if (box && box !== document.body)
    box.scrollTop += el.getBoundingClientRect().top - box.getBoundingClientRect().top - box.clientHeight / 3; }
"""


def searched_answer(engine, follow_ups, question, k, doc_ids, since, until, official_only, previous):
    """The answer to a chat or API question (a ``qa.digest.Digest``: hits, brief, changes over time),
    the text searched for (a follow-up joins the one before it), and the documents a follow-up kept
    the search to, as "Kuwait City 2018" (or ""). Wrong types reach the engine, whose errors name
    the argument."""
    question = question.strip() if isinstance(question, str) else question
    searched = question
    if previous is not None and isinstance(question, str):
        searched = follow_ups.contextualize(question, previous)
    if isinstance(k, float) and k.is_integer():  # the slider sends 5.0
        k = int(k)
    joined = searched != question
    # A follow-up that only names documents ("and in the Kuwait statement?") asks the question
    # before of them: its search is kept to them (within any documents the user picked).
    named = followup.scope(engine.parse(question), engine.collection.documents) if joined else frozenset()
    chosen = set(doc_ids or ()) if named and isinstance(doc_ids, (list, tuple, type(None))) else None
    if chosen is not None and (not chosen or chosen & named):
        doc_ids = sorted(chosen & named if chosen else named)
    filters = engine.filters(doc_ids or (), since or None, until or None, ("official",) if official_only else ())
    topic = question if joined else None  # a follow-up is judged on its own topic
    result = digest.ask(engine, searched, k=k, filters=filters, topic=topic)
    kept = ""
    if named and doc_ids and set(doc_ids) <= named:
        kept = ", ".join(f"{d.place} {d.date[:4]}" for d in engine.collection.documents_in(doc_ids))
    return result, searched, kept


def api_answer(engine, question, k=5, doc_ids=None, since="", until="", official_only=False) -> dict:
    """The API's answer: the JSON of `python -m qa ask --json` (hits, and the brief and changes over
    time as the page shows them), or {"question", "error"} for bad input."""
    try:
        answer, _, _ = searched_answer(engine, None, question, k, doc_ids, since, until, official_only, None)
        return answer.to_json()
    except QAError as exc:
        return {"question": echo(question), "error": str(exc)}


def echo(value) -> str:
    """A user's value as an error may repeat it: a huge one is not sent back whole."""
    shown = value if isinstance(value, str) else repr(value)
    if len(shown) > ECHO_CHARS:
        shown = shown[:ECHO_CHARS] + f"… ({len(shown)} characters)"
    return shown


def serve_one_thread_per_search() -> None:
    """Numeric libraries to one thread each from now on: many searches run at once in a server,
    and two-thread math in each of them fights over the same two cores. Measured with
    scripts/loadcheck.py, 20 clients x 5 questions: 15.9 requests/s, p95 2.5 s with the libraries'
    own threads; 32.8 requests/s, p95 0.8 s with one (and one user's p50 108 -> 75 ms).

    BLAS (numpy's) takes the limit for the whole process. OpenMP keeps a thread count per thread,
    so the limit holds in this one: threads started later, such as the one that embeds every
    search's question for e5 (``qa.batch``), keep OpenMP's two. That is the faster way: with e5 at
    one thread (``OMP_NUM_THREADS=1``) the server used less time per question (26 against 32 ms
    of CPU) but e5's thread became the queue, and 20 x 5's p95 rose (median of 8 runs each, side
    by side: 527 against 429 ms)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)


def warm_up(engine) -> None:
    """Ask the page's examples (at most three) before the server listens: what a search reads once
    (word tables, the model's first calls) is then read, so the first user's question does not
    wait for it (the first two searches of a fresh engine took 68 and 107 ms, later ones 28-36),
    and the examples, the likeliest first questions, are answered at once. The language identifier
    (qa/language.py), which only some questions need, is loaded beside them."""
    import threading

    from qa import language

    threading.Thread(target=language.warm, name="warm-language", daemon=True).start()
    for question in engine.collection.examples[:3] or ("what was agreed?",):
        try:
            engine.search(question, k=5)
        except QAError:
            pass  # a bad example is the page's to show, when a user asks it


def add_json_route(demo, engine, logins: list[tuple[str, str]]) -> None:
    """``GET/POST /api/ask``: the API's answer as plain JSON, for scripts, beside Gradio's own API.

    A request costs the search and little else (no queue, no event stream): under load most of a
    Gradio API call's time is its protocol. Parameters as ``/ask``'s: ``question``, ``k``,
    ``doc_ids`` (repeat, or a JSON list), ``since``, ``until``, ``official_only``. With logins set,
    it takes the same ones by HTTP Basic authentication.
    """
    import base64
    import hmac

    from fastapi import Request
    from fastapi.responses import JSONResponse
    from starlette.concurrency import run_in_threadpool
    from starlette.routing import Route

    def allowed(request) -> bool:
        if not logins:
            return True
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        try:
            user, _, password = base64.b64decode(value).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return scheme.lower() == "basic" and any(
            hmac.compare_digest(user, u) and hmac.compare_digest(password, p) for u, p in logins)

    async def ask(request: Request):
        if not allowed(request):
            return JSONResponse({"error": "sign in: this app requires a login (HTTP Basic)"}, status_code=401,
                                headers={"WWW-Authenticate": 'Basic realm="Coalition QA"'})
        if request.method == "POST":
            try:
                params = await request.json()
            except ValueError:
                return JSONResponse({"error": "the body is not JSON; send {\"question\": \"...\", \"k\": 5}"},
                                    status_code=400)
            if not isinstance(params, dict):
                return JSONResponse({"error": "the body must be a JSON object with a question"}, status_code=400)
        else:
            query = request.query_params
            params = {key: query.get(key) for key in ("question", "since", "until") if key in query}
            if "k" in query:
                params["k"] = int(query["k"]) if query["k"].isdigit() else query["k"]
            if "doc_ids" in query:
                params["doc_ids"] = query.getlist("doc_ids")
            if "official_only" in query:
                params["official_only"] = query["official_only"].lower() in ("1", "true", "yes")
        known = {"question", "k", "doc_ids", "since", "until", "official_only"}
        unknown = sorted(set(params if request.method == "POST" else request.query_params.keys()) - known)
        if unknown:
            return JSONResponse({"error": f"unknown parameter(s) {', '.join(unknown)}; use {', '.join(sorted(known))}"},
                                status_code=400)
        answer = await run_in_threadpool(api_answer, engine, params.get("question", ""),
                                         **{k: v for k, v in params.items() if k != "question"})
        return JSONResponse(answer, status_code=400 if "error" in answer else 200)

    # First, so that Gradio's catch-all routes do not take the path.
    demo.app.router.routes.insert(0, Route("/api/ask", ask, methods=["GET", "POST"]))


def basket_html(items) -> str:
    """The basket as the page shows it: each kept quote, numbered, with its citation."""
    if not items:
        return "<p class='qa-basket-empty'>Tick paragraphs of an answer and add them; they stay here across questions.</p>"
    rows = "".join(f"<li><q>{html.escape(q.quote)}</q><br><span class='qa-cite'>{html.escape(q.citation)}</span></li>"
                   for q in items)
    return f"<ol class='qa-basket-list'>{rows}</ol>"


def holdings(collection) -> str:
    """What the collection holds, as the page's first line says it: its own description
    (``[collection] description`` in documents.toml), else the statements of the issuer every
    document shares, else "the documents of this collection"."""
    if collection.about:
        return collection.about
    issuers = {d.issuer for d in collection.documents if d.source_type != "news"}
    return f"the statements of {issuers.pop()}" if len(issuers) == 1 else "the documents of this collection"


def build_app(engine):
    """The Gradio Blocks app over a loaded engine."""
    import gradio as gr

    from qa.followup import FollowUps

    collection = engine.collection
    exports = tempfile.mkdtemp(prefix="coalition-qa-exports-")
    atexit.register(shutil.rmtree, exports, True)
    follow_ups = FollowUps(engine.profile, engine.intent.places())
    doc_choices = [(f"{d.place}, {d.display_date} — {d.title}{' (news)' if d.source_type == 'news' else ''}", d.id)
                   for d in collection.documents]

    def save_export(stem: str, text: str, kind: str, write=None) -> str:
        """Write an export into the app's one export folder (removed when it stops): a file per
        distinct content, the oldest pruned, so exporting again and again leaves nothing behind."""
        path = os.path.join(exports, f"{stem}-{hashlib.sha256(text.encode()).hexdigest()[:12]}.{kind}")
        if write is None:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
        else:
            write(path)
        kept = sorted(os.scandir(exports), key=lambda e: e.stat().st_mtime)
        for old in kept[:-MAX_EXPORTS]:
            os.unlink(old.path)
        return path

    def hit_choice(h, label: str = "") -> tuple[str, str]:
        """A hit as a choice in a list: "#1 Rome, 28 June 2021, para 7", valued "rome-2021#7"."""
        return f"#{h.rank} {h.place}, {display_date(h.date)}, para {h.paragraph}{label}", f"{h.doc_id}#{h.paragraph}"

    def search(question, k, doc_ids, since, until, official_only, previous):
        """The chat's search: see searched_answer."""
        return searched_answer(engine, follow_ups, question, k, doc_ids, since, until, official_only, previous)

    def chat(question, history, k, doc_ids, since, until, official_only, previous, as_typed):
        """One turn: the answer appended to the history. Returns the history, the cleared box, the
        follow-up context, the answer, the paragraph picker, the "edit what was searched" button,
        the text searched and the edit note. ``as_typed``: search the question as it is written,
        not joined to the one before (after "edit what was searched")."""
        history = list(history or [])
        previous = list(previous or [])
        shown = (question or "").strip()
        unchanged = (history, gr.update(), previous, None, gr.update(), gr.update(visible=False), "",
                     gr.update(visible=False))
        if not shown:
            return unchanged
        if len(shown) > MAX_QUESTION_CHARS:
            history += [{"role": "user", "content": render.question_message(shown[:200] + "…")},
                        {"role": "assistant", "content": render.error_message(
                            f"That question is {len(shown)} characters long; please keep it under "
                            f"{MAX_QUESTION_CHARS} and ask about one thing at a time.")}]
            return (history, "", *unchanged[2:])
        history.append({"role": "user", "content": render.question_message(shown)})
        try:
            result, searched, kept = search(shown, k, doc_ids, since, until, official_only,
                                            None if as_typed else previous)
        except QAError as exc:
            history.append({"role": "assistant", "content": render.error_message(str(exc))})
            return (history, "", *unchanged[2:])
        except Exception as exc:  # never a traceback in the chat; the server log keeps it
            traceback.print_exc()
            history.append({"role": "assistant", "content": render.error_message(
                f"Something went wrong while searching ({type(exc).__name__}). The app is still running; try again.")})
            return (history, "", *unchanged[2:])
        answer, joined = result.answer, searched != shown
        # Say what was searched when a follow-up was joined to the question before it.
        note = f"{searched} (in {kept} only)" if kept else searched
        history.append({"role": "assistant", "content": render.answer_message(
            answer, note if joined else None, result.changes, result.left_out)})
        # The context a next follow-up joins is the last question that stood alone, never a pile of
        # follow-ups ("and in 2019?" ten times stays one question long).
        previous.append(previous[-1] if joined else shown)
        label = "" if answer.answerable else " (not a match)"
        choices = [hit_choice(h, label) for h in answer.hits]
        first = choices[0][1] if choices and answer.answerable else None
        return (history, "", previous, answer, gr.update(choices=choices, value=first), gr.update(visible=joined),
                searched, gr.update(visible=False))

    def edit_searched(searched):
        """Put the text last searched into the box, to be edited and searched as written."""
        return searched, True, gr.update(visible=False), gr.update(visible=True)

    def show_source(choice):
        if not choice:
            return "<p>Ask a question; the statement of the first paragraph shows here with it marked.</p>"
        doc_id, _, number = choice.partition("#")
        return render.source_html(collection.document(doc_id), int(number))

    def export(answer):
        if answer is None:
            return gr.update(value="Ask a question first; its citations and quotes appear here as Markdown.",
                             visible=True), gr.update(visible=False)
        text = render.export_markdown(answer)
        return gr.update(value=text, visible=True), gr.update(value=save_export("citations", text, "md"), visible=True)

    def clear():
        return ([], [], None, gr.update(choices=[], value=None), gr.update(visible=False), gr.update(visible=False),
                gr.update(visible=False), False, gr.update(visible=False))

    def basket_api(items, kind):
        """The memo file of the items, or an error naming what to change."""
        kinds = {"markdown": "md", "md": "md", "docx": "docx", "word": "docx"}
        try:
            if str(kind).lower() not in kinds:
                raise QAError(f"kind {echo(kind)!r} is not a memo format; use \"markdown\" or \"docx\"")
            quotes = memo.quotes_of(collection, items)
        except QAError as exc:
            raise gr.Error(str(exc), print_exception=False) from None
        ext = kinds[str(kind).lower()]
        write = None if ext == "md" else (lambda path: memo.write_docx(quotes, path))
        return save_export("evidence", memo.markdown(quotes), ext, write)

    def ask(question: str, k: int = 5, doc_ids: list[str] | None = None, since: str = "", until: str = "",
            official_only: bool = False) -> dict:
        """Ask the collection; returns the same JSON as `python -m qa ask --json` (or {"question", "error"})."""
        return api_answer(engine, question, k, doc_ids, since, until, official_only)

    summary = ", ".join(d.short_name for d in collection.documents)
    with gr.Blocks(title="Coalition QA") as demo:
        gr.Markdown(
            "# Coalition QA\n"
            f"Ask {holdings(collection)}. Answers are the documents' own paragraphs, "
            f"ranked and cited, with the answering sentences highlighted. Collection: {len(collection.documents)} "
            f"documents ({summary}).",
            elem_id="qa-intro",
        )
        previous = gr.State([])
        last_answer = gr.State(None)
        last_searched = gr.State("")
        as_typed = gr.State(False)
        with gr.Row():
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(label="Answers", show_label=False, height="max(320px, calc(100vh - 380px))",
                                     sanitize_html=True, elem_id="qa-chat", autoscroll=False, buttons=["copy"],
                                     placeholder="Ask a question below. Each answer is a list of cited paragraphs.")
                with gr.Row():
                    box = gr.Textbox(placeholder=(f"e.g. {collection.examples[0]}" if collection.examples
                                                  else "Type a question about the documents"),
                                     show_label=False, scale=5, max_length=MAX_QUESTION_CHARS, elem_id="qa-question",
                                     autofocus=True)
                    send = gr.Button("Ask", variant="primary", scale=1, elem_id="qa-ask")
                with gr.Row():
                    edit_btn = gr.Button("Edit what was searched", size="sm", visible=False, elem_id="qa-edit-searched")
                    edit_note = gr.HTML("<span class='qa-note'>Edit the text above and press Ask: it is searched as "
                                        "written, not joined to the question before.</span>", visible=False,
                                        elem_id="qa-edit-note")
                if collection.examples:
                    gr.Examples(list(collection.examples), inputs=box, label="Try")
                clear_btn = gr.Button("New conversation", size="sm")
            with gr.Column(scale=2):
                with gr.Accordion("Filters", open=True):
                    k = gr.Slider(1, 10, value=5, step=1, label="Paragraphs per answer", elem_id="qa-k")
                    docs = gr.Dropdown(doc_choices, multiselect=True, label="Documents (none: all)", elem_id="qa-docs")
                    with gr.Row():
                        since = gr.Textbox(label="From (YYYY, YYYY-MM or YYYY-MM-DD)", placeholder="any date",
                                           elem_id="qa-since")
                        until = gr.Textbox(label="To (YYYY, YYYY-MM or YYYY-MM-DD)", placeholder="any date",
                                           elem_id="qa-until")
                    official = gr.Checkbox(label="Official statements only", elem_id="qa-official")
                with gr.Accordion("Show in document", open=True):
                    pick = gr.Dropdown([], label="Paragraph", elem_id="qa-pick")
                    source = gr.HTML(show_source(None), elem_id="qa-source")
                with gr.Accordion("Export for a memo", open=True):
                    export_btn = gr.Button("Export citations as Markdown", elem_id="qa-export")
                    export_text = gr.Code(language="markdown", visible=False, label="Markdown", elem_id="qa-export-text",
                                          wrap_lines=True)
                    export_file = gr.File(visible=False, label="Download")
                with gr.Accordion("Evidence basket", open=True):
                    basket = gr.State([])
                    keep = gr.CheckboxGroup([], label="Keep paragraphs of this answer", elem_id="qa-keep")
                    keep_btn = gr.Button("Add to basket", size="sm", elem_id="qa-keep-add")
                    basket_view = gr.HTML(basket_html([]), elem_id="qa-basket")
                    with gr.Row():
                        item = gr.Dropdown([], label="Item", elem_id="qa-basket-item", scale=3)
                        up_btn = gr.Button("Move up", size="sm", elem_id="qa-basket-up", scale=1)
                        drop_btn = gr.Button("Remove", size="sm", elem_id="qa-basket-remove", scale=1)
                    with gr.Row():
                        basket_md = gr.Button("Basket as Markdown", size="sm", elem_id="qa-basket-md")
                        basket_word = gr.Button("Basket as Word", size="sm", elem_id="qa-basket-docx")
                    basket_file = gr.File(visible=False, label="Download", elem_id="qa-basket-file")

        inputs = [box, chatbot, k, docs, since, until, official, previous, as_typed]
        outputs = [chatbot, box, previous, last_answer, pick, edit_btn, last_searched, edit_note]
        def hide_export():  # an export belongs to the answer it was made from; a new answer hides it
            return gr.update(visible=False), gr.update(visible=False)

        for event in (box.submit, send.click):
            event(chat, inputs, outputs, api_visibility="private", concurrency_limit=CONCURRENCY).then(
                lambda: False, None, as_typed, api_visibility="private").then(
                hide_export, None, [export_text, export_file], api_visibility="private").then(None, js=SHOW_ANSWER_JS)
        edit_btn.click(edit_searched, last_searched, [box, as_typed, edit_btn, edit_note], api_visibility="private").then(
            None, js="() => { const t = document.querySelector('#qa-question textarea'); if (t) { t.focus(); "
                     "t.setSelectionRange(t.value.length, t.value.length); } }")
        pick.change(show_source, pick, source, api_visibility="private").then(None, js=SCROLL_JS)

        def keep_choices(answer):
            hits = answer.hits if answer is not None and answer.answerable else ()
            return gr.update(choices=[hit_choice(h) for h in hits], value=[])

        def basket_update(items, selected=None):
            labels = [(f"{i}. {q.citation}", q.key) for i, q in enumerate(items, start=1)]
            keys = [key for _, key in labels]
            value = selected if selected in keys else (keys[0] if keys else None)
            return items, basket_html(items), gr.update(choices=labels, value=value)

        def add_kept(answer, chosen, items):
            items = list(items or [])
            have = {q.key for q in items}
            for hit in (answer.hits if answer is not None else ()):
                q = Quote.of(hit)
                if q.key in chosen and q.key not in have:
                    items.append(q)
                    have.add(q.key)
            return (*basket_update(items), gr.update(value=[]))

        def move_up(items, key):
            items = list(items or [])
            i = next((n for n, q in enumerate(items) if q.key == key), None)
            if i:
                items[i - 1], items[i] = items[i], items[i - 1]
            return basket_update(items, key)

        def remove(items, key):
            return basket_update([q for q in (items or []) if q.key != key])

        def basket_file_of(items, kind):
            if not items:
                return gr.update(visible=False)
            write = None if kind == "md" else (lambda path: memo.write_docx(items, path))
            return gr.update(value=save_export("evidence", memo.markdown(items), kind, write), visible=True)

        last_answer.change(keep_choices, last_answer, keep, api_visibility="private")
        keep_btn.click(add_kept, [last_answer, keep, basket], [basket, basket_view, item, keep], api_visibility="private")
        up_btn.click(move_up, [basket, item], [basket, basket_view, item], api_visibility="private")
        drop_btn.click(remove, [basket, item], [basket, basket_view, item], api_visibility="private")
        basket_md.click(lambda items: basket_file_of(items, "md"), basket, basket_file, api_visibility="private")
        basket_word.click(lambda items: basket_file_of(items, "docx"), basket, basket_file, api_visibility="private")
        export_btn.click(export, last_answer, [export_text, export_file], api_visibility="private")
        clear_btn.click(clear, None, [chatbot, previous, last_answer, pick, export_text, export_file, edit_btn, as_typed,
                                      edit_note], api_visibility="private")
        gr.api(ask, api_name="ask", concurrency_limit=CONCURRENCY)

        # The basket for scripts: hits of /ask answers (or "doc-id#para") in, a Markdown or Word memo out.
        with gr.Column(visible=False):
            api_items = gr.JSON(label="items")
            api_kind = gr.Textbox("markdown", label="kind")
            api_memo = gr.File(label="memo")
            api_trigger = gr.Button()
        api_trigger.click(basket_api, [api_items, api_kind], api_memo, api_name="basket", api_visibility="public",
                          api_description="A memo of quotes: items are hits of /ask answers or \"doc-id#para\" "
                                          "strings, in the memo's order; kind is \"markdown\" or \"docx\".")
    return demo


def read_logins(values: list[str], path: str | None) -> list[tuple[str, str]]:
    """user:password pairs from --auth values and an --auth-file (one per line, # comments).

    Raises:
        ConfigError: naming the entry that is not user:password, or the unreadable file.
    """
    entries = list(values)
    if path:
        try:
            entries += [line.strip() for line in open(path, encoding="utf-8") if line.strip()
                        and not line.lstrip().startswith("#")]
        except OSError as exc:
            raise ConfigError(f"--auth-file {path!r} cannot be read ({exc.strerror}); give a file of user:password "
                              f"lines") from None
    logins = []
    for entry in entries:
        user, sep, password = entry.partition(":")
        if not sep or not user.strip() or not password:
            shown = user.strip() or "(empty)"
            raise ConfigError(f"login {shown!r} is not user:password; write it as --auth analyst:a-long-passphrase")
        logins.append((user.strip(), password))
    return logins


def check_port_free(host: str, port: int) -> None:
    """Refuse a port another program listens on before anything is loaded (Gradio would fail only
    after the engine's loading, with a traceback).

    The probe reuses the address as the server will (uvicorn sets SO_REUSEADDR): connections of an
    app just stopped linger for a minute in TIME_WAIT, and a restart must not be refused for them.
    """
    import socket

    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ConfigError(f"cannot listen on {host}:{port} ({exc.strerror}): another program, perhaps this app, "
                              f"is using it; stop it, or choose another port with --port or QA_PORT") from None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Coalition QA web chat")
    parser.add_argument("--host", default=os.environ.get("QA_HOST", "127.0.0.1"),
                        help="address to listen on (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("QA_PORT", "7860")), help="port")
    parser.add_argument("--auth", action="append", default=[], metavar="USER:PASSWORD",
                        help="require this login (repeat for more users); QA_AUTH works too")
    parser.add_argument("--auth-file", default=os.environ.get("QA_AUTH_FILE"), metavar="FILE",
                        help="require a login from this file of user:password lines")
    parser.add_argument("--insecure", action="store_true",
                        help="listen on a non-loopback address without a login (anyone who can reach it can use it)")
    args = parser.parse_args(argv)
    try:
        logins = read_logins(args.auth + ([os.environ["QA_AUTH"]] if os.environ.get("QA_AUTH") else []), args.auth_file)
        if args.host not in LOOPBACK and not logins and not args.insecure:
            raise ConfigError(f"refusing to listen on {args.host} without a login: anyone who can reach it could use "
                              f"it. Give --auth user:password (or --auth-file FILE), or --insecure to accept that")
        check_port_free(args.host, args.port)
        from qa.pipeline import Engine

        print("Loading the model and the index (the first start builds the index)...", flush=True)
        engine = Engine.load(Settings.from_env(), progress=True, skip_bad=True).batching()
        serve_one_thread_per_search()
        warm_up(engine)
    except QAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    import gradio as gr

    demo = build_app(engine)
    demo.queue(max_size=256, default_concurrency_limit=CONCURRENCY)
    demo.launch(server_name=args.host, server_port=args.port, share=False, inbrowser=False, quiet=True, css=CSS,
                theme=gr.themes.Soft(font=["system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"]),
                footer_links=["api"], auth=logins or None, auth_message="Coalition QA: sign in to ask questions.",
                max_file_size=MAX_UPLOAD, prevent_thread_lock=True, js=PAGE_JS)
    add_json_route(demo, engine, logins)
    print(f"Coalition QA is ready: http://{args.host}:{args.port}" + (" (login required)" if logins else ""),
          flush=True)
    demo.block_thread()
    return 0


if __name__ == "__main__":
    sys.exit(main())
