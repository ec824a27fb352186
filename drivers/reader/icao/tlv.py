"""BER-TLV as ICAO 9303 uses it in the LDS files (COM, DG1, DG2, DG11, DG12, SOD wrapper).

A tiny codec of its own, because asn1crypto's parser rejects the two-byte tags
5F01..5F1E ("non-minimal tag encoding" in DER terms) that the LDS is full of.
Tags are handled as the integer of their raw bytes (0x5F1F, 0x7F61), the way
ICAO 9303-10 writes them. Lengths are definite (short form or 81/82/83/84).
Anything else is ``MalformedChipData``; the message says where, never what.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from drivers.reader.icao.errors import MalformedChipData

_MAX_TAG_BYTES = 3
_MAX_LENGTH_BYTES = 4


@dataclass(frozen=True)
class Tlv:
    """One decoded element; ``value`` is its content octets."""

    tag: int
    value: bytes = field(repr=False)
    constructed: bool

    def children(self) -> list[Tlv]:
        """The elements inside a constructed element."""
        if not self.constructed:
            raise MalformedChipData(f"tag {self.tag:X} is primitive, expected constructed")
        return parse_all(self.value)

    def find(self, tag: int) -> Tlv | None:
        """The first direct child with ``tag``, or None."""
        return next((c for c in self.children() if c.tag == tag), None)

    def require(self, tag: int) -> Tlv:
        """The first direct child with ``tag``; its absence is malformed data."""
        found = self.find(tag)
        if found is None:
            raise MalformedChipData(f"tag {tag:X} missing in {self.tag:X}")
        return found


def _read_header(data: bytes, pos: int) -> tuple[int, bool, int, int]:
    """Tag, constructed flag, content length and content offset of the element at ``pos``."""
    end = len(data)
    if pos >= end:
        raise MalformedChipData(f"no tag at offset {pos}")
    first = data[pos]
    constructed = bool(first & 0x20)
    tag, pos = first, pos + 1
    if first & 0x1F == 0x1F:
        for count in range(_MAX_TAG_BYTES):
            if pos >= end:
                raise MalformedChipData(f"tag truncated at offset {pos}")
            byte = data[pos]
            tag, pos = (tag << 8) | byte, pos + 1
            if not byte & 0x80:
                break
            if count == _MAX_TAG_BYTES - 1:
                raise MalformedChipData(f"tag too long at offset {pos}")
    if pos >= end:
        raise MalformedChipData(f"length missing at offset {pos}")
    length, pos = data[pos], pos + 1
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > _MAX_LENGTH_BYTES:
            raise MalformedChipData(f"unsupported length form {length:02X} at offset {pos - 1}")
        if pos + count > end:
            raise MalformedChipData(f"length truncated at offset {pos}")
        length = int.from_bytes(data[pos:pos + count], "big")
        pos += count
    if pos + length > end:
        raise MalformedChipData(f"value of tag {tag:X} runs {pos + length - end} bytes past the end")
    return tag, constructed, length, pos


def iter_tlvs(data: bytes) -> Iterator[tuple[Tlv, int]]:
    """Consecutive elements in ``data`` with the offset just after each."""
    data = bytes(data)
    pos = 0
    while pos < len(data):
        tag, constructed, length, start = _read_header(data, pos)
        pos = start + length
        yield Tlv(tag, data[start:pos], constructed), pos


def parse_all(data: bytes) -> list[Tlv]:
    """Every element of a concatenation; trailing junk is malformed."""
    return [tlv for tlv, _ in iter_tlvs(data)]


def parse_one(data: bytes, *, expect: int | None = None, allow_trailing: bool = True) -> Tlv:
    """The first element of a file, optionally checking its tag.

    Trailing bytes are tolerated by default: some chips pad files beyond the TLV.
    """
    data = bytes(data)
    tag, constructed, length, start = _read_header(data, 0)
    if not allow_trailing and start + length != len(data):
        raise MalformedChipData(f"{len(data) - start - length} bytes after the element")
    if expect is not None and tag != expect:
        raise MalformedChipData(f"expected tag {expect:X}, found {tag:X}")
    return Tlv(tag, data[start:start + length], constructed)


def element_length(data: bytes) -> int:
    """Total size (header + value) of the element at the start of ``data``."""
    _, _, length, start = _read_header(bytes(data), 0)
    return start + length


def find_nested(data: bytes, *path: int) -> Tlv | None:
    """Follow ``path`` of tags from the top-level elements of ``data``; None if any step is absent."""
    if not path:
        return None
    current = next((t for t in parse_all(data) if t.tag == path[0]), None)
    for tag in path[1:]:
        if current is None:
            return None
        current = current.find(tag)
    return current


def encode_tag(tag: int) -> bytes:
    """The raw bytes of an ICAO tag integer."""
    if tag < 0:
        raise ValueError("negative tag")
    return tag.to_bytes(max(1, (tag.bit_length() + 7) // 8), "big")


def encode_length(length: int) -> bytes:
    """Short form below 128, else 81..84 long form."""
    if length < 0x80:
        return bytes([length])
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    if len(body) > _MAX_LENGTH_BYTES:
        raise ValueError("value too long for a TLV")
    return bytes([0x80 | len(body)]) + body


def encode(tag: int, value: bytes) -> bytes:
    """One element: tag, definite length, value."""
    return encode_tag(tag) + encode_length(len(value)) + bytes(value)


def encode_constructed(tag: int, *children: bytes) -> bytes:
    """A constructed element around already-encoded children."""
    return encode(tag, b"".join(children))
