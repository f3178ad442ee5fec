import json
import os

import pytest

from qa import store
from qa.errors import StoreError


def write_ok(payload):
    def write(folder):
        (folder / "data.txt").write_text(payload, encoding="utf-8")
    return write


def test_build_becomes_current_with_a_checked_manifest(tmp_path):
    folder = store.write_build(tmp_path, {"model": "m"}, write_ok("one"))
    assert store.current_build(tmp_path) == folder
    manifest = store.read_manifest(folder)
    assert manifest["model"] == "m" and manifest["format"] == store.FORMAT
    assert manifest["files"]["data.txt"]["size"] == 3


def test_crash_mid_build_leaves_the_previous_build_current(tmp_path):
    first = store.write_build(tmp_path, {}, write_ok("one"))

    def crash(folder):
        (folder / "data.txt").write_text("half", encoding="utf-8")
        raise RuntimeError("power cut")

    with pytest.raises(RuntimeError):
        store.write_build(tmp_path, {}, crash)
    assert store.current_build(tmp_path) == first
    assert (first / "data.txt").read_text() == "one"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]


def test_a_new_build_replaces_the_old_one(tmp_path):
    first = store.write_build(tmp_path, {}, write_ok("one"))
    second = store.write_build(tmp_path, {}, write_ok("two"))
    assert store.current_build(tmp_path) == second
    assert not first.exists()


def test_damaged_file_is_detected(tmp_path):
    folder = store.write_build(tmp_path, {}, write_ok("one"))
    (folder / "data.txt").write_text("eno", encoding="utf-8")  # same size, other bytes
    with pytest.raises(StoreError, match=r"does not match its manifest hash.*python -m qa build"):
        store.current_build(tmp_path)
    (folder / "data.txt").write_text("truncated!", encoding="utf-8")
    with pytest.raises(StoreError, match="missing or has the wrong size"):
        store.current_build(tmp_path)


def test_missing_and_foreign_indexes_say_what_to_run(tmp_path):
    with pytest.raises(StoreError, match=r"no index in .* yet; run: python -m qa build"):
        store.current_build(tmp_path)
    (tmp_path / store.POINTER).write_text("build-gone\n")
    with pytest.raises(StoreError, match="not a build"):
        store.current_build(tmp_path)
    folder = tmp_path / "build-x"
    folder.mkdir()
    (tmp_path / store.POINTER).write_text("build-x\n")
    (folder / store.MANIFEST).write_text(json.dumps({"format": 99}))
    with pytest.raises(StoreError, match=f"format 99, this version reads format {store.FORMAT}"):
        store.current_build(tmp_path)
    (folder / store.MANIFEST).write_text("{not json")
    with pytest.raises(StoreError, match="cannot be read"):
        store.current_build(tmp_path)


def test_mismatches_name_what_changed():
    assert store.mismatches({"a": 1, "b": 2}, {"a": 1, "b": 3}) == ["b: index has 2, now 3"]
    # A fingerprint is a hash: what changed is said in words, not as two hex strings.
    assert store.mismatches({"corpus_fingerprint": "109dfe"}, {"corpus_fingerprint": "65b5aa"}) == \
        ["the corpus changed since the index was built"]


@pytest.mark.parametrize("outer_lock", [True, False])
def test_builds_are_serialised_and_current_always_names_a_build(tmp_path, outer_lock):
    import contextlib
    import threading
    import time

    order = []

    def slow(name):
        def write(folder):
            order.append(f"{name} start")
            time.sleep(0.3)
            (folder / "data.txt").write_text(name, encoding="utf-8")
            order.append(f"{name} end")
        return write

    def build(name):  # with or without the caller taking the lock first (qa build does; a script may not)
        with store.build_lock(tmp_path) if outer_lock else contextlib.nullcontext():
            store.write_build(tmp_path, {}, slow(name))

    threads = [threading.Thread(target=build, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert order in (["a start", "a end", "b start", "b end"], ["b start", "b end", "a start", "a end"])
    assert (store.current_build(tmp_path) / "data.txt").read_text() in ("a", "b")
    assert len([p for p in tmp_path.iterdir() if p.name.startswith("build-")]) == 1


def test_another_process_holding_the_lock_makes_a_build_wait(tmp_path):
    import subprocess
    import sys
    import time

    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from pathlib import Path; from qa import store\n"
        "with store.build_lock(Path(sys.argv[1])):\n"
        "    print('held', flush=True); time.sleep(1.5)\n"
        "    (Path(sys.argv[1]) / 'released').write_text(str(time.time()))\n"), str(tmp_path)],
        stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    store.write_build(tmp_path, {}, write_ok("after"))
    finished = time.time()
    holder.wait(timeout=20)
    assert float((tmp_path / "released").read_text()) <= finished


def test_what_a_crashed_writer_left_is_removed_by_the_next_build(tmp_path):
    first = store.write_build(tmp_path, {}, write_ok("one"))
    # A killed writer leaves its temporary folder (and maybe a pointer file never swapped in); its
    # lock died with it, so the next build, holding the lock, knows no one is writing them.
    (tmp_path / ".tmp-killed").mkdir()
    (tmp_path / ".tmp-killed" / "vectors.bin").write_bytes(b"half")
    (tmp_path / f".{store.POINTER}.dead").write_text("build-nowhere\n")
    (tmp_path / ".tmp-vectors-mine").mkdir()  # the running build's own scratch folder stays
    second = store.write_build(tmp_path, {}, write_ok("two"), busy=tmp_path / ".tmp-vectors-mine")
    assert sorted(p.name for p in tmp_path.iterdir() if p.name not in (".lock", store.HASHES)) == [
        ".tmp-vectors-mine", store.POINTER, second.name]
    assert not first.exists()


def test_a_new_build_is_not_hashed_again_on_its_first_load_nor_a_linked_file_at_all(tmp_path, monkeypatch):
    from qa import filehash

    first = store.write_build(tmp_path, {}, write_ok("one"))
    hashed = []
    real = filehash.sha256_of
    monkeypatch.setattr(filehash, "sha256_of", lambda p: hashed.append(p.name) or real(p))
    assert store.current_build(tmp_path) == first and hashed == []  # its writer's digests were remembered

    def linked(folder):
        (folder / "base").mkdir()
        for f in first.iterdir():
            if f.name != store.MANIFEST:
                os.link(f, folder / "base" / f.name)
        (folder / "new.txt").write_text("two")

    first_files = store.read_manifest(first)["files"]
    known = {f"base/{rel}": e for rel, e in first_files.items()}
    monkeypatch.setattr(store, "sha256_of", lambda p: hashed.append(p.name) or real(p))
    second = store.write_build(tmp_path, {}, linked, known=known)
    assert hashed == ["new.txt"]  # the linked files' digests were taken from the build they came from
    assert store.read_manifest(second)["files"]["base/data.txt"] == first_files["data.txt"]
    assert store.current_build(tmp_path) == second and hashed == ["new.txt"]
    (second / "new.txt").write_text("TWO")  # changed in place, same size: hashed again, and found damaged
    with pytest.raises(StoreError, match="does not match its manifest hash"):
        store.current_build(tmp_path)


def test_mismatches_inside_a_table_name_only_the_entries_that_differ():
    have = {"build_settings": {"piece_chars": 600, "analyzer": 4}}
    want = {"build_settings": {"piece_chars": 400, "analyzer": 4, "store": "faiss"}}
    assert store.mismatches(have, want) == ["build_settings: index has piece_chars=600, now 400",
                                            "build_settings: index has store=None, now 'faiss'"]
