"""Where uploaded files live: a small interface and a local-disk implementation.

Uploads are staged first (`stage`), validated, recorded in the database, and only after
the commit succeeds moved into place (`publish`); on any failure the staged file is
removed (`discard`), so no file is ever left behind without a row, and no row points at a
half-written file. Names on disk are random keys; the original name lives in the database.

An S3-compatible implementation would provide the same methods (stage to a local temp
file, publish with a PUT, open with a GET).
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from flask import current_app

CHUNK = 64 * 1024


class TooLarge(Exception):
    """The stream is longer than the limit."""


@dataclass
class StagedFile:
    key: str  # the random name the file will have once published
    path: Path  # where it is staged now
    size: int


class Storage(Protocol):
    def stage(self, stream: BinaryIO, limit: int) -> StagedFile: ...

    def publish(self, staged: StagedFile) -> None: ...

    def discard(self, staged: StagedFile) -> None: ...

    def open(self, key: str) -> BinaryIO: ...

    def path(self, key: str) -> Path | None: ...

    def delete(self, key: str) -> None: ...


def new_key() -> str:
    return secrets.token_hex(16)


def _valid_key(key: str) -> bool:
    return len(key) == 32 and all(c in "0123456789abcdef" for c in key)


class LocalDiskStorage:
    """Files under `root/<2 chars>/<key>`; staged under `root/.staging/`."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self.staging = self.root / ".staging"

    def stage(self, stream: BinaryIO, limit: int) -> StagedFile:
        """Copy the stream to a staging file, refusing more than `limit` bytes."""
        self.staging.mkdir(parents=True, exist_ok=True)
        key = new_key()
        fd, name = tempfile.mkstemp(dir=self.staging, prefix=f"{key}.", suffix=".part")
        path = Path(name)
        size = 0
        try:
            with os.fdopen(fd, "wb") as out:
                while True:
                    chunk = stream.read(CHUNK)
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > limit:
                        raise TooLarge()
                    out.write(chunk)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return StagedFile(key=key, path=path, size=size)

    def final_path(self, key: str) -> Path:
        if not _valid_key(key):
            raise ValueError("not a storage key")
        return self.root / key[:2] / key

    def publish(self, staged: StagedFile) -> None:
        target = self.final_path(staged.key)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged.path, target)

    def discard(self, staged: StagedFile) -> None:
        staged.path.unlink(missing_ok=True)

    def open(self, key: str) -> BinaryIO:
        return self.final_path(key).open("rb")

    def path(self, key: str) -> Path | None:
        path = self.final_path(key)
        return path if path.is_file() else None

    def delete(self, key: str) -> None:
        self.final_path(key).unlink(missing_ok=True)

    def files(self) -> list[Path]:
        """Every file stored or staged (tests list them to prove nothing was left behind)."""
        if not self.root.exists():
            return []
        return sorted(p for p in self.root.rglob("*") if p.is_file())

    def clear(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def storage() -> Storage:
    """The app's storage: LIBRARY_STORAGE_PATH, by default instance/uploads."""
    ext = current_app.extensions.get("cop_library_storage")
    if ext is None:
        root = current_app.config.get("LIBRARY_STORAGE_PATH") or os.path.join(
            current_app.instance_path, "uploads"
        )
        ext = current_app.extensions["cop_library_storage"] = LocalDiskStorage(root)
    return ext
