"""Settings: defaults in code, QA_* environment variables, validation that names the variable."""

import pytest

from qa.config import BuildSettings, Fusion, Mode, QuerySettings, Settings, Thesaurus
from qa.errors import ConfigError


def test_environment_overrides_defaults_and_is_converted():
    settings = Settings.from_env(env={"QA_WEIGHT_PHRASE": "0.5", "QA_PIECE_CHARS": "400", "QA_DENSE_CONTEXT": "yes",
                                      "QA_MODE": "bm25", "QA_MODEL": "hashing"})
    assert (settings.query.weight_phrase, settings.build.piece_chars, settings.build.dense_context) == (0.5, 400, True)
    assert settings.query.mode is Mode.BM25 and settings.model == "hashing"
    assert Settings.from_env(env={}).query.weight_phrase == QuerySettings().weight_phrase


def test_keyword_overrides_win_over_the_environment_and_none_means_not_given():
    settings = Settings.from_env(env={"QA_FUSION": "rrf", "QA_THESAURUS": "off"}, fusion="weighted", thesaurus=None,
                                 piece_chars="500")
    assert settings.query.fusion is Fusion.WEIGHTED and settings.query.thesaurus is Thesaurus.OFF
    assert settings.build.piece_chars == 500
    with pytest.raises(ConfigError, match="unknown setting 'colour'; the settings are"):
        Settings.from_env(env={}, colour="blue")


def test_settings_are_filed_where_they_act():
    assert "twin_threshold" in {f for f in BuildSettings.__dataclass_fields__}  # changes the build: rebuilds
    assert "abstain_threshold" in {f for f in QuerySettings.__dataclass_fields__}
    assert QuerySettings(mode="dense").mode is Mode.DENSE  # plain strings become the enum
    with pytest.raises(ConfigError, match="QA_THESAURUS='some' is not one of off, lexical, both"):
        QuerySettings(thesaurus="some")


@pytest.mark.parametrize("env, message", [
    ({"QA_WEIGHT_PHRASE": "-1"}, "QA_WEIGHT_PHRASE=-1.0 is negative"),
    ({"QA_WEIGHT_LEXICAL": "lots"}, "QA_WEIGHT_LEXICAL='lots' is not a number"),
    ({"QA_MODE": "magic"}, "QA_MODE='magic' is not one of hybrid, dense, bm25"),
    ({"QA_PIECE_CHARS": "50"}, "QA_PIECE_CHARS=50 is too small"),
    ({"QA_TWIN_THRESHOLD": "1.5"}, "QA_TWIN_THRESHOLD=1.5 must be between 0 (the model's own) and 1"),
    ({"QA_CONFIDENCE_TOP": "0"}, "QA_CONFIDENCE_TOP=0 must be at least 1"),
    ({"QA_SENTENCE_MIX": "2"}, "QA_SENTENCE_MIX=2.0 must be between 0 and 1"),
    ({"QA_ONE_WORD_HOLD": "1.5"}, "QA_ONE_WORD_HOLD=1.5 must be between 0 and 1"),
    ({"QA_MAIN_WORD_SHARE": "-0.1"}, "QA_MAIN_WORD_SHARE=-0.1 must be between 0 and 1"),
])
def test_bad_values_name_the_variable(env, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Settings.from_env(env=env)
