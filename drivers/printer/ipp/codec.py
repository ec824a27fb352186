"""IPP messages to bytes and back (RFC 8010). Decoding is strict: a truncated or
inconsistent answer raises :class:`IppMalformed`, never an ``IndexError`` or
``struct.error`` from deep inside."""

from __future__ import annotations

import datetime as dt
import struct
from typing import Any

from drivers.printer.ipp.codes import DELIMITERS, OUT_OF_BAND, STRING_TAGS, Tag
from drivers.printer.ipp.errors import IppMalformed
from drivers.printer.ipp.values import Attribute, Group, IppMessage, Resolution


def _encode_value(tag: int, value: Any) -> bytes:
    if tag in OUT_OF_BAND:
        return b""
    if tag in (Tag.INTEGER, Tag.ENUM):
        return struct.pack(">i", int(value))
    if tag == Tag.BOOLEAN:
        return b"\x01" if value else b"\x00"
    if tag == Tag.RESOLUTION:
        res = value if isinstance(value, Resolution) else Resolution(*value)
        return struct.pack(">iib", res.x, res.y, res.units)
    if tag == Tag.RANGE:
        low, high = value
        return struct.pack(">ii", low, high)
    if tag == Tag.DATE_TIME:
        return _encode_datetime(value)
    if tag in (Tag.TEXT_WITH_LANGUAGE, Tag.NAME_WITH_LANGUAGE):
        language, text = value
        lang, txt = language.encode("ascii"), text.encode("utf-8")
        return struct.pack(">H", len(lang)) + lang + struct.pack(">H", len(txt)) + txt
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8")


def _encode_datetime(value: dt.datetime) -> bytes:
    """RFC 2579 DateAndTime: 11 octets, local time plus the offset from UTC."""
    offset = value.utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = b"+" if minutes >= 0 else b"-"
    minutes = abs(minutes)
    return (struct.pack(">HBBBBBB", value.year, value.month, value.day, value.hour,
                        value.minute, value.second, value.microsecond // 100000)
            + sign + bytes((minutes // 60, minutes % 60)))


def _encode_one(out: bytearray, tag: int, name: str, value: Any) -> None:
    name_bytes = name.encode("ascii")
    if tag == Tag.BEGIN_COLLECTION:
        out += struct.pack(">BH", tag, len(name_bytes)) + name_bytes + b"\x00\x00"
        for member, member_value in value.items():
            member_bytes = member.encode("ascii")
            out += struct.pack(">BHH", Tag.MEMBER_NAME, 0, len(member_bytes)) + member_bytes
            member_tag, member_values = _member_tag(member_value)
            for v in member_values:
                _encode_one(out, member_tag, "", v)
        out += struct.pack(">BHH", Tag.END_COLLECTION, 0, 0)
        return
    encoded = _encode_value(tag, value)
    if len(encoded) > 0xFFFF:
        raise ValueError(f"IPP value of {name or 'member'} is too long")
    out += struct.pack(">BH", tag, len(name_bytes)) + name_bytes
    out += struct.pack(">H", len(encoded)) + encoded


def _member_tag(value: Any) -> tuple[int, list[Any]]:
    """Collection members are given as plain Python values or as ``attr(...)`` results."""
    if isinstance(value, Attribute):
        return value.tag, value.values
    values = value if isinstance(value, list) else [value]
    sample = values[0]
    if isinstance(sample, bool):
        return Tag.BOOLEAN, values
    if isinstance(sample, int):
        return Tag.INTEGER, values
    if isinstance(sample, dict):
        return Tag.BEGIN_COLLECTION, values
    if isinstance(sample, Resolution):
        return Tag.RESOLUTION, values
    return Tag.KEYWORD, values


def encode_message(message: IppMessage) -> bytes:
    out = bytearray(struct.pack(">BBHI", message.version[0], message.version[1],
                                message.code, message.request_id))
    for group in message.groups:
        out.append(group.tag)
        for attribute in group:
            for i, value in enumerate(attribute.values or [None]):
                tag = attribute.tags[i] if i < len(attribute.tags) else attribute.tag
                _encode_one(out, tag, attribute.name if i == 0 else "", value)
    out.append(Tag.END)
    return bytes(out) + message.data


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, n: int, what: str) -> bytes:
        if self.pos + n > len(self.data):
            raise IppMalformed(f"IPP answer cut short reading {what} at byte {self.pos}")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def u8(self, what: str) -> int:
        return self.take(1, what)[0]

    def u16(self, what: str) -> int:
        return struct.unpack(">H", self.take(2, what))[0]


def _decode_value(tag: int, raw: bytes, name: str) -> Any:
    def need(n: int) -> None:
        if len(raw) != n:
            raise IppMalformed(f"IPP value of {name!r} has {len(raw)} bytes, tag 0x{tag:02x} "
                               f"needs {n}")

    if tag in OUT_OF_BAND:
        return None
    if tag in (Tag.INTEGER, Tag.ENUM):
        need(4)
        return struct.unpack(">i", raw)[0]
    if tag == Tag.BOOLEAN:
        need(1)
        return raw != b"\x00"
    if tag == Tag.RESOLUTION:
        need(9)
        return Resolution(*struct.unpack(">iib", raw))
    if tag == Tag.RANGE:
        need(8)
        return struct.unpack(">ii", raw)
    if tag == Tag.DATE_TIME:
        need(11)
        return _decode_datetime(raw, name)
    if tag in (Tag.TEXT_WITH_LANGUAGE, Tag.NAME_WITH_LANGUAGE):
        if len(raw) < 4:
            raise IppMalformed(f"IPP value of {name!r} is too short for a string with language")
        n = struct.unpack(">H", raw[:2])[0]
        if 2 + n + 2 > len(raw):
            raise IppMalformed(f"IPP value of {name!r}: bad language length")
        m = struct.unpack(">H", raw[2 + n:4 + n])[0]
        if 4 + n + m != len(raw):
            raise IppMalformed(f"IPP value of {name!r}: bad text length")
        return raw[4 + n:].decode("utf-8", "replace")
    if tag in STRING_TAGS:
        return raw.decode("utf-8", "replace")
    return raw  # octetString and tags we do not know: the bytes as sent


def _decode_datetime(raw: bytes, name: str) -> dt.datetime:
    year, month, day, hour, minute, second, decis = struct.unpack(">HBBBBBB", raw[:8])
    sign, off_h, off_m = raw[8:9], raw[9], raw[10]
    offset = dt.timedelta(hours=off_h, minutes=off_m) * (-1 if sign == b"-" else 1)
    try:
        return dt.datetime(year, month, day, hour, minute, min(second, 59), decis * 100000,
                           tzinfo=dt.timezone(offset))
    except ValueError as exc:
        raise IppMalformed(f"IPP value of {name!r} is not a date: {exc}") from None


def _read_attribute_head(r: _Reader) -> tuple[int, str, bytes]:
    tag = r.u8("value tag")
    if tag == Tag.EXTENSION:
        raise IppMalformed("IPP extension tags (0x7f) are not supported")
    name = r.take(r.u16("name length"), "attribute name").decode("utf-8", "replace")
    raw = r.take(r.u16("value length"), "attribute value")
    return tag, name, raw


def _decode_collection(r: _Reader, name: str, depth: int = 0) -> dict[str, Any]:
    if depth > 16:
        raise IppMalformed("IPP collections nested too deep")
    members: dict[str, list[Any]] = {}
    current: str | None = None
    while True:
        if r.pos >= len(r.data):
            raise IppMalformed(f"IPP collection {name!r} has no end")
        tag, member_name, raw = _read_attribute_head(r)
        if member_name:
            raise IppMalformed(f"IPP collection {name!r} member value carries a name")
        if tag == Tag.END_COLLECTION:
            break
        if tag == Tag.MEMBER_NAME:
            current = raw.decode("utf-8", "replace")
            members.setdefault(current, [])
            continue
        if current is None:
            raise IppMalformed(f"IPP collection {name!r} has a value before a member name")
        if tag == Tag.BEGIN_COLLECTION:
            members[current].append(_decode_collection(r, current, depth + 1))
        else:
            members[current].append(_decode_value(tag, raw, current))
    return {k: (v[0] if len(v) == 1 else v) for k, v in members.items()}


def decode_message(data: bytes) -> IppMessage:
    """Parse a whole IPP message; bytes after end-of-attributes become ``data``."""
    r = _Reader(data)
    major, minor = r.u8("version"), r.u8("version")
    code = r.u16("status code")
    request_id = struct.unpack(">I", r.take(4, "request id"))[0]
    if major not in (1, 2):
        raise IppMalformed(f"not an IPP answer (version {major}.{minor})")
    message = IppMessage(code, request_id, [], (major, minor))
    group: Group | None = None
    last: Attribute | None = None
    while True:
        tag = r.u8("tag")
        if tag == Tag.END:
            break
        if tag in DELIMITERS:
            group = Group(tag)
            message.groups.append(group)
            last = None
            continue
        r.pos -= 1
        tag, name, raw = _read_attribute_head(r)
        if group is None:
            raise IppMalformed("IPP attribute outside any group")
        if tag == Tag.END_COLLECTION or tag == Tag.MEMBER_NAME:
            raise IppMalformed(f"IPP collection tag 0x{tag:02x} outside a collection")
        value = (_decode_collection(r, name or (last.name if last else "?"))
                 if tag == Tag.BEGIN_COLLECTION else _decode_value(tag, raw, name))
        if name:
            last = Attribute(name, tag, [value], [tag])
            group.add(last)
        elif last is not None:
            last.values.append(value)
            last.tags.append(tag)
        else:
            raise IppMalformed("IPP additional value without an attribute")
    message.data = data[r.pos:]
    return message
