"""Text work of a large build shared with a second process: the machine's other core.

A build's text steps (alias spellings, word splitting, stemming, counting the words misspellings
are matched to) are Python and use one core, while the machine usually has two or more.
``terms_and_words`` splits a large collection's paragraphs into contiguous slices, analyses them
in worker processes, and returns the terms in order and the words counted: exactly what
``Analyzer.paragraph_terms`` and ``spell.words_of`` return for all of them at once, since every
paragraph is analysed on its own. ``analysing`` starts the same work and lets the caller do its
own meanwhile (a build makes its passages and their vectors).

Workers are started fresh ("spawn": nothing of the build's memory or threads is copied), each
makes its own ``Analyzer`` from the profile and the learnt aliases once, and is sent texts only.
Small collections, and machines with one core, are analysed in this process: starting a worker
costs about a second.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import multiprocessing
import os
from collections import Counter
from typing import Callable, Iterator

from qa import spell
from qa.analyze import Analyzer

PARALLEL_MIN = 40_000  # paragraphs from which workers are used (below, their start costs more than they save)
SLICE = 10_000  # paragraphs sent to a worker at a time
WORKERS = 2

_analyzer: Analyzer | None = None


def _start(profile, learnt) -> None:
    global _analyzer
    _analyzer = Analyzer(profile, learnt)


def _analyse(texts: list[str], analyzer: Analyzer | None = None) -> tuple[list[list[str]], Counter]:
    return (analyzer or _analyzer).paragraph_terms(texts), spell.words_of(texts)


def _gather(results) -> tuple[list[list[str]], Counter] | None:
    """The workers' slices joined in order; None when a worker died (killed, out of memory): the
    caller then does the work itself, slower but the same."""
    try:
        terms: list[list[str]] = []
        words: Counter = Counter()
        for part, counted in results:
            terms.extend(part)
            words.update(counted)
        return terms, words
    except (OSError, concurrent.futures.BrokenExecutor):
        return None


def workers_available() -> int:
    """Worker processes to use: ``WORKERS``, or fewer on a machine with fewer cores."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return min(WORKERS, cores)


def terms_and_words(analyzer: Analyzer, texts: list[str]) -> tuple[list[list[str]], Counter]:
    """``analyzer.paragraph_terms(texts)`` and ``spell.words_of(texts)``, in worker processes when
    there are many texts (each makes the same analyzer, from its profile and learnt aliases)."""
    with analysing(analyzer, texts) as result:
        return result()


@contextlib.contextmanager
def analysing(analyzer: Analyzer, texts: list[str]) -> Iterator[Callable[[], tuple[list[list[str]], Counter]]]:
    """``terms_and_words`` started on entry, collected by calling what is yielded.

    Many texts are handed to the workers at once, so they analyse while this process does other
    work (a build makes its passages and their vectors meanwhile); on exit, whatever is left of
    their work is cancelled and they are stopped. Few texts, or one core: the texts are analysed
    in this process when the result is asked for."""
    workers = workers_available()
    if len(texts) < PARALLEL_MIN or workers < 2:
        yield lambda: _analyse(texts, analyzer)
        return
    slices = [texts[at:at + SLICE] for at in range(0, len(texts), SLICE)]
    pool = results = None
    try:
        pool = concurrent.futures.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                                      initializer=_start, initargs=(analyzer.profile, analyzer.learnt))
        results = pool.map(_analyse, slices)  # every slice is submitted now
    except (OSError, concurrent.futures.BrokenExecutor):
        results = None  # workers could not start (no process limit left): the work is done here

    collected: list[tuple[list[list[str]], Counter]] = []  # the workers' results can be read only once

    def collect() -> tuple[list[list[str]], Counter]:
        if not collected:
            gathered = _gather(results) if results is not None else None
            collected.append(gathered if gathered is not None else _analyse(texts, analyzer))
        return collected[0]

    try:
        yield collect
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
