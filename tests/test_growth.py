"""Growth: later statements added to the bundled collection must not make it answer worse.

Three synthetic statements (tests/data/growth: Marrakesh 2022, Riyadh 2023, Washington 2024, the
last sharing its place with the Washington statements of 2017 and 2019) are added to a copy of the
bundled corpus. Then
- every eval question whose first paragraph was a grade-2 gold paragraph still gets one first, or
  (at most twice) a paragraph of a new statement instead;
- questions about the new statements' own facts find them;
- questions naming a new statement by place or year get its paragraph first, and a question naming
  "Washington" and "2019" still gets the 2019 statement, not the 2024 one.

Marked slow: it builds two indexes with the real bundled model (about 40 s each), once per module.
"""

from __future__ import annotations

import shutil
import tomllib

import pytest

from qa.config import Settings
from qa.eval.dataset import DEFAULT_SET, NEWS_CLAIM, EvalQuestion, load_eval_set
from qa.pipeline import Engine

from conftest import CORPUS, DATA

pytestmark = pytest.mark.slow

GROWTH = DATA / "growth"
GROWTH_META = (GROWTH / "documents.toml").read_text(encoding="utf-8")
GROWTH_IDS = frozenset(d["id"] for d in tomllib.loads(GROWTH_META)["documents"])


def _load(corpus, index) -> Engine:
    settings = Settings.from_env(env={}, corpus_dir=corpus, index_dir=index)
    return Engine.load(settings, progress=False, log=lambda m: None)


def _copy_corpus(tmp_path_factory, name: str):
    # What the conftest fixture bundled_corpus_copy does, for a module-scoped fixture (it is per test).
    target = tmp_path_factory.mktemp(name) / "corpus"
    shutil.copytree(CORPUS, target)
    return target


@pytest.fixture(scope="module")
def before(tmp_path_factory) -> Engine:
    """The bundled collection, as it is."""
    corpus = _copy_corpus(tmp_path_factory, "before")
    return _load(corpus, corpus.parent / "index")


@pytest.fixture(scope="module")
def grown(tmp_path_factory) -> Engine:
    """The bundled collection with the three later statements and their metadata appended."""
    corpus = _copy_corpus(tmp_path_factory, "grown")
    for meta in tomllib.loads(GROWTH_META)["documents"]:
        shutil.copyfile(GROWTH / meta["file"], corpus / meta["file"])
    with open(corpus / "documents.toml", "a", encoding="utf-8") as f:
        f.write("\n" + GROWTH_META)
    engine = _load(corpus, corpus.parent / "index")
    assert {d.id for d in engine.collection.documents} >= GROWTH_IDS
    assert engine.collection.warnings == ()
    return engine


def _first(engine: Engine, q: EvalQuestion) -> tuple[bool, tuple[str, int] | None]:
    """Whether the question is answered, and its first paragraph as the eval scores it (news claims
    are traced to a statement: news reports are left out of their ranking)."""
    answer = engine.search(q.question, k=20)
    hits = [h for h in answer.hits if not (q.kind == NEWS_CLAIM and h.source_type == "news")]
    return answer.answerable, ((hits[0].doc_id, hits[0].paragraph) if hits else None)


@pytest.fixture(scope="module")
def eval_firsts(before, grown):
    """Each eval question with its (answered, first paragraph) before and after the growth."""
    questions = load_eval_set(DEFAULT_SET, before.collection)
    return [(q, _first(before, q), _first(grown, q)) for q in questions]


def _top(answer, n):
    return [(h.doc_id, h.paragraph) for h in answer.hits[:n]]


# ---- the original documents' answers -------------------------------------------------------------


@pytest.fixture(scope="module")
def gold_changes(eval_firsts, grown) -> tuple[list[str], list[str], list[str]]:
    """Questions whose first paragraph was grade-2 gold before the growth and is not after: those now
    led by an original paragraph (lost), those now led by a new statement's paragraph (taken), and
    those whose gold paragraph is second in a near tie with an original one (tied)."""
    lost, taken, tied = [], [], []
    for q, (_, was), (_, now) in eval_firsts:
        if not q.answerable:
            continue
        gold = {(g.doc_id, g.paragraph) for g in q.gold if g.grade == 2}
        if was not in gold or now in gold:
            continue
        line = f"{q.id} {q.question!r}: {was} -> {now}"
        if now and now[0] in GROWTH_IDS:
            taken.append(line)
        elif _near_tie(grown, q, gold):
            tied.append(line)
        else:
            lost.append(line)
    return lost, taken, tied


# A gold paragraph second by less than this share of the first's score is a near tie: the order of
# two such paragraphs turns on rounding in the model's arithmetic (it differs between machines).
NEAR_TIE = 0.002


def _near_tie(engine: Engine, q: EvalQuestion, gold: set) -> bool:
    hits = engine.search(q.question, k=2).hits
    return (len(hits) == 2 and (hits[1].doc_id, hits[1].paragraph) in gold
            and hits[0].score - hits[1].score <= NEAR_TIE * abs(hits[0].score))


def test_no_gold_answer_gives_way_to_an_original_paragraph(gold_changes):
    lost, _, tied = gold_changes
    assert lost == [], "first paragraph was grade-2 gold, now an original non-gold one:\n" + "\n".join(lost)
    assert len(tied) <= 1, "gold paragraph now second in a near tie:\n" + "\n".join(tied)


def test_a_gold_answer_a_new_statement_takes_is_still_second(gold_changes, grown):
    """A new statement on the same subject may rightly come first (the synthetic statements speak of
    camps, finance and displacement too); the original answer must then be right behind it."""
    _, taken, _ = gold_changes
    questions = {q.id: q for q in load_eval_set(DEFAULT_SET, grown.collection)}
    fallen = []
    for line in taken:
        q = questions[line.split()[0]]
        gold = {(g.doc_id, g.paragraph) for g in q.gold if g.grade == 2}
        hits = [h for h in grown.search(q.question, k=20).hits if not (q.kind == NEWS_CLAIM and h.source_type == "news")]
        if not gold & set(_top_hits(hits, 2)):
            fallen.append(line)
    assert fallen == [], "a new statement took the first place and the gold fell below second:\n" + "\n".join(fallen)


def _top_hits(hits, n):
    return [(h.doc_id, h.paragraph) for h in hits[:n]]


def test_questions_answered_before_are_still_answered(eval_firsts):
    refused = [f"{q.id} {q.question!r}" for q, (was, _), (now, _) in eval_firsts if q.answerable and was and not now]
    assert refused == [], "answered before the growth, refused after:\n" + "\n".join(refused)


def test_questions_refused_before_are_still_refused(eval_firsts):
    answered = [f"{q.id} {q.question!r}: {now_first}" for q, (was, _), (now, now_first) in eval_firsts
                if not q.answerable and not was and now]
    assert answered == [], "refused before the growth, answered after:\n" + "\n".join(answered)


# ---- the new statements are answerable -------------------------------------------------------------


@pytest.mark.parametrize("question, where", [
    ("How much money went to the Community Resilience Fund for the Lake Chad Basin?", ("marrakesh-2022", 3)),
    ("which new body helps coastal West African countries keep jihadist cells from the Sahel out?",
     ("marrakesh-2022", 2)),
    ("tracking cryptocurrency donations to the terrorists", ("riyadh-2023", 2)),
    ("Where will moderators learn to spot extremist posts in Swahili and Somali?", ("riyadh-2023", 4)),
    ("plan to bring 5,000 people home from the Syrian camps", ("washington-2024", 2)),
    ("How are ISIS supporters using AI to make propaganda?", ("washington-2024", 5)),
])
def test_facts_of_the_new_statements_are_found(grown, question, where):
    answer = grown.search(question, k=5)
    assert answer.answerable, f"refused: {answer.notes}"
    assert where in _top(answer, 3), f"top 3: {_top(answer, 3)}"


# ---- naming a statement ---------------------------------------------------------------------------


@pytest.mark.parametrize("question, where", [
    ("What did the Riyadh statement say about the Counter ISIS Finance Group?", ("riyadh-2023", 2)),
    ("In the 2024 statement, what was said about detainees in northeast Syria?", ("washington-2024", 2)),
    ("What did the Marrakesh communiqué say about new members?", ("marrakesh-2022", 1)),
    ("What did the Marrakech communiqué say about new members?", ("marrakesh-2022", 1)),
    ("the 2022 meeting on training border officers", ("marrakesh-2022", 4)),
])
def test_a_question_naming_a_new_statement_gets_its_paragraph_first(grown, question, where):
    answer = grown.search(question, k=5)
    assert answer.answerable, f"refused: {answer.notes}"
    assert _top(answer, 1) == [where], f"top 3: {_top(answer, 3)}"


@pytest.mark.parametrize("question, where", [
    ("What did the 2019 Washington statement say about detained foreign terrorist fighters?", ("washington-2019", 8)),
    ("Washington 2019 on the human cost of the fight", ("washington-2019", 3)),
])
def test_a_shared_place_with_its_year_still_names_the_old_statement(grown, question, where):
    answer = grown.search(question, k=5)
    assert grown.intent.parse(question).cue_doc_ids == {"washington-2019"}
    assert answer.answerable, f"refused: {answer.notes}"
    assert _top(answer, 1) == [where], f"top 3: {_top(answer, 3)}"


def test_a_word_only_an_added_statement_uses_is_not_taken_as_the_named_statement_s(grown):
    # Before the growth, "donations" occurred nowhere and such a question was refused for it; after,
    # Riyadh 2023 uses it, and a question about Rome 2021 was answered from Riyadh without a word.
    answer = grown.search("What did the Rome communiqué say about donations?", k=3)
    assert "the document named (Rome, 2021) never uses 'donations'; other documents do" in answer.notes, \
        answer.notes
