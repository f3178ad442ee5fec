"""Chat follow-ups: which messages continue the question before, with places from the metadata."""

import pytest

from qa.followup import FollowUps
from qa.profile import load_profile

from conftest import CORPUS


@pytest.fixture(scope="module")
def follow_ups():
    return FollowUps(load_profile(CORPUS), ["Kuwait", "Kuwait City", "Rome", "Washington"])


@pytest.mark.parametrize(
    "question, searched",
    [("and in 2019?", "detainees in northeast Syria and in 2019?"),
     ("what about the Rome communiqué?", "detainees in northeast Syria what about the Rome communiqué?"),
     ("did they repeat it later?", "detainees in northeast Syria did they repeat it later?"),
     ("How does the Coalition fight ISIS financing?", "How does the Coalition fight ISIS financing?")],
)
def test_follow_ups_are_searched_with_the_question_before(follow_ups, question, searched):
    assert follow_ups.contextualize(question, ["detainees in northeast Syria"]) == searched
    assert follow_ups.contextualize(question, []) == question


def test_places_come_from_the_collection_not_the_code():
    other = FollowUps(load_profile(CORPUS), ["Lisbon"])
    assert other.contextualize("for Lisbon?", ["port security"]) == "port security for Lisbon?"
    assert other.contextualize("for Rome, which hotels are open?", ["port security"]) == "for Rome, which hotels are open?"
    assert other.contextualize("in the Lisbon statement?", ["port security"]).startswith("port security")


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    from qa.embed import HashingEmbedder
    from qa.pipeline import Engine
    from test_pipeline import settings_for

    return Engine.load(settings_for(tmp_path_factory.mktemp("index")), embedder=HashingEmbedder(), progress=False,
                       log=lambda m: None)


@pytest.mark.parametrize("message, kept", [
    ("And what about that in the Kuwait statement?", {"kuwait-2018"}),
    ("And in the Kuwait City statement?", {"kuwait-2018"}),  # the place's words name it, they are no topic
    ("and in 2019?", {"washington-2019"}),
    ("what about the news report?", {"news-washington-2017"}),
    ("and what about Libya in the Rome communiqué?", set()),  # a topic of its own: named documents only lifted
    ("and what about the camps?", set()),  # no document named
])
def test_a_follow_up_that_only_names_documents_is_kept_to_them(engine, message, kept):
    from qa.followup import scope

    assert scope(engine.intent.parse(message), engine.collection.documents) == kept
