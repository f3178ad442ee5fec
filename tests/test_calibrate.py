"""Fitting the abstention models (qa.eval.calibrate): on signals made up for the test, and a collection's own through the CLI."""

import json

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


def _own_eval_set(corpus, path):
    """An eval set for the fisheries collection, written here: each paragraph's first sentence as a
    question (answerable), with questions on its subject it never answers and far off-topic ones."""
    from qa.corpus import load_collection

    rows = []
    for doc in load_collection(corpus).documents:
        for p in doc.paragraphs:
            rows.append({"kind": "direct", "question": p.text.split(". ")[0][:200],
                         "gold": [{"doc_id": doc.id, "paragraph": p.number, "grade": 2}]})
    near = ["What did the council decide about whale watching tours?", "How many lighthouses were repainted?",
            "Which ferry companies were fined for late sailings?", "What was agreed on pearl diving licences?",
            "Did the ministers ban jet skis in marinas?", "What is the tax on imported caviar?",
            "Who won the regatta in the harbour festival?", "How are coral reefs replanted by volunteers?"]
    far = ["How do I bake sourdough bread?", "Who won the chess world championship?", "What is a black hole?",
           "How do I reset my router password?", "Which planet has the most moons?", "Best recipe for lasagne?",
           "How tall is the tallest giraffe?", "What is the capital of Mongolia?"]
    rows += [{"kind": NEAR_SUBJECT, "question": q} for q in near] + [{"kind": OFF_TOPIC, "question": q} for q in far]
    with open(path, "w", encoding="utf-8") as out:
        for i, row in enumerate(rows):
            out.write(json.dumps({"id": f"own-{i}", "split": "tune" if i % 4 else "test", **row}) + "\n")


def test_a_collection_fits_its_own_abstention_models_and_keeps_them_beside_its_documents(monkeypatch, tmp_path, capsys):
    import shutil
    from pathlib import Path

    from qa import abstain
    from qa.cli import main
    from qa.config import Settings
    from qa.errors import ModelError
    from qa.pipeline import Engine

    corpus = tmp_path / "fisheries"
    shutil.copytree(Path(__file__).parent / "data" / "fisheries", corpus)
    questions = tmp_path / "own.jsonl"
    _own_eval_set(corpus, questions)
    monkeypatch.setenv("QA_MODEL", "hashing")
    monkeypatch.setenv("QA_CORPUS_DIR", str(corpus))
    monkeypatch.setenv("QA_INDEX_DIR", str(tmp_path / "index"))
    default = abstain.calibration_path("hashing")
    assert not default.exists()

    assert main(["calibrate", "--set", str(questions), "--max-false-refusals", "1.0"]) == 0
    out = capsys.readouterr().out
    own = corpus / "calibration" / "hashing.json"
    assert f"wrote {own}" in out and "refused, test half of own.jsonl, new:" in out
    assert not default.exists()  # the package's default is left alone
    fitted = json.loads(own.read_text(encoding="utf-8"))
    assert fitted["model"] == "hashing" and "own.jsonl" in fitted["fitted_on"]
    assert [s["name"] for s in fitted["stages"]] == ["subject", "specific"]

    engine = Engine.load(Settings.from_env(), rebuild="never")  # a calibration needs no rebuild
    assert engine.calibration is not None and engine.calibration.source == str(own)
    assert main(["eval", "--set", str(questions), "--no-peers"]) == 0
    assert f"this collection's own: {own}" in capsys.readouterr().out

    assert main(["calibrate", "--set", str(tmp_path / "missing.jsonl")]) == 1  # a set that is not there
    assert f"eval set {tmp_path / 'missing.jsonl'} not found" in capsys.readouterr().err
    assert json.loads(own.read_text(encoding="utf-8")) == fitted  # the collection's models are kept as they were

    own.write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelError, match=r"calibrate --set .*or delete it to use the default"):
        Engine.load(Settings.from_env(), rebuild="never")


def test_a_collection_without_its_own_models_uses_the_default(tmp_path):
    from qa import abstain

    default = abstain.load_calibration("e5+bundled", tmp_path)
    assert default is not None and default.source == str(abstain.calibration_path("e5+bundled"))
    assert abstain.load_calibration("no-such-model", tmp_path) is None


def test_the_default_fit_takes_the_tuning_halves_of_split_sets_and_leaves_a_report_only_set_out(monkeypatch, tmp_path, capsys):
    import shutil
    from pathlib import Path

    from qa import abstain
    from qa.cli import main
    from qa.eval import dataset

    corpus = tmp_path / "fisheries"
    shutil.copytree(Path(__file__).parent / "data" / "fisheries", corpus)
    sets = tmp_path / "eval"
    sets.mkdir()
    _own_eval_set(corpus, sets / "split.jsonl")
    rows = [json.loads(line) for line in (sets / "split.jsonl").read_text(encoding="utf-8").splitlines()]
    with open(sets / "report.jsonl", "w", encoding="utf-8") as out:  # every question in the test half
        for row in rows:
            out.write(json.dumps({**row, "id": f"report-{row['id']}", "split": "test"}) + "\n")
    monkeypatch.setattr(dataset, "EVAL_DIR", sets)
    monkeypatch.setattr(abstain, "CALIBRATION_DIR", tmp_path / "calibration")
    monkeypatch.setenv("QA_MODEL", "hashing")
    monkeypatch.setenv("QA_CORPUS_DIR", str(corpus))
    monkeypatch.setenv("QA_INDEX_DIR", str(tmp_path / "index"))

    assert main(["calibrate", "--max-false-refusals", "1.0"]) == 0
    fitted = json.loads((tmp_path / "calibration" / "hashing.json").read_text(encoding="utf-8"))
    tuning = sum(row["split"] == "tune" for row in rows)
    assert fitted["fitted_on"] == f"tuning halves of split.jsonl ({tuning} questions)"
    out = capsys.readouterr().out
    assert "test half of split.jsonl" in out and "report.jsonl" not in out


def test_questions_refused_before_any_judging_are_left_out_of_the_fit(tuning):
    # A question in another language, searched with a model that reads English only, is refused
    # with no signals read: it has nothing to fit on, and once made the fit fail with a KeyError.
    questions, rows = tuning
    unread = [EvalQuestion(f"fr-{i}", "paraphrase", "q", (), "tune") for i in range(3)]
    with_unread = fit("bundled", questions + unread, rows + [{}] * 3, max_false_refusals=0.05)
    alone = fit("bundled", questions, rows, max_false_refusals=0.05)
    assert with_unread.calibration.stages == alone.calibration.stages
    assert with_unread.rates == alone.rates


def test_a_model_given_as_a_folder_keeps_its_calibration_beside_the_others(tmp_path):
    from qa import abstain

    for model in ("/opt/models/all-mpnet-base-v2", "e5+/opt/models/mpnet", "~/models/my model"):
        path = abstain.calibration_path(model)
        assert path.parent == abstain.CALIBRATION_DIR, model
        assert "/" not in path.name and " " not in path.name
        own = abstain.calibration_path(model, tmp_path)
        assert own.parent == tmp_path / abstain.COLLECTION_CALIBRATION
    assert abstain.calibration_path("e5+bundled").name == "e5+bundled.json"  # the shipped files keep their names
    assert abstain.calibration_path("/a/b") != abstain.calibration_path("/a/c")


@pytest.mark.parametrize("model", ["e5", "bundled", "e5+bundled"])
def test_every_model_setting_the_readme_offers_has_fitted_abstention_models(model):
    # Without them a model is judged by MiniLM's similarity threshold: E5 alone, whose similarities
    # all sit above it, answered every question, a cake recipe too.
    from qa import abstain

    calibration = abstain.load_calibration(model)
    assert calibration is not None, f"run: QA_MODEL={model} python -m qa calibrate"
    views = model.count("+")
    for stage in calibration.stages:
        assert all(not f.startswith("view") or int(f[4:].split("_")[0]) <= views for f in stage.features), stage.name


def test_a_model_without_fitted_abstention_models_is_said_to_be_judged_by_a_threshold(monkeypatch, bundled_corpus_copy, tmp_path):
    from qa import abstain
    from qa.config import Settings
    from qa.embed import HashingEmbedder
    from qa.pipeline import Engine

    said = []
    settings = Settings.from_env(corpus_dir=bundled_corpus_copy, index_dir=tmp_path / "index", model="e5")
    monkeypatch.setattr(abstain, "load_calibration", lambda model, corpus_dir=None: None)
    Engine.load(settings, embedder=HashingEmbedder(), progress=False, log=said.append)
    assert any("no abstention models are fitted for QA_MODEL=e5" in s and "python -m qa calibrate" in s for s in said)
    said.clear()
    Engine.load(Settings.from_env(corpus_dir=bundled_corpus_copy, index_dir=tmp_path / "index", model="e5",
                                  calibrated=False), embedder=HashingEmbedder(), progress=False, log=said.append)
    assert not any("abstention" in s for s in said)  # asked for the threshold: nothing to warn of
