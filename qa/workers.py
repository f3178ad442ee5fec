"""Text work of a large build shared with a second process: the machine's other core.

A build's text steps (alias spellings, word splitting, stemming, counting the words misspellings
are matched to) are Python and use one core, while the machine usually has two or more.
``Analysis`` takes a large collection's paragraphs a slice at a time as the build hands them over,
analyses them in worker processes, and gives back the terms in order (as numbers,
``TermLists``) and the words counted: exactly what ``Analyzer.paragraph_terms`` and
``spell.words_of`` make of all of them at once, since every paragraph is analysed on its own. The
build makes its passages and their vectors meanwhile. ``terms_and_words`` and ``analysing`` do the
same for texts all given at once, as lists of strings.

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
from qa.analyze import Analyzer, TermLists

PARALLEL_MIN = 40_000  # paragraphs from which workers are used (below, their start costs more than they save)
SLICE = 10_000  # paragraphs sent to a worker at a time
PENDING = 4  # slices handed over and not analysed yet, at most: past it, handing over waits for the first
WORKERS = 2

_analyzer: Analyzer | None = None


def _start(profile, learnt) -> None:
    global _analyzer
    _analyzer = Analyzer(profile, learnt)


def _analyse(texts: list[str], analyzer: Analyzer | None = None) -> tuple[TermLists, Counter]:
    """A slice's terms (as numbers: a worker sends back arrays, not a string per word) and words."""
    return TermLists.encode((analyzer or _analyzer).paragraph_terms(texts)), spell.words_of(texts)


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
    """``terms_and_words`` started on entry, collected by calling what is yielded (``Analysis``,
    handed every text at once)."""
    with Analysis(analyzer, len(texts), pending=len(texts) // SLICE + 1) as analysis:  # all handed over at once
        analysis.add(texts)
        collected: list[tuple[list[list[str]], Counter]] = []

        def collect() -> tuple[list[list[str]], Counter]:
            if not collected:
                terms, words = analysis.result()
                collected.append((terms.lists(), words))
            return collected[0]

        yield collect


class Analysis:
    """Paragraph texts analysed as they are handed over (``add``), in order; ``result`` gives
    every text's terms (``TermLists``) and the words counted, as one process would make them.

    With ``total`` texts to come past ``PARALLEL_MIN`` and two cores, the texts go to worker
    processes a slice at a time, so they are analysed while this process does other work (a
    build makes its passages and their vectors meanwhile), and a slice's texts are let go once
    its terms are back: a build never holds every paragraph's text or terms as strings. Workers
    that cannot start, or die, leave their slices to this process. On exit, whatever work is
    left is cancelled and the workers stopped."""

    def __init__(self, analyzer: Analyzer, total: int, pending: int = PENDING):
        """Args: pending: slices handed over and not analysed yet, at most (past it, ``add``
        waits for the first): what of the texts is held at once."""
        self._analyzer, self._pool, self._limit = analyzer, None, pending
        self._pending: list[tuple[list[str], concurrent.futures.Future | None]] = []  # in order
        self._terms: list[TermLists] = []
        self._words: Counter = Counter()
        self._done: tuple[TermLists, Counter] | None = None
        if total >= PARALLEL_MIN and workers_available() >= 2:
            try:
                self._pool = concurrent.futures.ProcessPoolExecutor(
                    workers_available(), mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start, initargs=(analyzer.profile, analyzer.learnt))
            except (OSError, concurrent.futures.BrokenExecutor):
                self._pool = None  # workers could not start (no process limit left): the work is done here

    def __enter__(self) -> "Analysis":
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)

    def add(self, texts: list[str]) -> None:
        """Hand over the next texts (analysed here and now when there are no workers)."""
        for at in range(0, len(texts), SLICE):
            part = texts[at:at + SLICE]
            future = None
            if self._pool is not None:
                try:
                    future = self._pool.submit(_analyse, part)
                except (RuntimeError, concurrent.futures.BrokenExecutor):  # a worker died: the rest here
                    future = None
            self._pending.append((part, future))
            self._collect(keep=self._limit if future is not None else 0)  # no worker: analysed now, and let go

    def _collect(self, keep: int = 0) -> None:
        """Take in the finished slices at the front, and wait for the first ones until at most
        ``keep`` are left (0: every slice, analysed here where no worker has it)."""
        while self._pending:
            part, future = self._pending[0]
            if len(self._pending) <= keep and (future is None or not future.done()):
                return
            terms = words = None
            if future is not None:
                try:
                    terms, words = future.result()
                except (OSError, concurrent.futures.BrokenExecutor):
                    pass  # the worker died (killed, out of memory): the slice is done here, the same
            if terms is None:
                terms, words = _analyse(part, self._analyzer)
            self._terms.append(terms)
            self._words.update(words)
            self._pending.pop(0)

    def result(self) -> tuple[TermLists, Counter]:
        """Every text's terms, in the order handed over, and their words counted."""
        if self._done is None:
            self._collect()
            self._done = (TermLists.joined(self._terms), self._words)
            self._terms = []
        return self._done
