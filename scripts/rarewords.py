"""Questions a collection writes for itself: each word only one paragraph uses, asked about.

    .venv/bin/python scripts/rarewords.py [--corpus corpus --index index] [--sample 80 --seed 0]

For a sample of the words (six letters or more) whose BM25 term occurs in exactly one paragraph,
it asks "What did the Coalition say about <word>?" (``--frame`` changes it) and "<word>" alone,
taking that paragraph as the one answer, and prints for each form how often it comes first, how
often it is in the top 5, and how often the question is answered at all. No written questions
are needed, so it runs on any collection, and no one's wording is fitted: a change that helps
only the eval sets' questions shows no gain here.

Many such words name no topic ("however", "either"), so the figures are for comparing two
versions side by side on the same sample, not a quality score; ``--misses`` lists the framed
questions whose paragraph was not first.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", default=None, help="corpus folder (default: the configured one)")
    parser.add_argument("--index", default=None, help="index folder (default: the configured one)")
    parser.add_argument("--sample", type=int, default=80, help="how many words (default 80)")
    parser.add_argument("--seed", type=int, default=0, help="which sample (default 0)")
    parser.add_argument("--frame", default="What did the Coalition say about {}?",
                        help="the framed question, with {} for the word")
    parser.add_argument("--misses", action="store_true", help="list the framed questions missed")
    args = parser.parse_args(argv)
    if "{}" not in args.frame:
        parser.error(f"--frame {args.frame!r} has no {{}} for the word; e.g. 'What was said about {{}}?'")

    from qa.config import Settings
    from qa.pipeline import Engine

    settings = Settings.from_env(corpus_dir=args.corpus, index_dir=args.index)
    engine = Engine.load(settings, progress=False, log=lambda message: None)
    where: dict[str, set[tuple[str, int]]] = {}
    spelling: dict[str, str] = {}
    for doc, para in engine.paragraphs.values():
        for word in set(re.findall(r"\b[A-Za-z][a-z]{5,}\b", para.text)):
            for term in engine.analyzer.terms(word):
                where.setdefault(term, set()).add((doc.id, para.number))
                spelling.setdefault(term, word.lower())
    once = sorted((spelling[t], next(iter(ps))) for t, ps in where.items() if len(ps) == 1)
    sample = random.Random(args.seed).sample(once, min(args.sample, len(once)))

    forms = {"framed": args.frame, "bare": "{}"}
    counts = {name: {"first": 0, "top 5": 0, "answered": 0} for name in forms}
    for word, answer in sample:
        for name, form in forms.items():
            found = engine.search(form.format(word), 5)
            got = [(h.doc_id, h.paragraph) for h in found.hits]
            counts[name]["first"] += got[:1] == [answer]
            counts[name]["top 5"] += answer in got
            counts[name]["answered"] += found.answerable
            if args.misses and name == "framed" and got[:1] != [answer]:
                rank = got.index(answer) + 1 if answer in got else "-"
                print(f"missed: {form.format(word)!r} wants {answer[0]} para {answer[1]}, at rank {rank}")
    print(f"{len(sample)} words used by one paragraph each ({len(once)} in all), seed {args.seed}")
    print(f"{'form':8} {'first':>6} {'top 5':>6} {'answered':>9}")
    for name, row in counts.items():
        print(f"{name:8} {row['first']:6d} {row['top 5']:6d} {row['answered']:9d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
