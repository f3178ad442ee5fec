import pytest

from qa.errors import CorpusError
from qa.profile import load_profile


def write(folder, text: str | bytes):
    data = text.encode("utf-8") if isinstance(text, str) else text
    (folder / "vocabulary.toml").write_bytes(data)
    return folder


# ---- no vocabulary file ----------------------------------------------------------------------

def test_a_collection_without_vocabulary_has_no_aliases_and_is_english(tmp_path):
    profile = load_profile(tmp_path)
    assert profile.language == "english"
    assert profile.aliases == () and profile.lay_words == ()
    assert "about" in profile.framing_words  # the language's framing words still apply
    assert "statement" in profile.document_nouns  # and its common names of documents


def test_without_document_nouns_of_its_own_a_collection_has_the_languages(tmp_path):
    latest = load_profile(tmp_path).pattern("latest")
    assert latest.search("the latest one") and latest.search("the last statement")
    assert not latest.search("the last bulletin")
    own = load_profile(write(tmp_path, 'document_nouns = ["bulletin"]\n')).pattern("latest")
    assert own.search("the last bulletin") and not own.search("the last statement")  # its own replace them


# ---- patterns --------------------------------------------------------------------------------

def test_noun_placeholder_takes_the_document_nouns_singular_or_plural(tmp_path):
    profile = load_profile(write(tmp_path, 'document_nouns = ["statement", "communiqué"]\n'))
    earliest = profile.pattern("earliest")
    assert earliest.search("the first communiqué")
    assert earliest.search("the First Statements")
    assert not earliest.search("the first report")


def test_nouns_placeholder_takes_only_the_plurals(tmp_path):
    across = load_profile(write(tmp_path, 'document_nouns = ["statement", "communiqué"]\n')).pattern("across_documents")
    assert across.search("what do the communiqués say")
    assert not across.search("what does the statement say")


def test_names_placeholder_is_left_for_the_caller(tmp_path):
    profile = load_profile(write(tmp_path, 'document_nouns = ["statement"]\n'))
    assert "{names}" in profile.patterns["follow_up"]
    assert profile.pattern("follow_up", names="rome").search("in Rome?")


# ---- what it reads ---------------------------------------------------------------------------

def test_aliases_lay_words_and_word_lists_are_read(tmp_path):
    profile = load_profile(write(tmp_path, """
news_words = ["News", "report"]
generic_title_words = ["Joint"]
framing_words = ["Ministers"]

[[aliases]]
spellings = ["ISIS", "Daesh"]

[[lay_words]]
terms = ["children"]
words = ["kids"]
"""))
    assert profile.aliases == (("ISIS", "Daesh"),)
    assert profile.lay_words[0].terms == ("children",) and profile.lay_words[0].words == ("kids",)
    assert profile.news_words == ("news", "report")
    assert profile.generic_title_words == frozenset({"joint"})
    assert "ministers" in profile.framing_words and "about" in profile.framing_words


# ---- fingerprint -----------------------------------------------------------------------------

def test_fingerprint_changes_when_the_vocabulary_changes(tmp_path):
    without = load_profile(tmp_path).fingerprint
    first = load_profile(write(tmp_path, 'news_words = ["news"]\n')).fingerprint
    again = load_profile(tmp_path).fingerprint
    edited = load_profile(write(tmp_path, 'news_words = ["news", "report"]\n')).fingerprint
    assert first == again
    assert len({without, first, edited}) == 3


# ---- errors ----------------------------------------------------------------------------------

def test_invalid_toml_names_the_file(tmp_path):
    write(tmp_path, "aliases = [\n")
    with pytest.raises(CorpusError, match=r"vocabulary\.toml is not valid TOML"):
        load_profile(tmp_path)


def test_a_file_not_in_utf8_names_the_line(tmp_path):
    write(tmp_path, b'language = "english"\nnews_words = ["caf\xe9"]\n')
    with pytest.raises(CorpusError, match=r"vocabulary\.toml is not UTF-8 \(line 2\); re-save it as UTF-8"):
        load_profile(tmp_path)


def test_a_language_that_is_not_a_name_is_refused(tmp_path):
    write(tmp_path, "language = 3\n")
    with pytest.raises(CorpusError, match=r"vocabulary\.toml: language must be a name in quotes"):
        load_profile(tmp_path)


def test_an_unknown_language_lists_the_known_ones(tmp_path):
    write(tmp_path, 'language = "klingon"\n')
    with pytest.raises(CorpusError, match=r"language 'klingon' has no file in .*; use one of: english"):
        load_profile(tmp_path)


def test_a_language_name_outside_the_languages_folder_is_refused(tmp_path):
    write(tmp_path, 'language = "../english"\n')
    with pytest.raises(CorpusError, match=r"language '\.\./english' has no file"):
        load_profile(tmp_path)


def test_an_alias_group_with_one_spelling_names_its_entry(tmp_path):
    write(tmp_path, '[[aliases]]\nspellings = ["ISIS", "Daesh"]\n\n[[aliases]]\nspellings = ["CT"]\n')
    with pytest.raises(CorpusError, match=r"vocabulary\.toml: \[\[aliases\]\] entry 2 has 1 spelling; .*two or more"):
        load_profile(tmp_path)


def test_an_alias_spelling_that_is_not_a_string_names_the_field(tmp_path):
    write(tmp_path, '[[aliases]]\nspellings = ["ISIS", 3]\n')
    with pytest.raises(CorpusError, match=r"vocabulary\.toml: spellings must be a list of non-empty strings"):
        load_profile(tmp_path)


def test_a_lay_word_entry_without_words_names_the_field(tmp_path):
    write(tmp_path, '[[lay_words]]\nterms = ["children"]\n')
    with pytest.raises(CorpusError, match=r"vocabulary\.toml: words must be a list of non-empty strings"):
        load_profile(tmp_path)


def test_an_empty_document_noun_names_the_field(tmp_path):
    write(tmp_path, 'document_nouns = ["statement", " "]\n')
    with pytest.raises(CorpusError, match=r"vocabulary\.toml: document_nouns must be a list of non-empty strings"):
        load_profile(tmp_path)


def test_a_word_list_written_as_one_string_names_the_field(tmp_path):
    write(tmp_path, 'news_words = "news"\n')
    with pytest.raises(CorpusError, match=r"vocabulary\.toml: news_words must be a list"):
        load_profile(tmp_path)


@pytest.mark.parametrize("text, key", [
    ("aliases = 5\n", "aliases"),
    ('aliases = ["ISIS", "Daesh"]\n', "aliases"),  # spellings without their [[aliases]] table
    ('[aliases]\nspellings = ["ISIS", "Daesh"]\n', "aliases"),  # one table instead of a list of them
    ("lay_words = true\n", "lay_words"),
])
def test_aliases_or_lay_words_not_written_as_tables_name_the_field(tmp_path, text, key):
    write(tmp_path, text)
    with pytest.raises(CorpusError, match=rf"vocabulary\.toml: {key} must be tables written \[\[{key}\]\]"):
        load_profile(tmp_path)


def test_a_vocabulary_file_saved_with_a_byte_order_mark_is_read(tmp_path):
    (tmp_path / "vocabulary.toml").write_bytes('\ufeff[[aliases]]\nspellings = ["IMO", "International Maritime Organization"]\n'.encode("utf-8"))
    assert load_profile(tmp_path).aliases == (("IMO", "International Maritime Organization"),)


def test_place_forms_are_read_from_the_language_file_both_ways(tmp_path):
    forms = load_profile(tmp_path).place_forms
    assert "Iraq" in forms["baghdad"] and "Baghdad" in forms["iraq"] and "Iraq" in forms["iraqi"]
    assert "iraq" not in (f.lower() for f in forms["iraq"])  # a form is not its own other form


def test_place_forms_not_written_as_lists_of_names_name_the_field(tmp_path, monkeypatch):
    import qa.profile

    languages = tmp_path / "languages"
    languages.mkdir()
    text = (qa.profile.LANGUAGES_DIR / "english.toml").read_text(encoding="utf-8")
    start = text.index("place_forms = [")
    end = text.index("\n]\n", start) + 3
    (languages / "english.toml").write_text(text[:start] + 'place_forms = [["Iraq"]]\n' + text[end:], encoding="utf-8")
    monkeypatch.setattr(qa.profile, "LANGUAGES_DIR", languages)
    with pytest.raises(CorpusError, match="place_forms must be a list of lists of two or more names"):
        load_profile(tmp_path)


def test_a_language_file_without_the_framing_clause_pattern_names_it(tmp_path, monkeypatch):
    import qa.profile

    languages = tmp_path / "languages"
    languages.mkdir()
    text = (qa.profile.LANGUAGES_DIR / "english.toml").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.startswith("framing_clause = ")]
    assert len(lines) == len(text.splitlines()) - 1
    (languages / "english.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setattr(qa.profile, "LANGUAGES_DIR", languages)
    with pytest.raises(CorpusError, match=r"\[patterns\] lacks framing_clause; every language file needs them"):
        load_profile(tmp_path)


def _english_with(tmp_path, monkeypatch, intent_line: str | None):
    """A copy of the English file whose intent_opening line is ``intent_line`` (None: left out)."""
    import qa.profile

    languages = tmp_path / "languages"
    languages.mkdir(exist_ok=True)
    text = (qa.profile.LANGUAGES_DIR / "english.toml").read_text(encoding="utf-8")
    lines = [(intent_line if line.startswith("intent_opening = ") else line) for line in text.splitlines()]
    assert lines != text.splitlines()
    (languages / "english.toml").write_text("\n".join(l for l in lines if l is not None) + "\n", encoding="utf-8")
    monkeypatch.setattr(qa.profile, "LANGUAGES_DIR", languages)


def test_a_language_file_may_leave_out_the_intent_opening_and_then_no_verb_is_dropped(tmp_path, monkeypatch):
    _english_with(tmp_path, monkeypatch, None)
    profile = load_profile(tmp_path)
    assert profile.pattern("intent_opening").search("How does the Coalition plan to act?") is None


def test_an_intent_opening_without_its_verb_group_names_the_fix(tmp_path, monkeypatch):
    _english_with(tmp_path, monkeypatch, r"intent_opening = '^\s*how\s+(does|do)\s+\w+\s+plan\s+to\s+'")
    with pytest.raises(CorpusError, match=r"intent_opening needs a group \(\?P<intent>...\)"):
        load_profile(tmp_path)
