"""Text work of a large build shared with a second process: the machine's other core.

A build's text steps (alias spellings, word splitting, stemming) are Python and use one core,
while the machine usually has two or more. ``paragraph_terms`` splits a large collection's
paragraphs into contiguous slices, analyses them in worker processes, and returns the terms in
order: exactly what ``Analyzer.paragraph_terms`` returns for all of them at once, since every
paragraph is analysed on its own.

Workers are started fresh ("spawn": nothing of the build's memory or threads is copied), each
makes its own ``Analyzer`` from the profile and the learnt aliases once, and is sent texts only.
Small collections, and machines with one core, are analysed in this process: starting a worker
costs about a second.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os

from qa.analyze import Analyzer

PARALLEL_MIN = 40_000  # paragraphs from which workers are used (below, their start costs more than they save)
SLICE = 10_000  # paragraphs sent to a worker at a time
WORKERS = 2

_analyzer: Analyzer | None = None


def _start(profile, learnt) -> None:
    global _analyzer
    _analyzer = Analyzer(profile, learnt)


def _terms(texts: list[str]) -> list[list[str]]:
    return _analyzer.paragraph_terms(texts)


def workers_available() -> int:
    """Worker processes to use: ``WORKERS``, or fewer on a machine with fewer cores."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return min(WORKERS, cores)


def paragraph_terms(analyzer: Analyzer, texts: list[str]) -> list[list[str]]:
    """``analyzer.paragraph_terms(texts)``, in worker processes when there are many texts (each
    makes the same analyzer, from its profile and learnt aliases)."""
    workers = workers_available()
    if len(texts) < PARALLEL_MIN or workers < 2:
        return analyzer.paragraph_terms(texts)
    slices = [texts[at:at + SLICE] for at in range(0, len(texts), SLICE)]
    try:
        with concurrent.futures.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                                    initializer=_start,
                                                    initargs=(analyzer.profile, analyzer.learnt)) as pool:
            out: list[list[str]] = []
            for part in pool.map(_terms, slices):
                out.extend(part)
        return out
    except (OSError, concurrent.futures.BrokenExecutor):
        # Workers could not start or died (no process limit left, a killed worker): the build goes
        # on in this process, slower but the same.
        return analyzer.paragraph_terms(texts)
