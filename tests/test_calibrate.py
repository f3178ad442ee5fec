"""Fitting the abstention models (qa.eval.calibrate) on signals made up for the test."""

import numpy as np
import pytest

from qa.abstain import judge_calibrated
from qa.errors import EvalError
from qa.eval.calibrate import fit, refusal_rates
from qa.eval.dataset import NEAR_SUBJECT, OFF_TOPIC, EvalQuestion


def signals(rng, n, top, coverage, missing, name):
    """n rows of the signals the stages read, around the given levels."""
    return [{"dense_top": top + rng.normal(0, 0.02), "dense_mean3": top - 0.02 + rng.normal(0, 0.02),
             "view1_top": top - 0.3 + rng.normal(0, 0.05), "view1_mean3": top - 0.35 + rng.normal(0, 0.05),
             "coverage_all": max(0.0, coverage + rng.normal(0, 0.05)), "missing_share": missing,
             "missing_name": name, "all_missing": float(missing == 1.0)} for _ in range(n)]


@pytest.fixture
def tuning():
    rng = np.random.default_rng(7)
    kinds = [("paraphrase", signals(rng, 60, 0.86, 0.3, 0.2, 0.0)),
             (NEAR_SUBJECT, signals(rng, 30, 0.82, 0.1, 0.6, 1.0)),
             (OFF_TOPIC, signals(rng, 20, 0.76, 0.0, 1.0, 0.0))]
    questions = [EvalQuestion(f"{kind}-{i}", kind, "q", (), "tune") for kind, rows in kinds for i in range(len(rows))]
    return questions, [row for _, rows in kinds for row in rows]


def test_the_fitted_models_refuse_what_the_tuning_half_says_and_few_answerable_questions(tuning):
    questions, rows = tuning
    result = fit("e5+bundled", questions, rows, max_false_refusals=0.05)
    assert [s.name for s in result.calibration.stages] == ["subject", "specific"]
    answered = np.array([judge_calibrated(result.calibration, row, []).answerable for row in rows])
    rates = refusal_rates(questions, answered)
    assert rates["answerable"] <= 0.05
    assert rates["off_topic"] == 1.0 and rates["near_subject"] >= 0.9
    # The cross-validated rates it reports keep to the same bound.
    assert result.rates["answerable"] <= 0.05


def test_a_missing_name_pulls_a_question_towards_refusal(tuning):
    questions, rows = tuning
    calibration = fit("e5+bundled", questions, rows).calibration
    specific = next(s for s in calibration.stages if s.name == "specific")
    row = dict(rows[0], missing_name=0.0)
    assert specific.probability(dict(row, missing_name=1.0)) < specific.probability(row)


def test_signals_that_cannot_keep_false_refusals_down_are_said_to_be_so(tuning):
    questions, rows = tuning
    rng = np.random.default_rng(3)
    # An answerable question whose every signal is a far off-topic question's: to refuse no
    # answerable question, the thresholds would have to answer every off-topic one too.
    odd = signals(rng, 1, 0.70, 0.0, 1.0, 0.0)
    questions = questions + [EvalQuestion(f"odd-{i}", "paraphrase", "q", (), "tune") for i in range(len(odd))]
    with pytest.raises(EvalError, match="no thresholds refuse at most 0.0% of answerable questions"):
        fit("e5+bundled", questions, rows + odd, max_false_refusals=0.0)


def test_tuning_halves_without_enough_of_a_kind_are_refused_with_the_fix(tuning):
    questions, rows = tuning
    keep = [i for i, q in enumerate(questions) if q.kind != OFF_TOPIC][:-27] + [
        i for i, q in enumerate(questions) if q.kind == OFF_TOPIC][:3]
    with pytest.raises(EvalError, match="hold 3 off_topic questions; fitting needs at least 5 .* add off_topic "
                                         "questions to an eval set's tuning half"):
        fit("e5+bundled", [questions[i] for i in keep], [rows[i] for i in keep])
    few = [i for i, q in enumerate(questions) if not q.answerable] + [0, 1, 2]
    with pytest.raises(EvalError, match="hold 3 answerable questions; .* add answerable questions"):
        fit("e5+bundled", [questions[i] for i in few], [rows[i] for i in few])
