"""The card's photo handed to a decoder command lives only for the decode, in memory-backed
storage when there is some; a folder a kill left behind is removed at the next start."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from drivers.reader.idcard import photo


def test_a_photo_left_by_a_kill_is_removed_when_the_decoder_starts():
    scratch = Path(photo._scratch() or tempfile.gettempdir())
    left = scratch / (photo._PREFIX + "killed")
    left.mkdir(exist_ok=True)
    (left / "photo.wlt").write_bytes(b"\x00" * photo.WLT_LEN)
    photo.CommandDecoder(f"{sys.executable} -c pass")
    assert not left.exists()


def test_nothing_of_the_photo_stays_after_a_decode():
    scratch = Path(photo._scratch() or tempfile.gettempdir())
    decoder = photo.CommandDecoder(f"{sys.executable} -c pass {{wlt}} {{out}}")
    try:
        decoder.decode(b"\x00" * photo.WLT_LEN)
    except photo.PhotoDecodeError:
        pass  # the command wrote no picture: refused, as it should be
    assert list(scratch.glob(photo._PREFIX + "*")) == []
