"""sha256 of files, remembered between processes for as long as the file system says a file is unchanged.

Loading a collection hashes every source file (the corpus fingerprint) and every build file the
manifest lists (the damage check): at a million paragraphs that is gigabytes read at every start.
A ``FileHashes`` memo keeps each file's digest beside its path, inode, size, modification time and
change time (which no program can set back), so an unchanged file is not read again; any of them
changing hashes the file again. A memo that cannot be read or written is only slower, never wrong.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from pathlib import Path


def sha256_of(path: Path) -> str:
    """sha256 of a file's bytes, read a megabyte at a time."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class FileHashes:
    """Digests of files, kept in a JSON file (``memo``; None: remember nothing between processes)."""

    def __init__(self, memo: Path | None):
        self._memo, self._known, self._changed = memo, {}, False
        if memo is not None:
            try:
                known = json.loads(memo.read_text(encoding="utf-8"))
                self._known = known if isinstance(known, dict) else {}
            except (OSError, ValueError):
                pass

    @staticmethod
    def _state(path: Path) -> list[int]:
        stat = path.stat()
        return [stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns]

    def sha256(self, path: Path) -> str:
        """The file's sha256: remembered, or read now (and remembered at ``save``)."""
        key = str(path.resolve())
        state = self._state(path)
        entry = self._known.get(key)
        if isinstance(entry, list) and len(entry) == 2 and entry[0] == state and isinstance(entry[1], str):
            return entry[1]
        digest = sha256_of(path)
        if self._state(path) == state:  # not changed while it was read
            self._known[key] = [state, digest]
            self._changed = True
        return digest

    def remember(self, path: Path, digest: str) -> None:
        """Take a file's digest as known (its writer just computed it), as the file is now."""
        self._known[str(path.resolve())] = [self._state(path), digest]
        self._changed = True

    def save(self, keep=None) -> None:
        """Write the memo (atomically) if it learnt anything; ``keep(path)`` chooses the entries kept
        (default: those whose file still exists)."""
        if self._memo is None or not self._changed:
            return
        keep = keep or (lambda p: os.path.exists(p))
        try:
            self._memo.parent.mkdir(parents=True, exist_ok=True)
            tmp = self._memo.with_name(f".{self._memo.name}.{uuid.uuid4().hex[:8]}")
            tmp.write_text(json.dumps({k: v for k, v in self._known.items() if keep(k)}), encoding="utf-8")
            os.replace(tmp, self._memo)
            self._changed = False
        except OSError:
            pass  # only slower next time
