"""PWG Raster (PWG 5102.4), the page format every IPP Everywhere printer takes.

A stream is the sync word ``RaS2`` and then, for each page, a 1796-byte big-endian
header followed by the compressed pixels. Each group of identical lines is a repeat
byte (lines - 1) and the line as runs: a control byte 0..127 repeats the next pixel
(n + 1) times, 129..255 copies (257 - n) literal pixels, and 128 fills the rest of the
line with white. The pages here are 8-bit sRGB or 8-bit sGray, the two types a colour
card printer announces in pwg-raster-document-type-supported.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass

from PIL import Image

SYNC = b"RaS2"
HEADER_SIZE = 1796
_SGRAY, _SRGB = 18, 19

# Offsets of the header fields used here (PWG 5102.4 table 1).
_OFF_HWRES = 276
_OFF_DUPLEX = 272
_OFF_NUM_COPIES = 340
_OFF_PAGE_SIZE = 352
_OFF_TUMBLE = 368
_OFF_WIDTH = 372
_OFF_BITS_PER_COLOR = 384
_OFF_COLOR_ORDER = 396
_OFF_COLOR_SPACE = 400
_OFF_NUM_COLORS = 420
_OFF_TOTAL_PAGES = 452
_OFF_CROSS_FEED = 456
_OFF_PRINT_QUALITY = 484
_OFF_RENDERING_INTENT = 1668
_OFF_PAGE_SIZE_NAME = 1732


class PwgRasterError(ValueError):
    """Bytes that are not a PWG raster stream this module understands."""


@dataclass(frozen=True)
class PageInfo:
    width: int
    height: int
    dpi: tuple[int, int]
    color_space: int
    bits_per_pixel: int
    duplex: bool
    tumble: bool
    total_pages: int
    page_size_pt: tuple[int, int]
    page_size_name: str

    @property
    def mode(self) -> str:
        return "RGB" if self.color_space == _SRGB else "L"


def _cstring(text: str) -> bytes:
    raw = text.encode("ascii")[:63]
    return raw + b"\x00" * (64 - len(raw))


def page_header(image: Image.Image, dpi: int, *, total_pages: int, duplex: bool = False,
                tumble: bool = False, page_size_name: str = "", quality: int = 0) -> bytes:
    """The 1796-byte header for one page of ``image`` (mode "RGB" or "L")."""
    rgb = image.mode == "RGB"
    header = bytearray(HEADER_SIZE)
    header[0:64] = _cstring("PwgRaster")
    struct.pack_into(">I", header, _OFF_DUPLEX, int(duplex))
    struct.pack_into(">II", header, _OFF_HWRES, dpi, dpi)
    struct.pack_into(">I", header, _OFF_NUM_COPIES, 1)
    struct.pack_into(">II", header, _OFF_PAGE_SIZE, round(image.width * 72 / dpi),
                     round(image.height * 72 / dpi))
    struct.pack_into(">I", header, _OFF_TUMBLE, int(tumble))
    bpp = 24 if rgb else 8
    struct.pack_into(">IIIIIII", header, _OFF_WIDTH, image.width, image.height, 0, 8, bpp,
                     image.width * bpp // 8, 0)
    struct.pack_into(">I", header, _OFF_COLOR_SPACE, _SRGB if rgb else _SGRAY)
    struct.pack_into(">I", header, _OFF_NUM_COLORS, 3 if rgb else 1)
    struct.pack_into(">I", header, _OFF_TOTAL_PAGES, total_pages)
    struct.pack_into(">ii", header, _OFF_CROSS_FEED, 1, 1)
    struct.pack_into(">I", header, _OFF_PRINT_QUALITY, quality)
    header[_OFF_RENDERING_INTENT:_OFF_RENDERING_INTENT + 64] = _cstring("")
    header[_OFF_PAGE_SIZE_NAME:_OFF_PAGE_SIZE_NAME + 64] = _cstring(page_size_name)
    return bytes(header)


def _pack_line(line: bytes, bpp: int) -> bytes:
    """One line as pixel runs: repeats of up to 128 equal pixels, literals of up to 128."""
    out = bytearray()
    n = len(line) // bpp
    px = [line[i * bpp:(i + 1) * bpp] for i in range(n)]
    i = 0
    while i < n:
        j = i + 1
        while j < n and j - i < 128 and px[j] == px[i]:
            j += 1
        if j - i > 1:  # a run of equal pixels
            out.append(j - i - 1)
            out += px[i]
            i = j
            continue
        # literal: extend while the next pixel differs from the one after it
        j = i + 1
        while j < n and j - i < 128 and (j + 1 >= n or px[j] != px[j + 1]):
            j += 1
        count = j - i
        if count == 1:
            out.append(0)  # a single pixel is a "repeat once"
        else:
            out.append(257 - count)
        out += b"".join(px[i:j])
        i = j
    return bytes(out)


def encode_page(image: Image.Image) -> bytes:
    """The compressed pixels of one page (the header is written separately)."""
    bpp = 3 if image.mode == "RGB" else 1
    stride = image.width * bpp
    data = image.tobytes()
    out = bytearray()
    y = 0
    while y < image.height:
        line = data[y * stride:(y + 1) * stride]
        repeat = 1
        while (y + repeat < image.height and repeat < 256
               and data[(y + repeat) * stride:(y + repeat + 1) * stride] == line):
            repeat += 1
        out.append(repeat - 1)
        out += _pack_line(line, bpp)
        y += repeat
    return bytes(out)


def encode(pages: Iterable[Image.Image], dpi: int, *, duplex: bool = False, tumble: bool = False,
           page_size_name: str = "", color: bool = True) -> bytes:
    """A whole PWG raster stream: every page converted to sRGB (or sGray) 8-bit."""
    images = [p.convert("RGB" if color else "L") for p in pages]
    out = bytearray(SYNC)
    for image in images:
        out += page_header(image, dpi, total_pages=len(images), duplex=duplex, tumble=tumble,
                           page_size_name=page_size_name)
        out += encode_page(image)
    return bytes(out)


def _read_header(raw: bytes) -> PageInfo:
    if raw[:9] != b"PwgRaster":
        raise PwgRasterError("page header does not start with PwgRaster")

    def u32(offset: int) -> int:
        return struct.unpack_from(">I", raw, offset)[0]

    width, height = u32(_OFF_WIDTH), u32(_OFF_WIDTH + 4)
    bits_per_color, bits_per_pixel = u32(_OFF_BITS_PER_COLOR), u32(_OFF_BITS_PER_COLOR + 4)
    color_space = u32(_OFF_COLOR_SPACE)
    if bits_per_color != 8 or (color_space, bits_per_pixel) not in ((_SRGB, 24), (_SGRAY, 8)):
        raise PwgRasterError(f"unsupported page type: space {color_space}, {bits_per_pixel} bpp")
    if u32(_OFF_BITS_PER_COLOR + 8) != width * bits_per_pixel // 8:
        raise PwgRasterError("BytesPerLine does not match Width")
    name = raw[_OFF_PAGE_SIZE_NAME:_OFF_PAGE_SIZE_NAME + 64].split(b"\x00")[0].decode("ascii",
                                                                                      "replace")
    return PageInfo(width, height, (u32(_OFF_HWRES), u32(_OFF_HWRES + 4)), color_space,
                    bits_per_pixel, bool(u32(_OFF_DUPLEX)), bool(u32(_OFF_TUMBLE)),
                    u32(_OFF_TOTAL_PAGES), (u32(_OFF_PAGE_SIZE), u32(_OFF_PAGE_SIZE + 4)), name)


def decode(data: bytes) -> list[tuple[PageInfo, Image.Image]]:
    """Every page of a stream, as its header and its picture."""
    if data[:4] != SYNC:
        raise PwgRasterError("not a PWG raster stream (no RaS2 sync word)")
    pos, pages = 4, []
    while pos < len(data):
        if pos + HEADER_SIZE > len(data):
            raise PwgRasterError("page header cut short")
        info = _read_header(data[pos:pos + HEADER_SIZE])
        pos += HEADER_SIZE
        bpp = info.bits_per_pixel // 8
        stride = info.width * bpp
        white = b"\xff" * bpp
        pixels = bytearray()
        y = 0
        try:
            while y < info.height:
                repeat = data[pos] + 1
                pos += 1
                line = bytearray()
                while len(line) < stride:
                    control = data[pos]
                    pos += 1
                    if control == 128:
                        line += white * ((stride - len(line)) // bpp)
                    elif control > 128:
                        count = (257 - control) * bpp
                        line += data[pos:pos + count]
                        pos += count
                    else:
                        line += data[pos:pos + bpp] * (control + 1)
                        pos += bpp
                if len(line) != stride:
                    raise PwgRasterError(f"line {y} overflows its width")
                repeat = min(repeat, info.height - y)
                pixels += bytes(line) * repeat
                y += repeat
        except IndexError:
            raise PwgRasterError("page data cut short") from None
        pages.append((info, Image.frombytes(info.mode, (info.width, info.height), bytes(pixels))))
    return pages
