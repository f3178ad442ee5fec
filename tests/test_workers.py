"""A large build's paragraph words made in worker processes: the same words, in the same order,
and the same word counts."""

import re

from qa import spell, workers
from qa.analyze import Analyzer
from qa.profile import load_profile

from conftest import CORPUS, ROOT


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


UNGUARDED_SCRIPT = """
import sys
from pathlib import Path
from qa import workers
from qa.config import Settings
from qa.embed import HashingEmbedder
from qa.pipeline import Engine

workers.PARALLEL_MIN = 10  # the bundled paragraphs go to worker processes
workers.workers_available = lambda: 2
settings = Settings(corpus_dir=Path(sys.argv[1]), index_dir=Path(sys.argv[2]), model="hashing")
engine = Engine.load(settings, embedder=HashingEmbedder(), progress=False, log=lambda m: None)
print("answered:", bool(engine.search("detainees in northeast Syria").hits))
"""


def test_a_script_that_builds_without_a_main_guard_finishes_instead_of_waiting_for_ever(tmp_path):
    """Workers are started with "spawn", which runs the script again in each: there the build must
    not wait for the lock its parent holds, but end the worker, and the build go on without it."""
    import subprocess
    import sys

    script = tmp_path / "build_it.py"
    script.write_text(UNGUARDED_SCRIPT, encoding="utf-8")
    done = subprocess.run([sys.executable, str(script), str(CORPUS), str(tmp_path / "index")], capture_output=True,
                          text=True, timeout=300, cwd=tmp_path, env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.splitlines() == ["answered: True"]  # built and searched once, by the script itself
    assert "if __name__ == \"__main__\":" in done.stderr  # each worker said why it stopped


def test_work_left_when_the_caller_fails_is_stopped_with_its_workers(monkeypatch):
    import multiprocessing

    import pytest

    analyzer = Analyzer(load_profile(CORPUS))
    texts = _paragraphs() * 20
    monkeypatch.setattr(workers, "PARALLEL_MIN", 10)
    monkeypatch.setattr(workers, "SLICE", 5)  # many slices still queued when the caller fails
    monkeypatch.setattr(workers, "workers_available", lambda: 2)
    with pytest.raises(RuntimeError):
        with workers.analysing(analyzer, texts):
            assert multiprocessing.active_children()  # started on entry, before the result is asked for
            raise RuntimeError("the build failed meanwhile")
    assert not multiprocessing.active_children()
    with workers.analysing(analyzer, texts) as result:  # and a caller that asks later gets it all, each time
        assert result() == (analyzer.paragraph_terms(texts), spell.words_of(texts))
        assert result() == (analyzer.paragraph_terms(texts), spell.words_of(texts))


def test_texts_handed_over_a_group_at_a_time_are_analysed_in_order_holding_few_at_once(monkeypatch):
    # A large build hands its paragraphs over a group at a time while it embeds; past a few slices
    # not yet analysed, handing over waits, so the build never holds every paragraph's text.
    analyzer = Analyzer(load_profile(CORPUS))
    texts = _paragraphs() * 3
    monkeypatch.setattr(workers, "PARALLEL_MIN", 10)
    monkeypatch.setattr(workers, "SLICE", 11)
    monkeypatch.setattr(workers, "workers_available", lambda: 2)
    most = []
    with workers.Analysis(analyzer, len(texts), pending=2) as analysis:
        for at in range(0, len(texts), 50):
            analysis.add(texts[at:at + 50])
            most.append(len(analysis._pending))
        terms, words = analysis.result()
    assert max(most) <= 2
    assert terms.lists() == analyzer.paragraph_terms(texts) and words == spell.words_of(texts)
    monkeypatch.setattr(workers, "workers_available", lambda: 1)  # one core: each group analysed on arrival
    with workers.Analysis(analyzer, len(texts)) as analysis:
        analysis.add(texts[:50])
        assert not analysis._pending
        analysis.add(texts[50:])
        assert analysis.result()[0].lists() == analyzer.paragraph_terms(texts)
