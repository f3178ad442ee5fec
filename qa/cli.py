"""Command line: ``python -m qa COMMAND``. A thin shell: parse, call the library, render."""

from __future__ import annotations

import argparse
import json
import sys

from qa.config import Settings
from qa.errors import QAError


def _cmd_corpus(args: argparse.Namespace, settings: Settings) -> int:
    from qa.corpus import load_collection

    collection = load_collection(settings.corpus_dir)
    for warning in collection.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.json:
        for doc, para in collection.paragraphs():
            row = {
                "doc_id": doc.id,
                "title": doc.title,
                "place": doc.place,
                "date": doc.date,
                "source_type": doc.source_type,
                "url": doc.url,
                "paragraph": para.number,
                "text": para.text,
            }
            if args.spans:
                row.update(id=para.id, start=para.start, end=para.end)
            print(json.dumps(row, ensure_ascii=False))
        return 0
    print(f"{len(collection.documents)} documents, {sum(len(d.paragraphs) for d in collection.documents)} paragraphs"
          f" in {settings.corpus_dir}")
    for doc in collection.documents:
        numbers = [p.number for p in doc.paragraphs]
        numbering = "own numbers" if doc.numbered else "numbered in order"
        dated = "" if doc.dated_in_text else "  (date from documents.toml; the text gives none)"
        print(f"\n{doc.id}  [{doc.source_type}]  {doc.place}, {doc.display_date}{dated}")
        print(f"  {doc.title}")
        print(f"  {len(numbers)} paragraphs, {min(numbers)}-{max(numbers)} ({numbering}); file {doc.path.name}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m qa",
        description="Coalition QA: cited answers from a collection of official statements.",
    )
    parser.add_argument("--corpus", dest="corpus_dir", help="corpus folder (default: corpus/, or QA_CORPUS_DIR)")
    parser.add_argument("--index", dest="index_dir", help="index folder (default: index/, or QA_INDEX_DIR)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    corpus = sub.add_parser(
        "corpus",
        help="show the collection's documents and paragraphs",
        description="Show the collection. Example: python -m qa corpus --json | head -3",
    )
    corpus.add_argument("--json", action="store_true", help="one JSON object per paragraph")
    corpus.add_argument("--spans", action="store_true", help="with --json: add paragraph id and source span")
    corpus.set_defaults(func=_cmd_corpus)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env(corpus_dir=args.corpus_dir, index_dir=args.index_dir)
        return args.func(args, settings)
    except QAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0
