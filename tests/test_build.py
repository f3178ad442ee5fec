"""Building an index folder: passages embedded in order, terms counted, news linked to statements."""

import json
import zlib

import numpy as np
import pytest

from qa import store
from qa.build import build_index, build_record, embed, twins
from qa.config import BuildSettings, Settings
from qa.corpus import load_collection
from qa.embed import HashingEmbedder
from qa.profile import load_profile
from qa.types import Passage

from conftest import CORPUS


class Recording(HashingEmbedder):
    """The test embedder, remembering the batches it was given."""

    def __init__(self):
        super().__init__(dimension=16)
        self.batches = []

    def encode(self, texts, *, batch_size=32, progress=False):
        self.batches.append(list(texts))
        return super().encode(texts)


def test_embed_batches_by_length_and_returns_rows_in_the_texts_order():
    embedder = Recording()
    texts = ["a much longer text than the others", "short", "mid length text"]
    vectors = embed(embedder, texts, batch=2, progress=False)
    assert embedder.batches == [["short", "mid length text"], ["a much longer text than the others"]]
    np.testing.assert_allclose(vectors, HashingEmbedder(dimension=16).encode(texts), rtol=1e-6)
    assert embed(embedder, [], batch=2, progress=False).shape == (0, 16)


def test_embed_sorts_within_windows_and_writes_each_row_where_asked(monkeypatch):
    import qa.build

    monkeypatch.setattr(qa.build, "EMBED_WINDOW", 2)
    embedder = Recording()
    texts = ["longer one", "a", "bb", "c", "the longest of them all"]
    out = np.zeros((8, 16), dtype=np.float32)
    rows = np.array([1, 2, 4, 6, 7])
    embed(embedder, texts, batch=2, progress=False, out=out, rows=rows)
    assert embedder.batches == [["a", "longer one"], ["c", "bb"], ["the longest of them all"]]
    np.testing.assert_allclose(out[rows], HashingEmbedder(dimension=16).encode(texts), rtol=1e-6)
    assert not out[[0, 3, 5]].any()  # rows not asked for are left alone


def passage(pid, para, doc, text):
    return Passage(pid, para, doc, 1, "sentence", text, 0, len(text))


def test_a_news_sentence_is_linked_to_the_official_sentence_it_repeats():
    collection = load_collection(CORPUS)
    passages = [passage("s1", "news-p", "news-washington-2017", "x"), passage("s2", "off-2017", "washington-2017", "x"),
                passage("s3", "off-2019", "washington-2019", "x"), passage("s4", "news-q", "news-washington-2017", "x")]
    vectors = np.array([[1, 0], [0.99, 0.14], [1, 0], [0, 1]], dtype=np.float32)
    # s1 matches 2019 exactly (1.0) and 2017 at 0.99, within the tie of 0.02: the report (March 2017)
    # is linked to the statement dated closest to it. s4 matches nothing above the threshold.
    assert twins(collection, passages, vectors, threshold=0.75, tie=0.02) == [("news-p", "off-2017")]
    assert twins(collection, passages, vectors, threshold=0.75, tie=0.0) == [("news-p", "off-2019")]
    assert twins(collection, passages[1:3], vectors[1:3], threshold=0.75, tie=0.02) == []  # no news: no links


def test_a_build_finds_repeats_in_its_passages_index_as_an_index_of_the_statements_would(tmp_path, monkeypatch):
    import qa.build

    original, compared = qa.build.links, []

    def both(*args, near=None):
        ours, own = original(*args, near=near), original(*args)  # own: the statements' own index
        compared.append((near is not None, ours[0], own[0]))
        return ours

    monkeypatch.setattr(qa.build, "links", both)
    settings = Settings(corpus_dir=CORPUS, index_dir=tmp_path, model="hashing")
    report = build_index(settings, load_collection(CORPUS), load_profile(CORPUS), HashingEmbedder(), progress=False)
    [(searched, ours, own)] = compared
    assert searched and ours and ours == own
    assert json.loads((report.folder / "links.json").read_text())["twins"] == [list(p) for p in ours]
    assert not list(tmp_path.glob(".tmp-vectors-*"))  # the indexes moved into the build; scratch gone


def test_a_build_makes_its_word_views_before_its_passage_indexes_and_lets_the_term_lists_go(tmp_path, monkeypatch):
    import qa.build
    from qa.retrieve.local import LocalStore

    seen = {}
    build_dense, write_store = LocalStore.build_dense, qa.build.write_store

    def dense_spy(folder, vectors, each=None):
        seen["word views ready"] = (folder / "lexical").is_dir() and (folder / "phrases").is_dir()
        return build_dense(folder, vectors, each)

    def store_spy(kind, folder, passages, vectors, records, word_terms, phrase_terms, *rest):
        seen["term lists"] = (word_terms, phrase_terms)
        return write_store(kind, folder, passages, vectors, records, word_terms, phrase_terms, *rest)

    monkeypatch.setattr(LocalStore, "build_dense", staticmethod(dense_spy))
    monkeypatch.setattr(qa.build, "write_store", store_spy)
    settings = Settings(corpus_dir=CORPUS, index_dir=tmp_path, model="hashing")
    report = build_index(settings, load_collection(CORPUS), load_profile(CORPUS), HashingEmbedder(), progress=False)
    assert seen == {"word views ready": True, "term lists": (None, None)}
    assert (report.folder / "lexical").is_dir() and (report.folder / "phrases").is_dir()
    from qa.pipeline import Engine

    engine = Engine.load(settings, embedder=HashingEmbedder(), rebuild="never", progress=False, log=lambda m: None)
    top = engine.search("Egmont Group").hits[0]  # found by its words: the hashing model knows no meaning
    assert "Egmont" in top.text


def test_a_build_writes_the_passages_tables_first_then_keeps_no_passage_text(tmp_path, monkeypatch):
    # A large build holds millions of passages: once their texts and ids are in the store's tables,
    # it keeps only where each stands, and the tables moved into the build are those the whole
    # passages make.
    import qa.build
    from qa.build import paragraph_records
    from qa.chunk import make_passages
    from qa.retrieve.local import TABLE_FILES, LocalStore

    seen = {}
    write_store = qa.build.write_store

    def store_spy(kind, folder, passages, *rest):
        seen["texts kept"] = any(hasattr(p, "text") or hasattr(p, "id") for p in passages)
        seen["passages"] = len(passages)
        return write_store(kind, folder, passages, *rest)

    monkeypatch.setattr(qa.build, "write_store", store_spy)
    settings = Settings(corpus_dir=CORPUS, index_dir=tmp_path / "index", model="hashing")
    collection = load_collection(CORPUS)
    report = build_index(settings, collection, load_profile(CORPUS), HashingEmbedder(), progress=False)
    assert seen == {"texts kept": False, "passages": report.passages}
    expected = tmp_path / "expected"
    expected.mkdir()
    passages = make_passages(collection, settings.build.piece_chars, settings.build.piece_overlap)
    LocalStore.write_tables(expected, passages, paragraph_records(collection.paragraphs()))
    for name in TABLE_FILES:
        assert (report.folder / name).read_bytes() == (expected / name).read_bytes(), name
    assert not list((tmp_path / "index").glob(".tmp-vectors-*"))  # the scratch tables moved in, the rest gone


def test_passage_keys_are_found_among_the_last_builds_as_a_lookup_would_find_them():
    from qa.build import embed_keys, key_rows

    old = embed_keys([f"passage {i}" for i in range(5000)] + ["passage 7"])  # one text twice
    new = embed_keys(["passage 7", "never embedded", "passage 4999", "passage 7", "passage 0", ""])
    rows = key_rows(old, new)
    assert rows.tolist()[1:3] == [-1, 4999] and rows[4] == 0 and rows[5] == -1
    assert {int(rows[0]), int(rows[3])} <= {7, 5000}  # either copy of the repeated text serves
    assert all(old[r] == k for r, k in zip(rows, new) if r >= 0)
    assert key_rows(old[:0], new).tolist() == [-1] * 6 and key_rows(old, new[:0]).tolist() == []
    with pytest.raises(ValueError, match="24 hex digits"):
        key_rows(np.array(["abc"]), new)  # keys of another format: the caller embeds everything again


def test_a_build_writes_the_manifest_links_and_term_counts(tmp_path):
    settings = Settings(corpus_dir=CORPUS, index_dir=tmp_path, model="hashing")
    collection, profile = load_collection(CORPUS), load_profile(CORPUS)
    report = build_index(settings, collection, profile, HashingEmbedder(), progress=False)
    assert report.folder == store.current_build(tmp_path) and report.paragraphs == 54
    manifest = store.read_manifest(report.folder)
    assert manifest["build_settings"] == build_record(settings, profile)
    assert manifest["dense_index"] == "IndexFlatIP" and manifest["counts"]["passages"] == report.passages
    assert set(manifest["files"]) >= {"links.json", "terms.json", "passages.npy", "passages.txt", "paragraphs.npy", "dense.faiss"}
    terms = json.loads((report.folder / "terms.json").read_text())
    assert terms["paragraphs"] == 54
    assert terms["counts"]["egmont"] == 1  # one paragraph names the Egmont Group
    assert terms["counts"]["isi"] > 27  # "ISIS" (every spelling) is in most paragraphs
    links = json.loads((report.folder / "links.json").read_text())["twins"]
    ids = {p.id: d.id for d, p in collection.paragraphs()}
    assert links and all(ids[n] == "news-washington-2017" and ids[o] != ids[n] for n, o in links)


def test_the_build_record_changes_with_every_build_setting_and_the_vocabulary(tmp_path):
    profile = load_profile(CORPUS)
    base = build_record(Settings(), profile)
    assert build_record(Settings(build=BuildSettings(twin_threshold=0.8)), profile) != base
    (tmp_path / "vocabulary.toml").write_text('[[aliases]]\nspellings = ["IMO", "International Maritime Organization"]\n')
    assert build_record(Settings(), load_profile(tmp_path))["profile_fingerprint"] != base["profile_fingerprint"]
    assert set(base) >= {"piece_chars", "twin_threshold", "analyzer", "profile_fingerprint", "store"}


KILLED_BUILD = """
import os, signal, sys
from pathlib import Path
from qa.config import Settings
from qa.embed import HashingEmbedder
from qa.pipeline import Engine
from qa.retrieve.local import LocalStore

written = LocalStore.write

def write_then_die(folder, *args, **kwargs):  # killed inside the write step, its files half there
    written(folder, *args, **kwargs)
    os.kill(os.getpid(), signal.SIGKILL)

LocalStore.write = staticmethod(write_then_die)
settings = Settings(corpus_dir=Path(sys.argv[1]), index_dir=Path(sys.argv[2]), model="hashing")
Engine.load(settings, embedder=HashingEmbedder(), rebuild="always", progress=False, log=lambda m: None)
"""


def test_a_build_killed_inside_its_write_step_leaves_the_last_build_in_use(tmp_path):
    import subprocess
    import sys

    from qa.pipeline import Engine

    index = tmp_path / "index"
    settings = Settings(corpus_dir=CORPUS, index_dir=index, model="hashing")

    def load(rebuild):
        return Engine.load(settings, embedder=HashingEmbedder(), rebuild=rebuild, progress=False, log=lambda m: None)

    first = load("auto").folder
    killed = subprocess.run([sys.executable, "-c", KILLED_BUILD, str(CORPUS), str(index)], capture_output=True)
    assert killed.returncode == -9, killed.stderr.decode()[-2000:]
    leftovers = [p for p in index.iterdir() if p.name.startswith(".tmp-")]
    assert leftovers and any(p.iterdir() for p in leftovers)  # it died with files written
    assert load("never").folder == first  # the last complete build still answers
    assert load("never").search("detainees in northeast Syria").hits
    second = load("always").folder  # the next build clears what the killed one left
    assert not [p for p in index.iterdir() if p.name.startswith(".tmp-")] and not first.exists()
    assert store.current_build(index) == second


def test_a_model_giving_nan_vectors_stops_the_build_with_a_clear_error():
    from qa.errors import ModelError

    class Damaged(HashingEmbedder):
        name = "damaged"

        def encode(self, texts, **kwargs):
            vectors = super().encode(texts, **kwargs)
            vectors[[i for i, t in enumerate(texts) if "Syria" in t]] = np.nan
            return vectors

    texts = ["detainees in Syria", "stabilization in Iraq", "Syria again"]
    with pytest.raises(ModelError, match=r"'damaged' gave unusable vectors .* for 2 of 3 passages, the first: "
                                         r"'detainees in Syria'.*damaged"):
        embed(Damaged(), texts, batch=2, progress=False)
    assert embed(HashingEmbedder(), texts, batch=2, progress=False).shape == (3, HashingEmbedder().dimension)


def test_unusable_rows_are_those_with_a_nan_an_infinity_or_no_length():
    from qa.build import _unusable

    vectors = HashingEmbedder().encode([f"text {i}" for i in range(8)])
    vectors[1, 3] = np.nan
    vectors[3] = 0.0
    vectors[5, 0] = np.inf
    vectors[6, 7] = -np.inf
    vectors[7] *= 1e-3  # short, but a direction all the same
    assert _unusable(vectors).tolist() == [1, 3, 5, 6]


class Counting(HashingEmbedder):
    """The test embedder, counting the passages it embeds (not questions)."""

    def __init__(self, fingerprint="hashing-v1"):
        super().__init__()
        self.fingerprint, self.texts = fingerprint, 0

    def encode(self, texts, *, batch_size=32, progress=False, query=False):
        self.texts += 0 if query else len(texts)
        return super().encode(texts)


def test_a_new_build_embeds_only_the_passages_the_last_one_did_not_have(bundled_corpus_copy, tmp_path):
    from qa.pipeline import Engine

    settings = Settings(corpus_dir=bundled_corpus_copy, index_dir=tmp_path / "index", model="hashing")

    def build(embedder, rebuild="auto"):
        return Engine.load(settings, embedder=embedder, rebuild=rebuild, progress=False, log=lambda m: None)

    first = Counting()
    engine = build(first)
    assert first.texts == engine.manifest["counts"]["passages"]  # the first build embeds everything
    # A new statement: only its passages are embedded; the rest come from the last build, unchanged.
    (bundled_corpus_copy / "valletta.txt").write_text(
        "1. Ministers met in Valletta to review maritime patrols in the central Mediterranean.\n\n"
        "2. They agreed to share passenger records between port authorities.\n", encoding="utf-8")
    with open(bundled_corpus_copy / "documents.toml", "a", encoding="utf-8") as f:
        f.write('\n[[documents]]\nid = "valletta-2025"\nfile = "valletta.txt"\ntitle = "Valletta Statement"\n'
                'issuer = "Ministers"\nplace = "Valletta"\ndate = "2025-05-02"\nsource_type = "official"\n')
    second = Counting()
    grown = build(second)
    new = [p for p in grown.paragraphs.values() if p[0].id == "valletta-2025"]
    assert len(new) == 2 and second.texts == 4  # two paragraphs: one piece and one sentence each
    assert grown.search("passenger records at ports", k=1).hits[0].doc_id == "valletta-2025"
    old_id = next(pid for pid, (doc, _) in engine.paragraphs.items() if doc.id == "rome-2021")
    pid = engine.store.sentences(old_id)[0].id
    np.testing.assert_allclose(grown.store.similarity(np.ones(256, dtype=np.float32) / 16, [pid]),
                               engine.store.similarity(np.ones(256, dtype=np.float32) / 16, [pid]), rtol=1e-6)
    # Another model (another fingerprint) reuses nothing.
    other = Counting(fingerprint="hashing-v1-other")
    build(other, rebuild="always")
    assert other.texts == grown.manifest["counts"]["passages"]


class Knows:
    """An embedder that knows the abbreviations it is told: each of those lands near its long
    form; every other abbreviation points away from its long form; other texts go their own way."""

    name, dimension, similar, fingerprint = "knows", 64, 0.75, "knows"

    def __init__(self, known: set[str]):
        self.known = known

    @staticmethod
    def direction(text):
        return np.random.default_rng(zlib.crc32(text.encode())).standard_normal(64)

    def encode(self, texts, *, batch_size=32, progress=False, query=False):
        out = []
        for t in texts:
            long = next((long for long, short in GROUPS + [("Islamic State", "ISIL")] if short == t), None)
            if long is None:
                v = self.direction(t)
            elif t in self.known:
                v = self.direction(long) + 0.1 * self.direction(t)
            else:
                v = -self.direction(long)
            out.append(v / np.linalg.norm(v))
        return np.array(out, dtype=np.float32)


GROUPS = [("foreign terrorist fighters", "FTF"), ("internally displaced persons", "IDP"), ("European Union", "EU"),
          ("United Nations", "UN"), ("countering violent extremism", "CVE"), ("Financial Action Task Force", "FATF")]


def test_the_abbreviations_a_model_does_not_know_are_found_with_their_long_forms():
    from qa.build import unknown_abbreviations

    embedder = Knows({"EU", "UN", "FATF"})
    assert sorted(unknown_abbreviations(embedder, GROUPS)) == [("CVE", "countering violent extremism"),
                                                                ("FTF", "foreign terrorist fighters"),
                                                                ("IDP", "internally displaced persons")]
    # Spellings with lower case or spaces are no abbreviations; too few long forms tell nothing apart.
    assert unknown_abbreviations(embedder, [("Islamic State", "Daesh", "ISIL")] + GROUPS[:4]) == [
        ("ISIL", "Islamic State"), ("FTF", "foreign terrorist fighters"), ("IDP", "internally displaced persons")]
    assert unknown_abbreviations(embedder, GROUPS[:4]) == []


def test_a_question_is_embedded_with_the_long_form_of_an_abbreviation_it_does_not_spell_out():
    from qa.analyze import WordPattern, with_long_forms

    forms = [(WordPattern(short), long, WordPattern(long)) for long, short in GROUPS[:2]]
    assert with_long_forms("FTF returns", forms) == "FTF returns (foreign terrorist fighters)"
    assert with_long_forms("foreign terrorist fighters (FTF) returns", forms) == "foreign terrorist fighters (FTF) returns"
    assert with_long_forms("IDP camps and FTF", forms) == "IDP camps and FTF (foreign terrorist fighters; internally displaced persons)"
    assert with_long_forms("LEFT turn", forms) == "LEFT turn"  # whole words only


def test_a_build_records_each_models_unknown_abbreviations(tmp_path):
    settings = Settings(index_dir=tmp_path / "index", model="hashing")
    collection, profile = load_collection(CORPUS), load_profile(CORPUS)
    report = build_index(settings, collection, profile, [HashingEmbedder(), HashingEmbedder(dimension=64)],
                         progress=False)
    models = json.loads((report.folder / "long_forms.json").read_text())["models"]
    assert len(models) == 2
    # Word hashing puts "FTF" nowhere near "foreign terrorist fighters": both models need the long form.
    assert all(["FTF", "foreign terrorist fighters"] in m for m in models)


def test_a_large_build_keeps_its_vectors_in_a_file_with_the_same_result(bundled_corpus_copy, tmp_path, monkeypatch):
    from qa import build as build_module
    from qa.pipeline import Engine

    def build(name, seen):
        settings = Settings(corpus_dir=bundled_corpus_copy, index_dir=tmp_path / name, model="hashing")
        engine = Engine.load(settings, embedder=HashingEmbedder(), rebuild="always", progress=False, log=lambda m: None)
        seen.extend(p for p in (tmp_path / name).iterdir() if p.name.startswith(".tmp-"))
        return engine

    in_memory = build("memory", [])
    made = []
    real = build_module.RowFile.array

    def spy(self):
        matrix = real(self)
        made.append((type(matrix), self.path.parent))
        return matrix

    monkeypatch.setattr(build_module, "MATRIX_IN_MEMORY", 0)  # every build counts as large
    monkeypatch.setattr(build_module.RowFile, "array", spy)
    leftovers = []
    on_disk = build("disk", leftovers)
    assert made and all(kind is np.memmap for kind, _ in made)
    assert not leftovers and not any(scratch.exists() for _, scratch in made)  # the vector files are gone
    ids = list(in_memory.paragraphs)
    probe = np.ones(HashingEmbedder().dimension, dtype=np.float32)
    for pid in ids[:: max(1, len(ids) // 8)]:
        sentences = [p.id for p in in_memory.store.sentences(pid)]
        np.testing.assert_array_equal(on_disk.store.similarity(probe, sentences), in_memory.store.similarity(probe, sentences))
    question = "detainees in northeast Syria"
    assert [h.paragraph_id for h in on_disk.search(question).hits] == [h.paragraph_id for h in in_memory.search(question).hits]


def test_repeats_are_found_alike_through_a_compressed_ivf_index_and_an_exact_one(monkeypatch):
    from qa.retrieve import dense

    collection = load_collection(CORPUS)
    official = [d.id for d in collection.documents if d.source_type == "official"]
    rng = np.random.default_rng(4)
    base = rng.standard_normal((600, 32)).astype(np.float32)
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    repeated = rng.choice(600, size=20, replace=False)
    copies = base[repeated] + 0.05 * rng.standard_normal((20, 32)).astype(np.float32)
    copies /= np.linalg.norm(copies, axis=1, keepdims=True)
    passages = [passage(f"o{i}", f"op{i}", official[i % len(official)], "x") for i in range(600)]
    passages += [passage(f"n{i}", f"np{i}", "news-washington-2017", "x") for i in range(20)]
    vectors = np.vstack([base, copies])
    exact = twins(collection, passages, vectors, threshold=0.9, tie=0.0)
    assert sorted(exact) == sorted((f"np{i}", f"op{r}") for i, r in enumerate(repeated))
    monkeypatch.setattr(dense, "EXACT_LIMIT", 50)
    monkeypatch.setattr(dense, "QUANTIZER_HNSW", 4)  # 15 lists, found through an HNSW graph
    assert sorted(twins(collection, passages, vectors, threshold=0.9, tie=0.0)) == sorted(exact)


def test_a_build_taken_a_few_paragraphs_at_a_time_writes_the_same_index(bundled_corpus_copy, tmp_path, monkeypatch):
    # A large build takes its paragraphs a group at a time (documents split across groups), its
    # words analysed in worker processes meanwhile; every file it writes is the one-group build's.
    from qa import build as build_module
    from qa import workers

    def build(name):
        settings = Settings(corpus_dir=bundled_corpus_copy, index_dir=tmp_path / name, model="hashing")
        return build_index(settings, load_collection(bundled_corpus_copy), load_profile(bundled_corpus_copy),
                           HashingEmbedder(), progress=False)

    whole = build("whole")
    monkeypatch.setattr(build_module, "STREAM_PARAGRAPHS", 7)
    monkeypatch.setattr(workers, "PARALLEL_MIN", 10)
    monkeypatch.setattr(workers, "SLICE", 13)
    monkeypatch.setattr(workers, "workers_available", lambda: 2)
    grouped = build("grouped")
    assert (grouped.paragraphs, grouped.passages) == (whole.paragraphs, whole.passages) and whole.paragraphs > 7 * 5
    files = sorted(p.relative_to(whole.folder) for p in whole.folder.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(grouped.folder) for p in grouped.folder.rglob("*") if p.is_file())
    different = [str(f) for f in files if (whole.folder / f).read_bytes() != (grouped.folder / f).read_bytes()]
    assert set(different) <= {"manifest.json"}
    manifests = [json.loads((r.folder / "manifest.json").read_text()) for r in (whole, grouped)]
    assert [{k: v for k, v in m.items() if k != "created"} for m in manifests][0] == \
        {k: v for k, v in manifests[1].items() if k != "created"}  # all but the time it was made
    assert not list((tmp_path / "grouped").glob(".tmp-*"))  # the parts and the scratch files are gone


def test_a_grouped_builds_progress_bar_estimates_its_total_from_the_groups_so_far(tmp_path, monkeypatch):
    # A million paragraphs take hours to embed: the bar gives a total, and so a time left, from the
    # first group on; it is exact once the last group is in. Nothing to embed: no total, no bar.
    import tqdm as tqdm_module

    from qa import build as build_module

    bars = []

    class Recorder(tqdm_module.tqdm):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **{**kwargs, "disable": True})
            self.totals = []
            bars.append(self)

        def update(self, n=1):
            self.totals.append(self.total)
            self.done = getattr(self, "done", 0) + n

    monkeypatch.setattr(tqdm_module, "tqdm", Recorder)
    monkeypatch.setattr(build_module, "STREAM_PARAGRAPHS", 7)
    settings = Settings(corpus_dir=CORPUS, index_dir=tmp_path / "index", model="hashing")
    first = build_index(settings, load_collection(CORPUS), load_profile(CORPUS), HashingEmbedder(), progress=True)
    bar = bars[-1]
    assert bar.done == first.embedded == first.passages and first.paragraphs > 7 * 5
    assert None not in bar.totals and bar.totals[-1] == first.embedded  # exact at the end
    assert len(set(bar.totals)) > 1  # an estimate before
    again = build_index(settings, load_collection(CORPUS), load_profile(CORPUS), HashingEmbedder(), progress=True,
                        grow=False)
    assert again.embedded == 0 and bars[-1].total is None and not bars[-1].totals


def test_passage_keys_are_twelve_bytes_and_an_older_builds_hex_keys_are_still_reused(tmp_path):
    # Keys were kept as 24 hex digits (430 MB for a million paragraphs' passages); now 12 bytes.
    # A build made before still lends its vectors, and a statement added to it keeps its format.
    from qa.build import KEY_TYPE, OLD_KEY_TYPE, embed_keys, key_numbers, keys_like

    keys = embed_keys(["alpha", "beta", ""])
    assert keys.dtype == KEY_TYPE and keys.nbytes == 36
    old = keys_like(keys, OLD_KEY_TYPE)
    assert old.tolist()[0] == __import__("hashlib").blake2b(b"alpha", digest_size=12).hexdigest()
    assert all(np.array_equal(a, b) for a, b in zip(key_numbers(keys), key_numbers(old)))
    settings = Settings(corpus_dir=CORPUS, index_dir=tmp_path / "index", model="hashing")
    first = build_index(settings, load_collection(CORPUS), load_profile(CORPUS), HashingEmbedder(), progress=False)
    path = first.folder / "embed_keys.npy"
    np.save(path, keys_like(np.load(path), OLD_KEY_TYPE))  # as an older build wrote them
    manifest = json.loads((first.folder / "manifest.json").read_text())
    manifest["files"]["embed_keys.npy"] = {"size": path.stat().st_size,
                                           "sha256": __import__("hashlib").sha256(path.read_bytes()).hexdigest()}
    (first.folder / "manifest.json").write_text(json.dumps(manifest))
    again = build_index(settings, load_collection(CORPUS), load_profile(CORPUS), HashingEmbedder(), progress=False,
                        grow=False)
    assert again.reused == again.passages and again.embedded == 0
    assert np.load(again.folder / "embed_keys.npy").dtype == KEY_TYPE


def test_a_large_builds_compressed_index_keeps_the_builds_own_vector_file_linked_not_copied(tmp_path, monkeypatch):
    # A million paragraphs' vectors are 6.9 GB a model: the file the build appended them to
    # becomes the compressed index's full vectors as it is.
    from pathlib import Path

    from qa import build as build_module
    from qa.build import embed_texts
    from qa.chunk import make_passages
    from qa.retrieve import dense

    monkeypatch.setattr(build_module, "MATRIX_IN_MEMORY", 0)
    monkeypatch.setattr(build_module, "STREAM_PARAGRAPHS", 20)
    monkeypatch.setattr(dense, "EXACT_LIMIT", 50)  # a compressed IVF index, with its vectors beside it
    linked = []
    real_link = dense.os.link
    monkeypatch.setattr(dense.os, "link", lambda a, b: linked.append((Path(a).name, Path(b).name)) or real_link(a, b))
    settings = Settings(corpus_dir=CORPUS, index_dir=tmp_path / "index", model="hashing")
    report = build_index(settings, load_collection(CORPUS), load_profile(CORPUS), HashingEmbedder(), progress=False)
    assert ("vectors-0.npy", "dense.faiss.vectors.npy") in linked
    stored = np.load(report.folder / "dense.faiss.vectors.npy")
    assert stored.shape == (report.passages, HashingEmbedder().dimension)
    collection = load_collection(CORPUS)
    passages = make_passages(collection, settings.build.piece_chars, settings.build.piece_overlap)
    texts = embed_texts(settings, collection, passages)
    np.testing.assert_array_equal(stored[:40], HashingEmbedder().encode(texts[:40]))
