"""Read ESC/POS bytes back: commands, text lines, raster pictures, QR payloads, cuts.

For tests only. ``Tokenizer`` splits a byte stream into whole commands (it is also
the fake printer's parser, so it takes bytes as they come); ``decode`` replays a
capture the way a printer would and says what ended up on paper. Commands this
reader does not know raise ValueError: a test should notice a byte it cannot explain.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PIL import Image

ESC, FS, GS, DLE = 0x1B, 0x1C, 0x1D, 0x10
_INVERT = bytes(255 - i for i in range(256))

# Commands of fixed length: prefix -> total length in bytes.
_FIXED = {
    (ESC, ord("@")): 2, (ESC, ord("2")): 2, (ESC, ord("a")): 3, (ESC, ord("E")): 3,
    (ESC, ord("!")): 3, (ESC, ord("d")): 3, (ESC, ord("J")): 3, (ESC, ord("3")): 3,
    (ESC, ord("-")): 3, (ESC, ord("M")): 3, (ESC, ord("t")): 3, (ESC, ord("R")): 3,
    (ESC, ord("G")): 3, (ESC, ord("{")): 3, (ESC, ord("V")): 3, (ESC, ord(" ")): 3,
    (ESC, ord("$")): 4, (ESC, ord("\\")): 4, (ESC, ord("p")): 5, (ESC, ord("c")): 4,
    (ESC, ord("e")): 3, (ESC, ord("U")): 3, (ESC, ord("=")): 3, (ESC, ord("r")): 3,
    (ESC, ord("v")): 2,
    (FS, ord("&")): 2, (FS, ord(".")): 2, (FS, ord("!")): 3, (FS, ord("C")): 3,
    (FS, ord("-")): 3, (FS, ord("S")): 4, (FS, ord("W")): 3, (FS, ord("p")): 4,
    (GS, ord("!")): 3, (GS, ord("r")): 3, (GS, ord("a")): 3, (GS, ord("B")): 3,
    (GS, ord("L")): 4, (GS, ord("W")): 4, (GS, ord("H")): 3, (GS, ord("h")): 3,
    (GS, ord("w")): 3, (GS, ord("f")): 3, (GS, ord("I")): 3, (GS, ord("P")): 4,
    (GS, ord("b")): 3,
    (DLE, 0x04): 3, (DLE, 0x05): 3,
}
_NAMES = {ESC: "ESC", FS: "FS", GS: "GS", DLE: "DLE"}
_DLE_NAMES = {0x04: "EOT", 0x05: "ENQ", 0x14: "DC4"}


@dataclass(frozen=True)
class Command:
    """One whole command, e.g. name "GS v 0", "ESC a", "DLE EOT", "TEXT", "LF"."""

    name: str
    raw: bytes


def _length(buf: bytes | bytearray, i: int) -> int | None:
    """Length of the command at ``buf[i]``; None if more bytes are needed."""
    first = buf[i]
    if first >= 0x20:
        end = i
        while end < len(buf) and buf[end] >= 0x20:
            end += 1
        return end - i if end < len(buf) else None  # a run may go on in the next chunk
    if first not in (ESC, FS, GS, DLE):
        return 1
    if len(buf) - i < 2:
        return None
    second = buf[i + 1]
    have = len(buf) - i

    def need(n: int) -> int | None:
        return n if have >= n else None

    fixed = _FIXED.get((first, second))
    if fixed is not None:
        return need(fixed)
    if first == DLE and second == 0x14:
        if have < 3:
            return None
        return need({1: 5, 2: 5, 8: 10}[buf[i + 2]])
    if first == GS and second == ord("V"):
        if have < 3:
            return None
        return need(3 if buf[i + 2] in (0, 1, 48, 49) else 4)
    if first == GS and second == ord("v"):
        if have < 8:
            return None
        width = buf[i + 4] + 256 * buf[i + 5]
        height = buf[i + 6] + 256 * buf[i + 7]
        return need(8 + width * height)
    if first == GS and second == ord("("):
        if have < 5:
            return None
        return need(5 + buf[i + 3] + 256 * buf[i + 4])
    if first == ESC and second == ord("*"):
        if have < 5:
            return None
        n = buf[i + 3] + 256 * buf[i + 4]
        return need(5 + n * (1 if buf[i + 2] in (0, 1) else 3))
    raise ValueError(f"unknown command {bytes(buf[i:i + 3]).hex(' ')} at byte {i}")


def _name(raw: bytes) -> str:
    first = raw[0]
    if first >= 0x20:
        return "TEXT"
    if first == 0x0A:
        return "LF"
    if first not in _NAMES:
        return f"CTRL {first:02x}"
    if first == DLE:
        return "DLE " + _DLE_NAMES.get(raw[1], f"{raw[1]:02x}")
    name = f"{_NAMES[first]} {chr(raw[1])}"
    if raw[:3] in (b"\x1dv0", b"\x1d(k", b"\x1d(L"):
        name += " " + chr(raw[2])
    return name


class Tokenizer:
    """Whole commands out of a byte stream that arrives in pieces."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[Command]:
        self._buf += data
        out, i = [], 0
        while i < len(self._buf):
            n = _length(self._buf, i)
            if n is None:
                break
            raw = bytes(self._buf[i:i + n])
            out.append(Command(_name(raw), raw))
            i += n
        del self._buf[:i]
        return out

    def end(self) -> list[Command]:
        """What is left at the end of a capture: a last run of text, or nothing."""
        rest = bytes(self._buf)
        self._buf.clear()
        if not rest:
            return []
        if rest[0] >= 0x20 and all(b >= 0x20 for b in rest):
            return [Command("TEXT", rest)]
        raise ValueError(f"capture ends inside a command: {rest[:16].hex(' ')}")


def tokenize(data: bytes) -> list[Command]:
    t = Tokenizer()
    return t.feed(data) + t.end()


@dataclass(frozen=True)
class TextLine:
    text: str
    align: str = "left"
    bold: bool = False
    width: int = 1  # GS ! multipliers
    height: int = 1


@dataclass
class Printout:
    """What a capture puts on paper, in order, plus the queries it carried."""

    lines: list[TextLine] = field(default_factory=list)
    images: list[Image.Image] = field(default_factory=list)
    qr_payloads: list[str] = field(default_factory=list)
    qr_module_dots: list[int] = field(default_factory=list)
    cuts: int = 0
    status_queries: int = 0  # DLE EOT n
    completion_queries: int = 0  # GS r n
    buffer_clears: int = 0  # DLE DC4 fn=8
    order: list[str] = field(default_factory=list)  # "text", "image", "qr", "cut"
    commands: list[Command] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    @property
    def job_commands(self) -> list[Command]:
        """Everything but the status and completion queries and buffer clears."""
        return [c for c in self.commands if c.name not in ("DLE EOT", "GS r", "DLE DC4")]


def raster_image(cmd: Command) -> Image.Image:
    """A GS v 0 command as a black-on-white picture."""
    width = cmd.raw[4] + 256 * cmd.raw[5]
    height = cmd.raw[6] + 256 * cmd.raw[7]
    return Image.frombytes("1", (width * 8, height), cmd.raw[8:].translate(_INVERT))


def _stack(bands: list[Image.Image]) -> Image.Image:
    image = Image.new("1", (max(b.width for b in bands), sum(b.height for b in bands)), 1)
    y = 0
    for band in bands:
        image.paste(band, (0, y))
        y += band.height
    return image


def decode(data: bytes, chinese: bool = False) -> Printout:
    """Replay ``data`` like a printer in GB18030 Chinese mode after FS &.

    ``chinese``: start in Chinese mode, for a capture that begins part way through a
    receipt (the rest of one that a stopped printer held).
    """
    out = Printout(commands=tokenize(data))
    align, bold, width, height = "left", False, 1, 1
    pending, bands, qr_data, module = b"", [], b"", 3

    def end_line() -> None:
        nonlocal pending
        text = pending.decode("gb18030" if chinese else "cp437")
        out.lines.append(TextLine(text, align, bold, width, height))
        out.order.append("text")
        pending = b""

    def end_image() -> None:
        if bands:
            out.images.append(_stack(bands))
            out.order.append("image")
            bands.clear()

    for cmd in out.commands:
        if cmd.name != "GS v 0":
            end_image()
        name, raw = cmd.name, cmd.raw
        if name == "TEXT":
            pending += raw
        elif name == "LF":
            end_line()
        elif name in ("ESC d", "ESC J"):
            if pending:
                end_line()
        elif name == "ESC @":
            chinese, align, bold, width, height = False, "left", False, 1, 1
        elif name == "FS &":
            chinese = True
        elif name == "FS .":
            chinese = False
        elif name == "ESC a":
            align = {0: "left", 1: "center", 2: "right", 48: "left", 49: "center",
                     50: "right"}[raw[2]]
        elif name == "ESC E":
            bold = bool(raw[2] & 1)
        elif name == "GS !":
            width, height = (raw[2] >> 4) + 1, (raw[2] & 0x0F) + 1
        elif name == "GS v 0":
            bands.append(raster_image(cmd))
        elif name == "GS ( k" and raw[5] == 0x31:
            fn = raw[6]
            if fn == 0x43:
                module = raw[7]
            elif fn == 0x50:
                qr_data = raw[8:]
            elif fn == 0x51:
                out.qr_payloads.append(qr_data.decode("utf-8"))
                out.qr_module_dots.append(module)
                out.order.append("qr")
        elif name == "GS V":
            if pending:
                end_line()
            out.cuts += 1
            out.order.append("cut")
        elif name == "DLE EOT":
            out.status_queries += 1
        elif name == "GS r":
            out.completion_queries += 1
        elif name == "DLE DC4":
            out.buffer_clears += int(raw[2] == 8)
    end_image()
    return out


def decode_qr(image: Image.Image) -> list[str]:
    """QR payloads found in a picture, by zbar (Debian libzbar0 + pyzbar)."""
    from pyzbar import pyzbar
    framed = Image.new("L", (image.width + 64, image.height + 64), 255)
    framed.paste(image.convert("L"), (32, 32))
    return [found.data.decode("utf-8") for found in pyzbar.decode(framed)
            if found.type == "QRCODE"]
