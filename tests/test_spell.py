"""Misspellings: matched to the collection's nearest word, never a real word or a short name."""

from qa.spell import Speller, words_of

COUNTS = {"financing": 5, "finance": 9, "propaganda": 3, "mosul": 4, "iraq": 20, "hearing": 1, "detainees": 6,
          "territory": 2, "hama": 1, "syria": 8}
LANGUAGE = {"heading", "drone", "iran", "hamas", "iraq"}  # words and names of the language


def test_words_are_counted_lower_case_without_numbers():
    assert words_of(["ISIS financing in 2017", "Financing, and ISIS's networks"]) == {
        "isis": 1, "financing": 2, "in": 1, "and": 1, "isis's": 1, "networks": 1}


def test_a_slip_of_the_keys_is_corrected_to_the_collections_word():
    speller = Speller(COUNTS)
    assert speller.nearest("finacing") == "financing"
    assert speller.nearest("propoganda") == "propaganda"
    assert speller.nearest("Mosull") == "Mosul"  # a capitalised word keeps its capital
    assert speller.nearest("teritory") == "territory"
    text, fixes = speller.correct("ISIS finacing and propoganda in Mosull")
    assert text == "ISIS financing and propaganda in Mosul"
    assert fixes == (("finacing", "financing"), ("propoganda", "propaganda"), ("Mosull", "Mosul"))


def test_words_and_names_of_the_language_and_short_words_are_left_alone():
    speller = Speller(COUNTS, keep=lambda: LANGUAGE)
    assert speller.nearest("financing") is None  # the collection's own word
    assert speller.nearest("heading") is None  # a word of the language, not a slip for "hearing"
    assert speller.nearest("Iran") is None and speller.nearest("Hamas") is None  # names of the language
    assert speller.nearest("Irak") == "Iraq" and speller.nearest("Syra") == "Syria"  # slips in names are not
    assert speller.nearest("Ira") is None  # three letters: too short to tell
    assert speller.nearest("2017") is None and speller.nearest("f1nance") is None
    assert speller.nearest("xylophone") is None  # nothing near


def test_two_edits_only_in_long_words_and_the_commonest_candidate_wins():
    speller = Speller({"finance": 9, "fiancee": 1, "detainees": 6})
    assert speller.nearest("finanse") == "finance"  # one edit from "finance", two from "fiancee"
    assert speller.nearest("detanes") is None  # seven letters: one edit at most, and it is two away
    assert speller.nearest("detanies") == "detainees"  # eight letters: two edits allowed
    assert Speller({"financ": 1, "finance": 5}).nearest("financs") == "finance"  # same distance: the commoner


def test_among_equally_near_words_one_that_sounds_the_same_comes_before_a_commoner_one():
    speller = Speller({"sail": 40, "spill": 3, "oil": 9})
    assert speller.nearest("spil") == "spill"  # a doubled letter typed once, not "sail" with a letter changed
    assert speller.nearest("sial") == "sail"  # nothing sounds alike: the nearest


def test_a_word_spelt_as_it_sounds_gets_one_edit_more():
    speller = Speller({"dolphins": 2, "committee": 3, "detainees": 6, "hold": 4}, keep=lambda: LANGUAGE)
    assert speller.nearest("dolfins") == "dolphins"  # "ph" written "f": two edits in seven letters
    assert speller.nearest("Comitee") == "Committee"  # a doubled letter written once, twice
    assert speller.nearest("detanes") is None  # two edits that do not sound alike: still too far
    assert speller.nearest("dolfin") is None  # three edits ("ph" as "f", no "s")


def test_a_name_with_its_i_and_y_changed_places_sounds_the_same():
    speller = Speller({"libya": 3, "syria": 5, "lisbon": 2}, keep=lambda: LANGUAGE)
    assert speller.nearest("Lybia") == "Libya"  # two letters apart, so two edits in five letters
    assert speller.nearest("Sirya") == "Syria"
    assert speller.nearest("Lybea") is None  # two edits, and "e" for "y" sounds otherwise: too far


def test_words_are_counted_alike_however_many_texts_are_read_at_once(monkeypatch):
    from collections import Counter

    from qa import spell

    texts = ["Foreign fighters' return-", "-ing home", "Da'esh", "", "Mosul Mosul", "x2 ISIS"] * 5
    one_by_one = sum((Counter(w.lower() for w in spell.WORD.findall(t)) for t in texts), Counter())
    for at_once in (1, 4, 1000):
        monkeypatch.setattr(spell, "WORDS_AT_ONCE", at_once)
        assert spell.words_of(texts) == spell.words_of(iter(texts)) == one_by_one
    assert one_by_one["mosul"] == 10 and one_by_one["return"] == 5 and one_by_one["ing"] == 5


def test_two_neighbouring_letters_swapped_are_one_slip():
    # Levenshtein counts a swap as two edits, too many for a word under LONG_WORD letters.
    speller = Speller({**COUNTS, "safety": 7, "authority": 3, "incidents": 2}, keep=LANGUAGE)
    assert speller.nearest("Saftey") == "Safety"
    assert speller.nearest("iarq") == "iraq"
    assert speller.nearest("Hmaas") is None  # two swaps in a short word are two edits
    text, fixes = speller.correct("the Joint Saftey Autority in tunnel incidnets")
    assert text == "the Joint Safety Authority in tunnel incidents"
    assert ("Saftey", "Safety") in fixes


def test_a_name_of_the_collection_typed_as_two_words_is_joined():
    speller = Speller({**COUNTS, "alppass": 4, "counterterrorism": 2, "counter": 1}, keep=LANGUAGE | {"alp", "pas"})
    text, fixes = speller.correct("trips with the Alp Pas in Mosul")
    assert text == "trips with the Alppass in Mosul" and fixes == (("Alp Pas", "Alppass"),)
    assert speller.correct("counter terrorism")[0] == "counter terrorism"  # "counter" is the collection's word
    assert Speller({"anyone": 3}, keep={"anyone"}).correct("any one of them")[0] == "any one of them"


def test_a_part_of_a_hyphenated_word_is_a_word_of_the_collection():
    speller = Speller({**COUNTS, "isis-khorasan": 3}, keep=LANGUAGE)
    assert speller.nearest("Korasan") == "Khorasan"
    assert speller.nearest("Khorasan") is None  # written so in the collection: nothing to correct


def test_a_spelling_the_collection_names_but_never_writes_is_a_word_of_it():
    speller = Speller(COUNTS, keep=LANGUAGE, also={"khorasan", "x"})
    assert speller.nearest("Korasan") == "Khorasan"
    assert Speller(COUNTS, keep=LANGUAGE).nearest("Korasan") is None
    assert "x" not in speller.counts  # a one-letter spelling is no word to correct to


def test_a_word_the_collection_writes_with_accents_is_found_typed_without_them():
    speller = Speller({"côte": 3, "ménaka": 2, "wörgl": 2}, keep=lambda: {"cote"})
    assert speller.nearest("Cote") == "Côte"  # though "cote" is a word of the language
    assert speller.nearest("Worgl") == "Wörgl" and speller.nearest("menaka") == "ménaka"
    assert speller.nearest("côte") is None  # typed as the collection writes it


def test_a_hyphenated_word_is_corrected_part_by_part_and_never_joined_to_the_next():
    speller = Speller({**COUNTS, "counter-finance": 4, "armed": 3, "forces": 5}, keep=LANGUAGE | {"nuclear", "hq"})
    assert speller.nearest("counter-finanse") == "counter-finance"
    assert speller.nearest("Counter-Finanse") == "Counter-Finance"
    assert speller.nearest("nuclear-armed") is None  # both parts are words: nothing to correct
    text, fixes = speller.correct("the armed-forces HQ")
    assert text == "the armed-forces HQ" and fixes == ()  # not "armed-forcesHQ" made "armed-forces"


def test_a_word_spelt_to_another_standard_is_searched_as_the_collection_spells_it():
    variants = [("isation", "ization"), ("ence", "ense"), ("mme", "m"), ("elled", "eled"), ("tre", "ter")]
    speller = Speller({"stabilization": 4, "organizations": 2, "defense": 3, "program": 2, "filled": 1,
                       "canceled": 1, "centre": 2, "analyzable": 1},
                      keep=LANGUAGE | {"stabilisation", "defence", "filed", "analysable"},
                      variants=variants, inside=[("isa", "iza"), ("ysa", "yza")])
    # words of the language all, and still searched as the collection writes them
    assert speller.nearest("Stabilisation") == "Stabilization" and speller.nearest("defence") == "defense"
    assert speller.nearest("organisations") == "organizations" and speller.nearest("programme") == "program"
    assert speller.nearest("cancelled") == "canceled" and speller.nearest("center") == "centre"  # either way
    assert speller.nearest("filed") is None  # "filled" is another word, not a spelling of it
    assert speller.nearest("analysable") == "analyzable"  # inside the word
    assert Speller({"organizations": 2}, keep={"organisations"}, variants=variants).nearest("organisations") is None
    assert Speller({"defense": 3}, keep={"defence"}).nearest("defence") is None  # a language without pairs
