"""The speed table: figures as measured, and the ratio to one bare query encode."""

import pytest

from qa.bench import _percentiles, format_results


def test_percentiles_are_median_and_nearest_rank_p95_in_milliseconds():
    samples = [i / 1000 for i in range(1, 21)]  # 1..20 ms
    p50, p95 = _percentiles(samples)
    assert (p50, p95) == (pytest.approx(10.5), pytest.approx(19.0))


def test_the_table_gives_each_figure_and_the_ratio_to_a_bare_encode():
    text = format_results({"collection": "5 documents", "cold_s": 4.0, "index_load_s": 0.02, "build_s": 3.0,
                           "repeat": 1, "questions": 2, "notes": [],
                           "latency": {"ours": [0.012, 0.012], "bare query encode": [0.010, 0.010]}})
    assert "cold start (new process)" in text and "4.00 s" in text and "20.0 ms" in text
    assert "ours / bare encode (p50): 1.20x" in text
