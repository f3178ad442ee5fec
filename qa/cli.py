"""Command line: ``python -m qa COMMAND``. A thin shell: parse, call the library, render."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys

from qa.config import Fusion, Mode, Settings, Thesaurus
from qa.errors import ConfigError, CorpusError, QAError


def _cmd_corpus(args: argparse.Namespace, settings: Settings) -> int:
    from qa.corpus import load_collection

    collection = load_collection(settings.corpus_dir)
    for warning in collection.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.doc:
        doc = next((d for d in collection.documents if d.id == args.doc), None)
        if doc is None:
            raise QAError(f"no document {args.doc!r}; the collection has: "
                          f"{', '.join(d.id for d in collection.documents)}")
        if not args.json:
            _print_paragraphs(doc, whole=True)
            return 0
    if args.json:
        for doc, para in collection.paragraphs():
            if args.doc and doc.id != args.doc:
                continue
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
            if doc.page_starts:  # a PDF's: the page the paragraph starts on, as its citation gives it
                row["page"] = doc.page_at(para.start)
            if args.spans:
                row.update(id=para.id, start=para.start, end=para.end)
            print(json.dumps(row, ensure_ascii=False))
        return 0
    print(f"{len(collection.documents)} documents, {sum(len(d.paragraphs) for d in collection.documents)} paragraphs"
          f" in {settings.corpus_dir}")
    for doc in collection.documents:
        numbers = [p.number for p in doc.paragraphs]
        numbering = "own numbers" if doc.numbered else "numbered in order"
        dated = "" if doc.dated_in_text else "  (date from documents.toml; no date heads the text)"
        print(f"\n{doc.id}  [{doc.source_type}]  {doc.place}, {doc.display_date}{dated}")
        print(f"  {doc.title}")
        print(f"  {len(numbers)} paragraphs, {min(numbers)}-{max(numbers)} ({numbering}); file {doc.path.name}")
    return 0


def _engine(settings: Settings, rebuild: str = "auto"):
    from qa.pipeline import Engine

    return Engine.load(settings, rebuild=rebuild, progress=sys.stderr.isatty(), skip_bad=True)


def _print_paragraphs(doc, width: int = 100, whole: bool = False) -> None:
    """A document's paragraphs as they are cited: each cut to ``width`` characters, or ``whole``,
    wrapped, with its lines as the paragraph has them (a list's items, a table's rows)."""
    import textwrap

    print(f"{doc.id}  [{doc.source_type}]  {doc.title}, {doc.place}, {doc.display_date}")
    numbering = "its own numbers" if doc.numbered else "numbered in order (the text numbers none)"
    print(f"{len(doc.paragraphs)} paragraphs, {numbering}:")
    for p in doc.paragraphs:
        if whole:
            lines = [wrapped for line in p.text.split("\n") if line.strip()
                     for wrapped in textwrap.wrap(" ".join(line.split()), width - 7, break_on_hyphens=False,
                                                  break_long_words=False)]
            print(f"  {p.number:>3}. " + "\n       ".join(lines) + "\n")
            continue
        text = " ".join(p.text.split())
        print(f"  {p.number:>3}. {text[:width]}{'…' if len(text) > width else ''}")


def _looks_like_a_caption(text: str) -> bool:
    """A few words, or a short line that ends no sentence, or a link's "... here": not a statement's paragraph."""
    words = text.split()
    ends_a_sentence = text.rstrip().rstrip("\"'”’)").endswith((".", "!", "?", ";", ":"))
    return len(words) < 6 or (len(words) < 12 and not ends_a_sentence) or text.lower().rstrip(".").endswith(" here")


# What a dry run reads the paragraphs with where a field is still missing (it reports the field after them).
_STAND_INS = {"id": "document", "title": "-", "issuer": "-", "place": "-", "date": "2000", "source_type": "official"}


def _cmd_add(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from qa.add import add, check_entry, check_source, preview, propose, proposed_id, slug, words_left_out
    from qa.convert import to_text
    from qa.corpus import load_collection

    source = Path(args.file)
    check_source(source)
    corpus_dir = Path(settings.corpus_dir)
    existing = load_collection(corpus_dir) if (corpus_dir / "documents.toml").exists() else None
    entry = propose(source, source.read_bytes(), existing)
    given = {"id": args.id, "title": args.title, "issuer": args.issuer, "place": args.place, "date": args.date,
             "source_type": args.type, "url": args.url}
    read_place = entry["place"]
    entry.update({k: v for k, v in given.items() if v})
    if not args.id and (args.place or args.date):  # the id follows the place and year given
        entry["id"] = proposed_id(source, entry["place"], entry["date"], existing)
    if args.place and read_place and slug(read_place) != slug(args.place):
        entry["place_aliases"] = [read_place]  # "Marrakech" in the text, "Marrakesh" given: both name it
    print("Metadata (read from the document unless given; override any with its option):")
    for key in ("id", "title", "issuer", "place", "date", "source_type", "url"):
        origin = "given" if given.get(key) else ("read from the text" if entry.get(key) else "missing")
        if key == "id" and not given["id"]:
            origin = "made from the place and year" if slug(entry.get("place", "")) else "made from the file's name"
        if key == "issuer" and entry.get(key) and not given[key]:
            origin = "the one the other statements share"
        print(f"  {key:<12}{entry.get(key) or '-':<60} {origin}")
    if entry.get("place_aliases"):
        print(f"  {'place_aliases':<14}{', '.join(entry['place_aliases']):<58} the text's spelling of the place")
    if args.dry_run:  # what adding it would refuse, refused after its paragraphs as the collection would read them
        try:
            check_entry(source, entry, existing)
        except CorpusError:
            if any(not entry.get(k) for k in _STAND_INS):  # the paragraphs still, then the fields to give
                print()
                with contextlib.suppress(CorpusError):
                    _print_paragraphs(preview(source, {**entry, **{k: v for k, v in _STAND_INS.items()
                                                                   if not entry.get(k)}}, existing))
            raise
        print()
        doc = preview(source, entry, existing)
        _print_paragraphs(doc)
        if left_out := words_left_out(doc, to_text(source, source.read_bytes())):
            print(f"warning: {left_out}", file=sys.stderr)
        return 0
    doc, collection = add(corpus_dir, source, entry)
    print(f"\nAdded {source.name} to {corpus_dir} as {doc.id!r}.")
    _print_paragraphs(doc)
    words = sum(len(p.text.split()) for p in doc.paragraphs)
    notes = [w for w in collection.warnings if doc.id in w or source.name in w]
    notes += [f"paragraph {p.number} looks like a caption or link text ({' '.join(p.text.split()[:8])} ...)"
              for p in doc.paragraphs if _looks_like_a_caption(p.text)]
    if left_out := words_left_out(doc, doc.source_text()):
        notes.append(left_out)
    if words > 50_000:
        notes.append(f"a long document ({words} words, {len(doc.paragraphs)} paragraphs): the build takes longer")
    for note in notes:
        print(f"warning: {note}", file=sys.stderr)
    if args.no_build:
        return 0
    _engine(settings)
    print("The index is up to date; ask away.")
    return 0


def _cmd_build(args: argparse.Namespace, settings: Settings) -> int:
    from qa import store
    from qa.build import build_index
    from qa.corpus import load_collection
    from qa.embed import load_embedders
    from qa.profile import load_profile

    collection = load_collection(settings.corpus_dir)
    for warning in collection.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    profile = load_profile(settings.corpus_dir)
    embedders = load_embedders(settings.model)
    encoder = None
    if args.ray:
        from functools import partial

        from qa import ray_embed

        encoder = partial(ray_embed.embed, batch=settings.build.embed_batch, workers=args.ray_workers,
                          address=args.ray_address)
    with store.build_lock(settings.index_dir):
        report = build_index(settings, collection, profile, embedders, progress=True, encoder=encoder,
                             grow=not args.full)
    if report.grown:
        print(f"Added {report.paragraphs} paragraphs ({report.passages} passages) beside the last full build in "
              f"{report.seconds:.1f} s ({report.reused} passage vectors reused, {report.embedded} embedded); "
              f"run python -m qa build --full to index every document afresh: {report.folder}")
        return 0
    print(f"Built {report.paragraphs} paragraphs ({report.passages} passages) from {len(collection.documents)} "
          f"documents in {report.seconds:.1f} s ({report.reused} passage vectors reused from the last build, "
          f"{report.embedded} embedded), {report.acronyms} abbreviations learnt from the text: {report.folder}")
    return 0


def _render(answer, out, changes=(), left_out=()) -> None:
    """An answer for people: ranked citations with the highlighted sentences, and for a question
    across statements how they put it over time (words added [+like this+], dropped [-like this-])."""
    if not answer.hits:
        print("Nothing in the collection matches these filters.", file=out)
        return
    if not answer.answerable:
        print("Nothing in the collection answers this question.", file=out)
    for note in answer.notes:
        print(f"({note[:1].upper()}{note[1:]}.)", file=out)
    if not answer.answerable:
        print("Closest paragraphs, not a match:", file=out)
    for hit in answer.hits:
        label = "news report" if hit.source_type == "news" else "official"
        print(f"\n{hit.rank}. {hit.citation}  [{label}]  score {hit.score:.3f}", file=out)
        print(f"   » {hit.highlight}", file=out)
    if changes:
        print("\nHow it changed, the best paragraph of each statement, oldest first "
              "(words added since the one before [+like this+], dropped [-like this-]):", file=out)
    for change in changes:
        text = " ".join(f"[+{t}+]" if kind == "added" else f"[-{t}-]" if kind == "dropped" else t
                        for kind, t in change.pieces)
        print(f"\n- {change.hit.citation}\n  {text}", file=out)
    if changes and left_out:
        from qa.render import left_out_line

        print(f"\n({left_out_line(left_out)}.)", file=out)


def _cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from qa import digest
    from qa.errors import QAError

    engine = _engine(settings)
    filters = engine.filters(args.doc, args.since, args.until, ("official",) if args.official else ())
    if args.question != "-":
        result = digest.ask(engine, args.question, k=args.k, filters=filters)
        answer = result.answer
        if args.json:
            print(json.dumps(result.to_json(), ensure_ascii=False))
        else:
            _render(answer, sys.stdout, result.changes, result.left_out)
        return 0
    status = 0
    for line in sys.stdin:  # batch: one question per line, one answer per line, in order, as each is ready
        question = line.rstrip("\n")
        try:
            result = digest.ask(engine, question, k=args.k, filters=filters)
            answer, row = result.answer, result.to_json()
        except QAError as exc:
            row, status = {"question": question, "error": str(exc)}, 1
            answer = None
        if args.json:
            print(json.dumps(row, ensure_ascii=False), flush=True)
        elif answer is None:
            print(f"\nQ: {question}\nerror: {row['error']}", flush=True)
        else:
            print(f"\nQ: {answer.question}")
            _render(answer, sys.stdout, result.changes, result.left_out)
            sys.stdout.flush()
    return status


def _cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from qa.eval import report
    from qa.eval.dataset import DEFAULT_SET, half, load_eval_set
    from qa.eval.peers import PEERS
    from qa.eval.run import evaluate

    engine = _engine(settings)
    questions = half(load_eval_set(args.set or DEFAULT_SET, engine.collection), args.split)
    result = evaluate(engine, questions, peers=() if args.no_peers else PEERS)
    if args.json:
        print(json.dumps({name: {k: v for k, v in t.items() if k != "_per_question"}
                          for name, t in result.tables.items()}, indent=2))
    else:
        q = settings.query
        label = f"ours (mode={q.mode.value}, fusion={q.fusion.value}, thesaurus={q.thesaurus.value}, model={settings.model})"
        for name, table in result.tables.items():
            print(report.format_table(label if name == "ours" else name, table), end="\n\n")
        print(result.margin)
        from qa.eval.metrics import area_under_risk_coverage, risk_coverage

        curve = risk_coverage(list(questions), result.tables["ours"]["_per_question"], result.confidences)
        print(f"risk-coverage area (mean share of answers wrong as the confidence bar falls; lower is better): "
              f"{area_under_risk_coverage(curve):.3f}")
        if args.failures:
            print("\nmisses (hit@1 = 0, or refused):")
            print("\n".join(report.failures(list(questions), result.systems["ours"], result.tables["ours"])))
    if args.report:
        path = report.write(Path(args.report), result, engine)
        print(f"report written: {path}", file=sys.stderr if args.json else sys.stdout)
    return 0


def _cmd_calibrate(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from qa import abstain
    from qa.eval.calibrate import collect, fit, keep_stages, refusal_rates
    from qa.eval.dataset import EVAL_DIR, half, load_eval_set

    engine = _engine(settings)
    own = bool(args.set)  # a collection's own questions: its own models, kept beside its documents
    sets = [Path(p) for p in args.set] if own else sorted(EVAL_DIR.glob("*.jsonl"))
    loaded = {path: load_eval_set(path, engine.collection) for path in sets}
    if not own:  # a bundled set written only to be reported on (every question "test") is never fitted on
        sets = [path for path in sets if any(q.split == "tune" for q in loaded[path])]
    questions = [q for path in sets for q in half(loaded[path], "tune")]
    result = fit(settings.model, questions, collect(engine, questions), args.max_false_refusals,
                 fitted_on=f"tuning halves of {', '.join(p.name for p in sets)} ({len(questions)} questions)")
    path = abstain.calibration_path(settings.model, settings.corpus_dir if own else None)
    before = engine.calibration  # what searches used until now, judged on the same questions
    if args.stage:  # only these refitted; the others kept as they are
        result = keep_stages(result, before, args.stage)
    abstain.save_calibration(result.calibration, path)
    print(f"wrote {path}" + (" (searches of this collection use it from now on; delete it to go back to the "
                             "default)" if own else ""))
    print("refused, tuning half (cross-validated): " + ", ".join(f"{k} {v:.3f}" for k, v in result.rates.items()))
    for path_ in sets:  # the new models' verdicts on the test halves: the same signals, judged by them
        test = half(loaded[path_], "test")
        read = collect(engine, test)
        for name, calibration in (("new", result.calibration), ("before", before)):
            if calibration is None:
                continue
            rates = refusal_rates(test, [abstain.judge_read(calibration, signals).answerable for signals in read])
            print(f"refused, test half of {path_.name}, {name}: " + ", ".join(f"{k} {v:.3f}" for k, v in rates.items()))
    return 0


def _cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    from qa import bench

    if args.scale:
        from pathlib import Path

        from qa import scale

        bad = [n for n in args.scale if n < 100]
        if bad:
            raise ConfigError(f"--scale {bad[0]} is too small; give paragraph counts of 100 or more, e.g. --scale 10000 100000")
        rows = []
        for n in args.scale:
            rows.append(scale.measure(n, settings.model, settings.corpus_dir))
            print(scale.format_table(rows), flush=True)
            if rows[-1]["add_log"]:
                print("adding one document: " + " ".join(rows[-1]["add_log"]), flush=True)
        if args.plot:
            print(f"plot: {scale.plot(rows, Path(args.plot))}")
        return 0
    print(bench.format_results(bench.measure(settings, repeat=args.repeat)))
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
    corpus.add_argument("--doc", metavar="ID", help="one document's paragraphs, numbered as cited")
    corpus.set_defaults(func=_cmd_corpus)

    add = sub.add_parser(
        "add", help="add a statement (text, web page, PDF or Word file) to the corpus",
        description="Copy a statement into the corpus, with metadata read from it (override any), check it and "
                    "rebuild the index. Example: python -m qa add valletta.pdf --place Valletta --type official",
    )
    add.add_argument("file", help="the statement: .txt, .md, .html, .htm, .pdf or .docx")
    add.add_argument("--id", help="document id, e.g. valletta-2031 (default: place and year)")
    add.add_argument("--title", help="the statement's title, as a citation should give it")
    add.add_argument("--issuer", help="who issued it (default: the issuer every other document shares)")
    add.add_argument("--place", help="where it was issued or the meeting took place")
    add.add_argument("--date", help="YYYY-MM-DD (or YYYY-MM, YYYY): the meeting's or the statement's date")
    add.add_argument("--type", choices=("official", "news"), help="official statement or news report")
    add.add_argument("--url", help="where the statement was published")
    add.add_argument("--dry-run", action="store_true", help="show the metadata it would use, change nothing")
    add.add_argument("--no-build", action="store_true", help="do not rebuild the index now")
    add.set_defaults(func=_cmd_add)

    build = sub.add_parser("build", help="build the search index (done automatically when needed)",
                           description="Embed and index the corpus. Example: python -m qa build")
    build.add_argument("--ray", action="store_true",
                       help="embed with Ray Data workers (pip install -r requirements-ray.txt); see qa/ray_embed.py")
    build.add_argument("--ray-address", default=None, metavar="ADDRESS",
                       help="with --ray: a running Ray cluster (auto, ray://head:10001); default: start one here")
    build.add_argument("--ray-workers", type=int, default=2, metavar="N", help="with --ray: model-holding workers (default 2)")
    build.add_argument("--full", action="store_true",
                       help="index every document afresh, even when documents were only added at the end "
                            "(by default those are indexed beside the last full build, in seconds)")
    build.set_defaults(func=_cmd_build)

    ask = sub.add_parser(
        "ask", help="ask a question; get cited paragraphs",
        description='Ask the collection. Examples: python -m qa ask "what was said about refugees?" --k 3; '
                    'printf "q1\\nq2\\n" | python -m qa ask --json --k 10 -',
    )
    ask.add_argument("question", help='the question, or "-" to read one question per line from standard input')
    ask.add_argument("--k", type=int, default=5, help="number of paragraphs (default 5)")
    ask.add_argument("--doc", action="append", metavar="ID", help="only this document (repeatable)")
    ask.add_argument("--since", metavar="DATE", help="only documents dated on or after this day (YYYY-MM-DD; "
                     "YYYY-MM or YYYY: its first day)")
    ask.add_argument("--until", metavar="DATE", help="only documents dated on or before this day (YYYY-MM-DD; "
                     "YYYY-MM or YYYY: its last day)")
    ask.add_argument("--official", action="store_true", help="official statements only (no news reports)")
    ask.add_argument("--json", action="store_true", help="print JSON (one line per question)")
    ask.set_defaults(func=_cmd_ask)

    ev = sub.add_parser("eval", help="measure retrieval on the eval set, beside the peer recipes",
                        description="Evaluate retrieval. Example: python -m qa eval --report eval/reports/")
    ev.add_argument("--set", default=None, help="eval set (default eval/questions.jsonl)")
    ev.add_argument("--split", choices=("all", "tune", "test"), default="all",
                    help="which half of the set: tune (to choose settings on), test (to report), or all")
    ev.add_argument("--mode", choices=[m.value for m in Mode], help="retrieval mode to evaluate")
    ev.add_argument("--fusion", choices=[f.value for f in Fusion], help="fusion method to evaluate")
    ev.add_argument("--thesaurus", choices=[t.value for t in Thesaurus], help="where lay words are expanded")
    ev.add_argument("--no-peers", action="store_true", help="skip the peer recipes (faster)")
    ev.add_argument("--failures", action="store_true", help="list the questions we missed, and what came back")
    ev.add_argument("--json", action="store_true", help="print the tables as JSON")
    ev.add_argument("--report", metavar="DIR", help="write a Markdown report with plots and TREC files to DIR")
    ev.set_defaults(func=_cmd_eval)

    cal = sub.add_parser("calibrate", help="fit the abstention models on the eval sets' tuning halves",
                         description="Fit when the collection answers a question (qa/abstain.py) and write "
                                     "qa/calibration/<model>.json, or with --set a collection's own models. "
                                     "Examples: python -m qa calibrate; "
                                     "python -m qa --corpus my-corpus calibrate --set my-corpus-questions.jsonl")
    cal.add_argument("--set", action="append", metavar="FILE",
                     help="an eval set of this collection (repeat for several): fit on its tuning half and keep the "
                          "models beside the collection, in <corpus>/calibration/<model>.json (default: the bundled "
                          "eval sets, written to qa/calibration/<model>.json)")
    cal.add_argument("--stage", action="append", metavar="NAME", choices=("subject", "specific", "language"),
                     help="refit only this stage (repeat for several), keeping the others of the current file: "
                          "subject, specific or language")
    cal.add_argument("--max-false-refusals", type=float, default=0.025,
                     help="the largest share of answerable tuning questions it may refuse (default 0.025)")
    cal.set_defaults(func=_cmd_calibrate)

    bench = sub.add_parser("bench", help="measure speed: cold start, build, query latency, beside bare MiniLM",
                           description="Benchmark. Example: python -m qa bench --repeat 3")
    bench.add_argument("--repeat", type=int, default=3, help="passes over the question list (default 3)")
    bench.add_argument("--scale", type=int, nargs="+", metavar="N",
                       help="instead: cost of a synthetic collection of N paragraphs (build, load, query, memory, "
                            "disk, adding a document), each N in turn, e.g. --scale 10000 100000 1000000")
    bench.add_argument("--plot", metavar="PNG", help="with --scale: write a log-log plot of cost against N here")
    bench.set_defaults(func=_cmd_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        overrides = {k: getattr(args, k, None) for k in ("mode", "fusion", "thesaurus")}
        settings = Settings.from_env(corpus_dir=args.corpus_dir, index_dir=args.index_dir, **overrides)
        return args.func(args, settings)
    except QAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0
