"""Load check for a running web chat: many clients at once, each asking several questions.

    .venv/bin/python scripts/loadcheck.py --url http://127.0.0.1:7860/ --runs 1x5 20x5 50x20 --breakdown

Each run is CLIENTSxQUESTIONS: that many clients at once, each asking its questions one after
another, through the plain JSON route (``/api/ask``, default) or Gradio's API (``--route gradio``:
``/ask`` through gradio_client, whose client alone takes half of a two-core machine's time). Prints a table: requests, errors, requests per second and
the round-trip p50 / p95 in milliseconds. With ``--breakdown`` it also times, in this process on
the same index, the search alone and the search with its JSON answer, one at a time: the round
trip of one client minus those is transport and Gradio; what more clients add is waiting.

Not a timed test: it reports figures; it fails (exit 1) only when a request errs. Traffic goes to
the URL given, which should be this machine's own app (127.0.0.1).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import sys
import time
from pathlib import Path

ROOT = str(Path(__file__).resolve().parent.parent)  # the checkout: app.py and qa, for --breakdown

QUESTIONS = [
    "what did the Coalition say about detainees in northeast Syria?",
    "how is ISIS financing being disrupted?",
    "what did the 2019 statement say about foreign terrorist fighters?",
    "kids forced to fight",
    "what was the football score last night?",
    "In the Rome communiqué, what about Africa?",
    "police training in Iraq",
]


def _p(times: list[float], share: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] * 1000


def _json_client(url: str):
    """A client of the plain JSON route (``/api/ask``): one HTTP request per question."""
    import json
    import urllib.request

    def ask(question: str) -> dict:
        request = urllib.request.Request(url.rstrip("/") + "/api/ask", data=json.dumps({"question": question}).encode(),
                                         headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.loads(response.read())

    return ask


def _gradio_client(url: str):
    """A client of Gradio's API (``/ask`` through gradio_client: its queue and event stream)."""
    from gradio_client import Client

    client = Client(url, verbose=False)
    return lambda question: client.predict(question=question, api_name="/ask")


def run(url: str, clients: int, questions: int, route: str = "json") -> dict:
    """One run: the clients at once, each asking its questions in turn."""

    def user(n: int):
        ask = (_json_client if route == "json" else _gradio_client)(url)
        out = []
        for i in range(questions):
            question = QUESTIONS[(n + i) % len(QUESTIONS)]
            start = time.perf_counter()
            try:
                result = ask(question)
                ok = "hits" in result
            except Exception as exc:  # count every failure, whatever it is
                ok, result = False, exc
            out.append((time.perf_counter() - start, ok, result))
        return out

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=clients) as pool:
        rows = [r for batch in pool.map(user, range(clients)) for r in batch]
    wall = time.perf_counter() - started
    times = [t for t, _, _ in rows]
    return {"run": f"{clients} x {questions}", "requests": len(rows), "errors": [r for _, ok, r in rows if not ok],
            "rate": len(rows) / wall, "p50": _p(times, 0.5), "p95": _p(times, 0.95)}


def _on_path() -> None:
    if ROOT not in sys.path:
        sys.path.insert(0, ROOT)


def breakdown(repeat: int = 3) -> dict:
    """The search alone, and with its JSON answer (what /ask returns), one at a time, in this process."""
    _on_path()
    import app
    from qa.pipeline import Engine

    engine = Engine.load(rebuild="never", progress=False)
    for q in QUESTIONS:
        app.api_answer(engine, q)  # warm up
    search, answer = [], []
    for _ in range(repeat):
        for q in QUESTIONS:
            start = time.perf_counter()
            engine.search(q, k=5)
            search.append(time.perf_counter() - start)
            start = time.perf_counter()
            app.api_answer(engine, q)
            answer.append(time.perf_counter() - start)
    return {"search": _p(search, 0.5), "answer": _p(answer, 0.5)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:7860/")
    parser.add_argument("--runs", nargs="+", default=["1x5", "20x5", "50x20"], metavar="CLIENTSxQUESTIONS",
                        help="runs to make, in turn (default 1x5 20x5 50x20)")
    parser.add_argument("--route", choices=("json", "gradio"), default="json",
                        help="json: the plain /api/ask route (default); gradio: Gradio's /ask through gradio_client")
    parser.add_argument("--breakdown", action="store_true",
                        help="also time the search alone in this process (loads the index: run it on the app's machine)")
    args = parser.parse_args()
    runs = []
    for spec in args.runs:
        clients, _, questions = spec.partition("x")
        if not (clients.isdigit() and questions.isdigit() and int(clients) > 0 and int(questions) > 0):
            print(f"error: run {spec!r} is not CLIENTSxQUESTIONS, e.g. 20x5", file=sys.stderr)
            return 2
        runs.append(run(args.url, int(clients), int(questions), args.route))
    print(f"{'clients x questions':<22}{'requests':>9}{'errors':>8}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}")
    for r in runs:
        print(f"{r['run']:<22}{r['requests']:>9}{len(r['errors']):>8}{r['rate']:>8.1f}{r['p50']:>9.0f}{r['p95']:>9.0f}")
    if args.breakdown:
        _on_path()
        from qa.errors import QAError

        try:
            b = breakdown()
        except QAError as exc:  # the index here is not one the search can use: say so, keep the table
            print(f"\nerror: no breakdown: {exc}", file=sys.stderr)
            return 2
        print(f"\none at a time in this process: search p50 {b['search']:.0f} ms, search and JSON answer p50 "
              f"{b['answer']:.0f} ms; the rest of one client's round trip is transport and Gradio, and what more "
              f"clients add to it is waiting for a turn")
    errors = [e for r in runs for e in r["errors"]]
    for err in errors[:5]:
        print(f"  error: {err!r}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
