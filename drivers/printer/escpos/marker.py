"""The marker file that says a receipt was cut off part way and its rest is not settled."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


class InFlightMarker:
    """A file saying a receipt's body went to the printer and is not settled yet.

    Made (and flushed to disk) before the first byte goes out, removed once the body is
    confirmed on paper or its rest settled, so a kiosk killed mid-receipt knows at its
    next start. It holds no job key and no personal data.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.present = path.exists()

    def set(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "wb") as f:
            f.write(b"receipt body sent, not settled\n")
            f.flush()
            os.fsync(f.fileno())
        directory = os.open(self.path.parent, os.O_RDONLY)
        try:  # the new name itself must survive a power cut
            os.fsync(directory)
        finally:
            os.close(directory)
        self.present = True

    def clear(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        self.present = False

