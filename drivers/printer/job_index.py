"""Which jobs a printer has already printed, on disk, so a retry never prints twice.

Keys are stored hashed: a job key may be built from an application number, and
this file outlives the session. Writes go to a temporary file and ``os.replace``,
so a power cut leaves the old index or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path

from PIL import Image

from drivers.printer.base import PrintResult


class JobIndex:
    """A small JSON map from hashed job key to the PrintResult of its first print."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    @staticmethod
    def _digest(job_key: str) -> str:
        return hashlib.sha256(job_key.encode("utf-8")).hexdigest()

    def _load(self) -> dict[str, dict]:
        try:
            with open(self.path, encoding="utf-8") as f:
                return json.load(f)
        except FileNotFoundError:
            return {}

    def get(self, job_key: str) -> PrintResult | None:
        """The first result for ``job_key``; image paths are kept relative to the index."""
        entry = self._load().get(self._digest(job_key))
        if entry is None:
            return None
        image = entry.get("image")
        return PrintResult(job_id=entry["job_id"], pages=entry.get("pages", 1),
                           image_path=str(self.path.parent / image) if image else None)

    def put(self, job_key: str, result: PrintResult) -> None:
        entries = self._load()
        image = Path(result.image_path).name if result.image_path else None
        entries[self._digest(job_key)] = {"job_id": result.job_id, "pages": result.pages,
                                          "image": image}
        self._write(entries)

    def _write(self, entries: dict[str, dict]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=self.path.name + ".", suffix=".tmp",
                                   dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(entries, f, indent=1, sort_keys=True)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


def save_png_atomically(image: Image.Image, path: Path) -> None:
    """Write a PNG under a temporary name first, so no reader sees half an image."""
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            image.save(f, "PNG")
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
