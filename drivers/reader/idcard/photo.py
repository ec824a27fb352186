"""The card's photo: 1,024 bytes of WLT that only the vendor's licensed decoder expands.

WLT is not a public format (GA/T 490: "以二进制数存储的 WLT 文件，该文件可以用专用解码算法生成
JPG 文件或 BMP 文件", as reproduced at wiki.nfc.im, "二代居民身份证"); reader vendors ship a
decoder with their SDK under licence. The kiosk does not guess at it: the site configures
the decoder it is licensed to use, and without one the document has no photo and the
driver says why (``PhotoDecoding.status``), so diagnostics can show it.

Decoders, by the ``photo_decoder`` option:

``library:/path/libwlt.so[:function]``  a shared library, called through ctypes as
    ``int function(const unsigned char *wlt, unsigned char *bmp, int flag)`` with a
    38,862-byte output buffer (a 102 x 126 24-bit BMP), in a child process so a crash in
    the vendor's code cannot take the kiosk down; the output counts if it is an image.
``command:/path/tool {wlt} {out}``  a program that reads the WLT file and writes a BMP,
    PNG or JPEG file; ``{wlt}`` and ``{out}`` are replaced by temporary paths.
``simulated``  the virtual module's own synthetic portraits (never a real card's).
"""

from __future__ import annotations

import io
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Protocol

WLT_LEN = 1024
BMP_LEN = 38862  # 54-byte header + 126 rows of 102 pixels * 3 bytes, padded to 308
SIM_MAGIC = b"ONETRIP-SIM-WLT\x00"
DEFAULT_TIMEOUT_S = 5.0
_PROJECT_ROOT = str(Path(__file__).resolve().parents[3])


class PhotoDecodeError(Exception):
    """The decoder gave no image; the read goes on without a photo."""


class PhotoDecoder(Protocol):
    name: str

    def decode(self, wlt: bytes) -> bytes:
        """The portrait as a JPEG; PhotoDecodeError if it cannot be had."""
        ...


def to_jpeg(image: bytes) -> bytes:
    """A BMP, PNG or JPEG from a decoder, as a JPEG; PhotoDecodeError if it is none."""
    if image[:2] == b"\xff\xd8":
        return image
    try:
        from PIL import Image
        with Image.open(io.BytesIO(image)) as picture:
            out = io.BytesIO()
            picture.convert("RGB").save(out, "JPEG", quality=92)
            return out.getvalue()
    except Exception as exc:  # Pillow raises many kinds for a non-image
        raise PhotoDecodeError(f"decoder output is not an image: {type(exc).__name__}") from exc


class SimulatedDecoder:
    """Maps the virtual module's synthetic WLT blobs back to their synthetic portraits."""

    name = "simulated"

    def decode(self, wlt: bytes) -> bytes:
        if not wlt.startswith(SIM_MAGIC):
            raise PhotoDecodeError("not a simulated WLT blob (a real card needs the "
                                   "licensed decoder)")
        try:
            meta = json.loads(wlt[len(SIM_MAGIC):].rstrip(b"\x00").decode("utf-8"))
            from drivers.camera.synthetic import portrait_jpeg
            return portrait_jpeg(str(meta["key"]), sex=str(meta["sex"]), age=int(meta["age"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise PhotoDecodeError("corrupt simulated WLT blob") from exc


def simulated_wlt(key: str, sex: str, age: int) -> bytes:
    """A 1,024-byte stand-in for a WLT photo that SimulatedDecoder turns into a portrait."""
    meta = json.dumps({"key": key, "sex": sex, "age": age}).encode("utf-8")
    blob = SIM_MAGIC + meta
    if len(blob) > WLT_LEN:
        raise ValueError("persona key too long for a simulated WLT blob")
    return blob + b"\x00" * (WLT_LEN - len(blob))


class CommandDecoder:
    """The vendor's command-line decoder: WLT file in, image file out."""

    name = "command"

    def __init__(self, command: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.argv = shlex.split(command)
        if not self.argv:
            raise ValueError("photo decoder command is empty")
        self.timeout_s = timeout_s
        _remove_left_photos()

    def decode(self, wlt: bytes) -> bytes:
        # The card's photo is personal data: it stays in memory-backed storage when there
        # is some, for the decode only; what a kill left is removed at the next start.
        with tempfile.TemporaryDirectory(prefix=_PREFIX, dir=_scratch()) as folder:
            wlt_path, out_path = Path(folder, "photo.wlt"), Path(folder, "photo.out")
            wlt_path.write_bytes(wlt)
            argv = [a.replace("{wlt}", str(wlt_path)).replace("{out}", str(out_path))
                    for a in self.argv]
            try:
                done = subprocess.run(argv, capture_output=True, timeout=self.timeout_s,
                                      check=False)
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise PhotoDecodeError(f"decoder command failed: {type(exc).__name__}") from exc
            if done.returncode != 0 or not out_path.exists():
                raise PhotoDecodeError(f"decoder command exited {done.returncode}")
            return to_jpeg(out_path.read_bytes())


_PREFIX = "onetrip-wlt-"


def _scratch() -> str | None:
    """/dev/shm (RAM, gone at power-off) when it is there, else the system's temp folder."""
    return "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None


def _remove_left_photos() -> None:
    for folder in Path(_scratch() or tempfile.gettempdir()).glob(_PREFIX + "*"):
        shutil.rmtree(folder, ignore_errors=True)


class LibraryDecoder:
    """The vendor's shared library, run in a child process (see the module's docstring)."""

    name = "library"

    def __init__(self, library: str, function: str = "unpack",
                 timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.library, self.function, self.timeout_s = library, function, timeout_s

    def decode(self, wlt: bytes) -> bytes:
        env = {**os.environ, "PYTHONPATH": _PROJECT_ROOT}
        try:
            done = subprocess.run(
                [sys.executable, "-m", "drivers.reader.idcard.photo", self.library,
                 self.function], input=wlt, capture_output=True, timeout=self.timeout_s,
                env=env, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PhotoDecodeError(f"decoder library failed: {type(exc).__name__}") from exc
        if done.returncode != 0 or not done.stdout:
            raise PhotoDecodeError(f"decoder library gave no image (exit {done.returncode})")
        return to_jpeg(done.stdout)


def _child_decode(library: str, function: str) -> int:
    """In the child: call the library on stdin's WLT, write the image to stdout."""
    import ctypes
    wlt = sys.stdin.buffer.read(WLT_LEN)
    lib = ctypes.CDLL(library)
    call = getattr(lib, function)
    call.restype = ctypes.c_int
    out = ctypes.create_string_buffer(BMP_LEN)
    call(ctypes.c_char_p(wlt), out, ctypes.c_int(1))
    image = out.raw
    if image[:2] != b"BM":
        return 3
    sys.stdout.buffer.write(image)
    return 0


def decoder_from_option(spec: str | None) -> PhotoDecoder | None:
    """The decoder the ``photo_decoder`` option names; None for none. ValueError if bad."""
    if not spec:
        return None
    kind, _, rest = spec.partition(":")
    if kind == "simulated":
        return SimulatedDecoder()
    if kind == "command" and rest.strip():
        return CommandDecoder(rest)
    if kind == "library" and rest.strip():
        library, _, function = rest.rpartition(":") if rest.count(":") else (rest, "", "")
        return LibraryDecoder(library or rest, function or "unpack")
    raise ValueError("photo_decoder must be 'library:PATH[:FUNCTION]', 'command:ARGV' "
                     "or 'simulated'")


class PhotoDecoding:
    """The configured decoder, guarded: a failure is a status, never an exception."""

    def __init__(self, decoder: PhotoDecoder | None) -> None:
        self.decoder = decoder
        self.status = ("no photo decoder configured: photos are not decoded" if decoder is None
                       else f"{decoder.name} decoder configured, not used yet")

    def jpeg(self, wlt: bytes) -> bytes | None:
        if self.decoder is None:
            return None
        if len(wlt) != WLT_LEN:
            self.status = f"photo is {len(wlt)} bytes, not {WLT_LEN}: not decoded"
            return None
        try:
            jpeg = self.decoder.decode(wlt)
        except PhotoDecodeError as exc:
            self.status = f"{self.decoder.name} decoder failed: {exc}"
            return None
        except Exception as exc:  # a decoder must never break a read
            self.status = f"{self.decoder.name} decoder failed: {type(exc).__name__}"
            return None
        self.status = f"{self.decoder.name} decoder ok"
        return jpeg


if __name__ == "__main__":  # the LibraryDecoder's child process
    sys.exit(_child_decode(sys.argv[1], sys.argv[2]))
