"""The index folder: versioned builds, a manifest checked on load, and atomic replacement.

Layout of ``index/``::

    CURRENT                 name of the build in use (replaced atomically with os.replace)
    .lock                   the build lock (one build at a time, across processes)
    build-<id>/             one complete build: manifest.json, plus the files qa.build and the
                            store write (see qa/build.py and qa/retrieve/local.py)

A build is written into a temporary folder, renamed into place, and only then does CURRENT
point at it; a crash at any step leaves CURRENT naming the previous complete build.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Callable

from qa.errors import StoreError
from qa.filehash import FileHashes, sha256_of

FORMAT = 4  # 2: the store's files behind qa.retrieve, links.json and terms.json; 3: words.json; 4: arrays (.npy), embed_keys.npy
POINTER = "CURRENT"
MANIFEST = "manifest.json"
HASHES = ".hashes.json"  # the build files' digests, remembered while they are unchanged (qa.filehash)
# Files larger than this are checked by size only on load; hashing them would slow every start.
HASH_LIMIT = 64 * 1024 * 1024


def _file_entries(folder: Path, known: dict[str, dict] | None = None) -> dict[str, dict]:
    entries = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST):
        size = path.stat().st_size
        rel = path.relative_to(folder).as_posix()
        entry = {"size": size}
        if known and rel in known and known[rel].get("size") == size:
            entry = dict(known[rel])
        elif size <= HASH_LIMIT:
            entry["sha256"] = sha256_of(path)
        entries[rel] = entry
    return entries


def write_build(index_dir: Path, manifest: dict, write_files: Callable[[Path], dict | None],
                known: dict[str, dict] | None = None, busy: Path | None = None) -> Path:
    """Write a new build and make it current, atomically, holding the build lock.

    Args:
        index_dir: the index folder (created if missing).
        manifest: what built the index; file sizes and hashes are added here.
        write_files: writes the build's data files into the folder it is given, and may return
            more manifest entries (a dict) learnt while writing.
        known: manifest entries of files the new build takes unchanged (hard links to another
            build's files, by their path in the new build): not hashed again.
        busy: a temporary folder of this build's own, in the index folder: kept (the temporary
            folders of crashed builds are removed).

    Returns:
        The new build's folder.
    """
    index_dir.mkdir(parents=True, exist_ok=True)
    with build_lock(index_dir):
        # Holding the lock, no other writer is running: a temporary folder left here is a crashed
        # writer's (a killed process's lock is released by the system), and goes.
        _remove_unused(index_dir, keep=_pointed(index_dir), busy=busy)
        name = f"build-{dt.datetime.now(dt.timezone.utc):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=index_dir))
        try:
            extra = write_files(tmp) or {}
            manifest = {**manifest, **extra, "format": FORMAT, "files": _file_entries(tmp, known)}
            (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
            final = index_dir / name
            os.replace(tmp, final)
            pointer_tmp = index_dir / f".{POINTER}.{uuid.uuid4().hex[:8]}"
            pointer_tmp.write_text(name + "\n", encoding="utf-8")
            with open(pointer_tmp, "rb") as f:
                os.fsync(f.fileno())
            os.replace(pointer_tmp, index_dir / POINTER)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        _remove_unused(index_dir, keep=_pointed(index_dir), busy=busy)
        # After the old builds went: removing a hard link to a file changes the file's change time.
        _remember_hashes(index_dir, final, manifest["files"])
    return final


def _remember_hashes(index_dir: Path, folder: Path, files: dict[str, dict]) -> None:
    """Put a new build's file digests (just computed, or taken from the build it links to) in the
    index folder's memo, so its first load does not read its files again."""
    hashes = FileHashes(index_dir / HASHES)
    for rel, entry in files.items():
        if "sha256" in entry:
            hashes.remember(folder / rel, entry["sha256"])
    hashes.save()


def _pointed(index_dir: Path) -> str | None:
    """The build name CURRENT holds now, or None."""
    try:
        return (index_dir / POINTER).read_text(encoding="utf-8", errors="replace").strip() or None
    except OSError:
        return None


def _remove_unused(index_dir: Path, keep: str | None, busy: Path | None = None) -> None:
    """Remove builds and temporary files that are not current (nor ``busy``, the running build's
    own). Call it holding the build lock: then no other process is writing one, and the pointer
    cannot move while it runs."""
    for path in index_dir.iterdir():
        if path.name == keep or (busy is not None and path.name == busy.name):
            continue
        if path.is_dir() and (path.name.startswith("build-") or path.name.startswith(".tmp-")):
            shutil.rmtree(path, ignore_errors=True)
        elif path.is_file() and path.name.startswith(f".{POINTER}."):  # a pointer never swapped in
            path.unlink(missing_ok=True)


# The lock is re-entrant within a thread (flock is per open file, so a second open of .lock by the
# same process would wait for itself) and excludes other threads of this process by a lock of its own.
_THREAD_LOCKS: dict[Path, threading.RLock] = {}
_DEPTH: dict[Path, int] = {}
_GUARD = threading.Lock()


@contextlib.contextmanager
def build_lock(index_dir: Path):
    """Hold the index folder's build lock: one build at a time, across processes and threads.

    Raises:
        StoreError: in a worker process that is still starting. A large build's workers are
            started fresh ("spawn"), which runs the caller's script again in each; a script that
            builds without an ``if __name__ == "__main__":`` guard would make every worker wait
            for this lock, held by the build that started them, for ever. The error ends the
            worker instead, and the build does the work in its own process (``qa.workers``).
    """
    if _starting_worker():
        raise StoreError(f"a worker process of a build ran the script that builds the index in {index_dir} again; "
                         f"put the script's code under 'if __name__ == \"__main__\":' so that it runs once")
    index_dir.mkdir(parents=True, exist_ok=True)
    key = index_dir.resolve()
    with _GUARD:
        lock = _THREAD_LOCKS.setdefault(key, threading.RLock())
    with lock:
        if _DEPTH.get(key):  # this thread holds it already
            _DEPTH[key] += 1
            try:
                yield
            finally:
                _DEPTH[key] -= 1
            return
        with open(index_dir / ".lock", "w") as handle:
            try:
                import fcntl
            except ImportError:  # no flock on this platform: builds are still atomic, only not serialised
                fcntl = None
            if fcntl is not None:
                fcntl.flock(handle, fcntl.LOCK_EX)
            _DEPTH[key] = 1
            try:
                yield
            finally:
                _DEPTH.pop(key, None)
                if fcntl is not None:
                    fcntl.flock(handle, fcntl.LOCK_UN)


def _starting_worker() -> bool:
    """Whether this process is a multiprocessing worker still running its parent's main script."""
    import multiprocessing

    return bool(getattr(multiprocessing.current_process(), "_inheriting", False))


def current_build(index_dir: Path) -> Path:
    """The folder of the build in use, with its manifest checked against its files.

    Raises:
        StoreError: when there is no build, or it is damaged; the message says to rebuild.
    """
    fix = "run: python -m qa build"
    pointer = index_dir / POINTER
    if not pointer.is_file():
        raise StoreError(f"no index in {index_dir} yet; {fix}")
    name = pointer.read_text(encoding="utf-8", errors="replace").strip()
    folder = index_dir / name
    if not name.startswith("build-") or not folder.is_dir():
        raise StoreError(f"{pointer} names {name!r}, which is not a build in {index_dir}; {fix}")
    manifest = read_manifest(folder)
    hashes = FileHashes(index_dir / HASHES)
    for rel, entry in manifest.get("files", {}).items():
        path = folder / rel
        if not path.is_file() or path.stat().st_size != entry.get("size"):
            raise StoreError(f"index file {path} is missing or has the wrong size (damaged index); {fix}")
        if "sha256" in entry and hashes.sha256(path) != entry["sha256"]:
            raise StoreError(f"index file {path} does not match its manifest hash (damaged index); {fix}")
    hashes.save()
    return folder


def read_manifest(folder: Path) -> dict:
    path = folder / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StoreError(f"index manifest {path} cannot be read ({exc}); run: python -m qa build") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else None
        raise StoreError(
            f"index manifest {path} is format {found!r}, this version reads format {FORMAT}; run: python -m qa build"
        )
    return manifest


def mismatches(manifest: dict, expected: dict) -> list[str]:
    """What differs between a build's manifest and what the current settings would build."""
    out = []
    for key, want in expected.items():
        have = manifest.get(key)
        if have == want:
            continue
        if isinstance(have, dict) and isinstance(want, dict):  # name the entries that differ, not the whole table
            for sub in sorted(set(have) | set(want)):
                if have.get(sub) != want.get(sub):
                    out.append(f"{key}: index has {sub}={have.get(sub)!r}, now {want.get(sub)!r}")
        elif key.endswith("_fingerprint"):  # a hash: say what changed, not two hex strings
            out.append(f"the {key.removesuffix('_fingerprint')} changed since the index was built")
        else:
            out.append(f"{key}: index has {have!r}, now {want!r}")
    return out
