"""Load check for a running web chat: many clients at once, each asking several questions.

    .venv/bin/python scripts/loadcheck.py --url http://127.0.0.1:7860/ --clients 20 --questions 5

Prints the number of errors and the round-trip p50 / p95 in milliseconds. Not a timed test: it
reports figures; it fails (exit 1) only when a request errs. Traffic goes to the URL given, which
should be this machine's own app (127.0.0.1).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import statistics
import sys
import time

QUESTIONS = [
    "what did the Coalition say about detainees in northeast Syria?",
    "how is ISIS financing being disrupted?",
    "what did the 2019 statement say about foreign terrorist fighters?",
    "kids forced to fight",
    "what was the football score last night?",
    "In the Rome communiqué, what about Africa?",
    "police training in Iraq",
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:7860/")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--questions", type=int, default=5)
    args = parser.parse_args()
    from gradio_client import Client

    def user(n: int):
        client = Client(args.url, verbose=False)
        out = []
        for i in range(args.questions):
            question = QUESTIONS[(n + i) % len(QUESTIONS)]
            start = time.perf_counter()
            try:
                result = client.predict(question=question, api_name="/ask")
                ok = "hits" in result
            except Exception as exc:  # count every failure, whatever it is
                ok, result = False, exc
            out.append((time.perf_counter() - start, ok, result))
        return out

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.clients) as pool:
        rows = [r for batch in pool.map(user, range(args.clients)) for r in batch]
    wall = time.perf_counter() - started
    times = sorted(t for t, _, _ in rows)
    errors = [r for _, ok, r in rows if not ok]
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    print(f"{args.clients} clients x {args.questions} questions = {len(rows)} requests in {wall:.1f} s; "
          f"errors: {len(errors)}")
    print(f"round trip p50 {statistics.median(times) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms")
    for err in errors[:5]:
        print(f"  error: {err!r}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
