"""A large build's paragraph words made in worker processes: the same words, in the same order,
and the same word counts."""

import re

from qa import spell, workers
from qa.analyze import Analyzer
from qa.profile import load_profile

from conftest import CORPUS


def _paragraphs() -> list[str]:
    texts = [p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt"))]
    lines = [line for text in texts for line in text.splitlines() if line.strip()]
    # A learnt abbreviation: only an analyzer made with it adds its word ("msg") to the long form.
    return lines + ["The Ministerial Steering Group met in Valletta.", "ISIS/Da'esh and Daesh / ISIS", ""]


def test_workers_give_the_words_one_process_gives_with_the_learnt_aliases(monkeypatch):
    learnt = (("Ministerial Steering Group", "MSG"),)
    analyzer = Analyzer(load_profile(CORPUS), learnt)
    texts = _paragraphs()
    monkeypatch.setattr(workers, "PARALLEL_MIN", 10)
    monkeypatch.setattr(workers, "SLICE", 37)  # several slices per worker, the last one short
    monkeypatch.setattr(workers, "workers_available", lambda: 2)
    made, words = workers.terms_and_words(analyzer, texts)
    assert made == analyzer.paragraph_terms(texts)
    assert words == spell.words_of(texts) and words["coalition"] > 1
    assert made != Analyzer(load_profile(CORPUS)).paragraph_terms(texts)  # the learnt group counts
    assert len(made) == len(texts) and made[-1] == []


def test_few_paragraphs_or_one_core_stay_in_this_process(monkeypatch):
    analyzer = Analyzer(load_profile(CORPUS))
    monkeypatch.setattr(workers.concurrent.futures, "ProcessPoolExecutor", None)  # would fail if used
    assert workers.terms_and_words(analyzer, ["Coalition ministers met in Rome."]) == (
        analyzer.paragraph_terms(["Coalition ministers met in Rome."]), spell.words_of(["Coalition ministers met in Rome."]))
    monkeypatch.setattr(workers, "PARALLEL_MIN", 1)
    monkeypatch.setattr(workers, "workers_available", lambda: 1)
    assert workers.terms_and_words(analyzer, ["a", "b"])[0] == analyzer.paragraph_terms(["a", "b"])


def test_repeated_names_joined_by_slashes_count_once_and_other_slashes_are_left():
    analyzer = Analyzer(load_profile(CORPUS))
    assert re.sub(r"\s+", " ", analyzer.canonical("ISIS/Da'esh/ISIS in 2017/18")) == \
        re.sub(r"\s+", " ", analyzer.canonical("ISIS in 2017/18"))
    assert analyzer.canonical("and/or") == "and/or"


def test_workers_that_cannot_start_leave_the_work_to_this_process(monkeypatch):
    analyzer = Analyzer(load_profile(CORPUS))
    texts = _paragraphs()

    def no_processes(*args, **kwargs):
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(workers, "PARALLEL_MIN", 10)
    monkeypatch.setattr(workers, "workers_available", lambda: 2)
    monkeypatch.setattr(workers.concurrent.futures, "ProcessPoolExecutor", no_processes)
    assert workers.terms_and_words(analyzer, texts) == (analyzer.paragraph_terms(texts), spell.words_of(texts))
