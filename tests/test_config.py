"""Settings: defaults in code, QA_* environment variables, validation that names the variable."""

import pytest

from qa.config import Settings
from qa.errors import ConfigError


def test_environment_overrides_defaults_and_is_converted():
    settings = Settings.from_env(env={"QA_WEIGHT_PHRASE": "0.5", "QA_PIECE_CHARS": "400", "QA_DENSE_CONTEXT": "yes"})
    assert (settings.weight_phrase, settings.piece_chars, settings.dense_context) == (0.5, 400, True)
    assert Settings.from_env(env={}).weight_phrase == Settings().weight_phrase


@pytest.mark.parametrize("env, message", [
    ({"QA_WEIGHT_PHRASE": "-1"}, "QA_WEIGHT_PHRASE=-1.0 is negative"),
    ({"QA_WEIGHT_LEXICAL": "lots"}, "QA_WEIGHT_LEXICAL='lots' is not a number"),
    ({"QA_MODE": "magic"}, "QA_MODE='magic' is not one of hybrid, dense, bm25"),
    ({"QA_PIECE_CHARS": "50"}, "QA_PIECE_CHARS=50 is too small"),
])
def test_bad_values_name_the_variable(env, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Settings.from_env(env=env)
