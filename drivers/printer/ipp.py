"""A small IPP/1.1–2.0 client over HTTP, written from RFC 8010 (encoding) and RFC 8011
(model and operations), plus the few CUPS operations a kiosk needs.

An IPP message is a binary body POSTed as ``application/ipp``::

    version (2 bytes) | operation-id or status-code (2) | request-id (4)
    { group delimiter tag (1) { value-tag (1) | name-length (2) | name
                                | value-length (2) | value } ... } ...
    end-of-attributes tag (0x03) | document data

An attribute with several values repeats value-tag/value with an empty name; a
collection is a begCollection value followed by memberAttrName/value pairs and an
endCollection (RFC 8010 section 3.1.6). Everything is big-endian.

Decoding is strict: a truncated or inconsistent answer raises :class:`IppMalformed`,
never an ``IndexError`` or ``struct.error`` from deep inside.
"""

from __future__ import annotations

import datetime as dt
import itertools
import struct
import threading
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, Iterable, Iterator
from urllib.parse import urlsplit, urlunsplit

import requests

from drivers.base import DeviceOffline
from drivers.printer.base import PrinterError

__all__ = [
    "Attribute", "Group", "IppClient", "IppError", "IppMalformed", "IppMessage", "IppStatusError",
    "IppUnreachable", "JobStateCode", "Op", "PrinterStateCode", "Resolution", "Status", "Tag",
    "decode_message", "encode_message", "http_url",
]

CONTENT_TYPE = "application/ipp"


class Tag(IntEnum):
    """Delimiter and value tags (RFC 8010 section 3.5)."""

    # delimiters
    OPERATION = 0x01
    JOB = 0x02
    END = 0x03
    PRINTER = 0x04
    UNSUPPORTED_GROUP = 0x05
    # out-of-band values
    UNSUPPORTED = 0x10
    UNKNOWN = 0x12
    NO_VALUE = 0x13
    NOT_SETTABLE = 0x15
    DELETE_ATTRIBUTE = 0x16
    ADMIN_DEFINE = 0x17
    # integers
    INTEGER = 0x21
    BOOLEAN = 0x22
    ENUM = 0x23
    # octet strings
    OCTET_STRING = 0x30
    DATE_TIME = 0x31
    RESOLUTION = 0x32
    RANGE = 0x33
    BEGIN_COLLECTION = 0x34
    TEXT_WITH_LANGUAGE = 0x35
    NAME_WITH_LANGUAGE = 0x36
    END_COLLECTION = 0x37
    # character strings
    TEXT = 0x41
    NAME = 0x42
    KEYWORD = 0x44
    URI = 0x45
    URI_SCHEME = 0x46
    CHARSET = 0x47
    LANGUAGE = 0x48
    MIME_TYPE = 0x49
    MEMBER_NAME = 0x4A
    EXTENSION = 0x7F


class Op(IntEnum):
    """Operation ids: RFC 8011 section 5.4.15, PWG 5100.22 (Enable-Printer), CUPS."""

    PRINT_JOB = 0x0002
    VALIDATE_JOB = 0x0004
    CREATE_JOB = 0x0005
    SEND_DOCUMENT = 0x0006
    CANCEL_JOB = 0x0008
    GET_JOB_ATTRIBUTES = 0x0009
    GET_JOBS = 0x000A
    GET_PRINTER_ATTRIBUTES = 0x000B
    PAUSE_PRINTER = 0x0010
    RESUME_PRINTER = 0x0011  # what `cupsenable` sends: un-pauses a stopped queue
    ENABLE_PRINTER = 0x0022  # accept jobs again (CUPS treats it like CUPS-Accept-Jobs)
    DISABLE_PRINTER = 0x0023
    CUPS_ACCEPT_JOBS = 0x4008  # what `cupsaccept` sends
    CUPS_REJECT_JOBS = 0x4009  # what `cupsreject` sends; it does NOT resume anything


class Status(IntEnum):
    """Status codes (RFC 8011 appendix B) that a caller may want to tell apart."""

    OK = 0x0000
    OK_IGNORED_OR_SUBSTITUTED = 0x0001
    OK_CONFLICTING = 0x0002
    BAD_REQUEST = 0x0400
    FORBIDDEN = 0x0401
    NOT_AUTHENTICATED = 0x0402
    NOT_AUTHORIZED = 0x0403
    NOT_POSSIBLE = 0x0404
    TIMEOUT = 0x0405
    NOT_FOUND = 0x0406
    GONE = 0x0407
    REQUEST_TOO_LARGE = 0x0408
    DOCUMENT_FORMAT_NOT_SUPPORTED = 0x040A
    ATTRIBUTES_OR_VALUES_NOT_SUPPORTED = 0x040B
    CONFLICTING_ATTRIBUTES = 0x040E
    DOCUMENT_FORMAT_ERROR = 0x0411
    INTERNAL_ERROR = 0x0500
    OPERATION_NOT_SUPPORTED = 0x0501
    SERVICE_UNAVAILABLE = 0x0502
    VERSION_NOT_SUPPORTED = 0x0503
    DEVICE_ERROR = 0x0504
    TEMPORARY_ERROR = 0x0505
    NOT_ACCEPTING_JOBS = 0x0506
    BUSY = 0x0507
    JOB_CANCELED = 0x0508


class JobStateCode(IntEnum):
    """job-state (RFC 8011 section 5.3.7)."""

    PENDING = 3
    PENDING_HELD = 4
    PROCESSING = 5
    PROCESSING_STOPPED = 6
    CANCELED = 7
    ABORTED = 8
    COMPLETED = 9


class PrinterStateCode(IntEnum):
    """printer-state (RFC 8011 section 5.4.11)."""

    IDLE = 3
    PROCESSING = 4
    STOPPED = 5


_STRING_TAGS = {Tag.TEXT, Tag.NAME, Tag.KEYWORD, Tag.URI, Tag.URI_SCHEME, Tag.CHARSET,
                Tag.LANGUAGE, Tag.MIME_TYPE, Tag.MEMBER_NAME}
_DELIMITERS = range(0x00, 0x10)
_OUT_OF_BAND = range(0x10, 0x20)


# --------------------------------------------------------------------------- errors

class IppError(PrinterError):
    """The IPP exchange failed (base class for the typed errors below).

    Their codes (ipp_error, ipp_malformed, ipp_status) are for technicians and the log;
    a resident is shown the calm general sentence, like for any code without its own.
    """

    technician_code = "ipp_error"

    def __init__(self, detail: str = "", *, code: str | None = None) -> None:
        super().__init__(detail, code=code or self.technician_code)


class IppMalformed(IppError):
    """The answer is not a well-formed IPP response (truncated, wrong tags, not IPP at all)."""

    technician_code = "ipp_malformed"


class IppStatusError(IppError):
    """The printer answered with an error status-code."""

    technician_code = "ipp_status"

    def __init__(self, status: int, message: str = "", *, operation: int | None = None) -> None:
        self.status = status
        self.status_message = message
        self.operation = operation
        try:
            name = Status(status).name.lower()
        except ValueError:
            name = f"0x{status:04x}"
        self.status_name = name
        op = ""
        if operation is not None:
            try:
                op = Op(operation).name.lower() + ": "
            except ValueError:
                op = f"op 0x{operation:04x}: "
        super().__init__(f"{op}{name}" + (f" ({message})" if message else ""))


class IppUnreachable(DeviceOffline):
    """No answer over HTTP: refused, reset, timed out, or an HTTP error page."""


# --------------------------------------------------------------------------- values

@dataclass(frozen=True)
class Resolution:
    x: int
    y: int
    units: int = 3  # 3 = dots per inch, 4 = dots per centimetre

    @property
    def dpi(self) -> int:
        """Cross-feed resolution in dots per inch."""
        return self.x if self.units == 3 else round(self.x * 2.54)

    def __str__(self) -> str:
        unit = "dpi" if self.units == 3 else "dpcm"
        return f"{self.x}{unit}" if self.x == self.y else f"{self.x}x{self.y}{unit}"


@dataclass
class Attribute:
    """One attribute: a name, the tag of its (first) value and its values.

    Values decode to Python: int, bool, str, bytes, datetime, Resolution, (low, high) for
    rangeOfInteger, dict for a collection, None for an out-of-band value (see ``tag``).
    """

    name: str
    tag: int
    values: list[Any] = field(default_factory=list)
    tags: list[int] = field(default_factory=list)  # one per value, when they differ

    @property
    def value(self) -> Any:
        return self.values[0] if self.values else None


class Group:
    """An attribute group: its delimiter tag and its attributes by name, in order."""

    def __init__(self, tag: int, attributes: Iterable[Attribute] = ()) -> None:
        self.tag = tag
        self.attributes: dict[str, Attribute] = {}
        for attribute in attributes:
            self.add(attribute)

    def add(self, attribute: Attribute) -> None:
        self.attributes[attribute.name] = attribute

    def __contains__(self, name: str) -> bool:
        return name in self.attributes

    def __iter__(self) -> Iterator[Attribute]:
        return iter(self.attributes.values())

    def attribute(self, name: str) -> Attribute | None:
        return self.attributes.get(name)

    def get(self, name: str, default: Any = None) -> Any:
        """The first value of ``name``; ``default`` when absent or out-of-band."""
        attribute = self.attributes.get(name)
        if attribute is None or not attribute.values or attribute.values[0] is None:
            return default
        return attribute.values[0]

    def all(self, name: str) -> list[Any]:
        """Every value of ``name`` (out-of-band values left out); [] when absent."""
        attribute = self.attributes.get(name)
        return [v for v in attribute.values if v is not None] if attribute else []

    def __repr__(self) -> str:
        return f"Group(0x{self.tag:02x}, {list(self.attributes)})"


@dataclass
class IppMessage:
    """A request (``code`` is the operation-id) or a response (``code`` is the status-code)."""

    code: int
    request_id: int = 1
    groups: list[Group] = field(default_factory=list)
    version: tuple[int, int] = (2, 0)
    data: bytes = b""

    def group(self, tag: int) -> Group | None:
        return next((g for g in self.groups if g.tag == tag), None)

    def groups_of(self, tag: int) -> list[Group]:
        return [g for g in self.groups if g.tag == tag]

    @property
    def status_message(self) -> str:
        operation = self.group(Tag.OPERATION)
        return str(operation.get("status-message", "")) if operation else ""


def attr(name: str, tag: int, *values: Any) -> Attribute:
    """An attribute to send; every value is encoded with ``tag``."""
    return Attribute(name, int(tag), list(values))


# --------------------------------------------------------------------------- encoding

def _encode_value(tag: int, value: Any) -> bytes:
    if tag in _OUT_OF_BAND:
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


# --------------------------------------------------------------------------- decoding

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

    if tag in _OUT_OF_BAND:
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
    if tag in _STRING_TAGS:
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
        if tag in _DELIMITERS:
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


# --------------------------------------------------------------------------- client

def http_url(uri: str) -> str:
    """ipp://host/path -> http://host:631/path; ipps -> https; http(s) kept."""
    parts = urlsplit(uri)
    scheme = {"ipp": "http", "ipps": "https", "http": "http", "https": "https"}.get(parts.scheme)
    if scheme is None or not parts.hostname:
        raise ValueError(f"not an IPP printer URI: {uri!r}")
    netloc = parts.netloc if parts.port or parts.scheme in ("http", "https") \
        else f"{parts.netloc}:631"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


_request_ids = itertools.count(1)
_ids_lock = threading.Lock()


def _next_request_id() -> int:
    with _ids_lock:
        return next(_request_ids) % 0x7FFFFFFF or 1


class IppClient:
    """Talks to one printer URI (a CUPS queue or an IPP printer).

    ``user`` goes in requesting-user-name: CUPS lets the owner of a job cancel it and
    see its name. ``auth`` is (user, password) for HTTP Basic, which CUPS asks for the
    administrative operations (Resume-Printer, Enable-Printer) unless its policy allows
    them from localhost. Each call is a fresh HTTP request, so one client may be used
    from several threads.
    """

    def __init__(self, uri: str, *, user: str = "kiosk", timeout_s: float = 10.0,
                 auth: tuple[str, str] | None = None, version: tuple[int, int] = (2, 0),
                 verify_tls: bool | str = True) -> None:
        self.uri = uri
        self.url = http_url(uri)
        self.user = user
        self.timeout_s = timeout_s
        self.auth = auth
        self.version = version
        self.verify_tls = verify_tls

    # ----------------------------------------------------------------- plumbing

    def _operation_group(self, *extra: Attribute, printer: bool = True) -> Group:
        group = Group(Tag.OPERATION, [attr("attributes-charset", Tag.CHARSET, "utf-8"),
                                      attr("attributes-natural-language", Tag.LANGUAGE, "en")])
        if printer:
            group.add(attr("printer-uri", Tag.URI, self.uri))
        group.add(attr("requesting-user-name", Tag.NAME, self.user))
        for attribute in extra:
            group.add(attribute)
        return group

    def request(self, op: int, operation: Group, *more: Group, data: bytes = b"",
                allow: Iterable[int] = ()) -> IppMessage:
        """Send one request; return the response when its status is successful (or in
        ``allow``), else raise :class:`IppStatusError`."""
        version = self.version
        for _ in range(2):
            message = IppMessage(int(op), _next_request_id(), [operation, *more], version, data)
            response = self._post(encode_message(message), message.request_id)
            if response.code == Status.VERSION_NOT_SUPPORTED and version != (1, 1):
                version = (1, 1)  # an IPP/1.1-only printer: say it again in its version
                continue
            break
        if response.code >= 0x0400 and response.code not in set(allow):
            raise IppStatusError(response.code, response.status_message, operation=int(op))
        return response

    def _post(self, body: bytes, request_id: int) -> IppMessage:
        try:
            answer = requests.post(self.url, data=body, auth=self.auth, timeout=self.timeout_s,
                                   headers={"Content-Type": CONTENT_TYPE},
                                   verify=self.verify_tls)
        except requests.RequestException as exc:
            raise IppUnreachable(f"{self.url}: {type(exc).__name__}") from exc
        if answer.status_code in (401, 403):
            raise IppStatusError(Status.NOT_AUTHORIZED if answer.status_code == 403
                                 else Status.NOT_AUTHENTICATED, f"HTTP {answer.status_code}")
        if answer.status_code in (404, 410):
            raise IppStatusError(Status.NOT_FOUND, f"HTTP {answer.status_code}: no such printer")
        if answer.status_code >= 500:
            raise IppUnreachable(f"{self.url}: HTTP {answer.status_code}")
        if answer.status_code != 200:
            raise IppMalformed(f"{self.url}: HTTP {answer.status_code} instead of an IPP answer")
        kind = answer.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if kind != CONTENT_TYPE:
            raise IppMalformed(f"{self.url}: answer is {kind or 'untyped'}, not {CONTENT_TYPE}")
        response = decode_message(answer.content)
        if response.request_id != request_id:
            raise IppMalformed(f"IPP answer for request {response.request_id}, "
                               f"expected {request_id}")
        return response

    @staticmethod
    def _job(response: IppMessage) -> Group:
        job = response.group(Tag.JOB)
        if job is None or not isinstance(job.get("job-id"), int):
            raise IppMalformed("IPP answer names no job-id")
        return job

    # ----------------------------------------------------------------- operations

    def get_printer_attributes(self, requested: Iterable[str] = ("all",)) -> Group:
        operation = self._operation_group(attr("requested-attributes", Tag.KEYWORD, *requested))
        response = self.request(Op.GET_PRINTER_ATTRIBUTES, operation)
        printer = response.group(Tag.PRINTER)
        if printer is None:
            raise IppMalformed("Get-Printer-Attributes answer has no printer attributes")
        return printer

    def print_job(self, document: bytes, *, document_format: str, job_name: str,
                  job_attributes: Iterable[Attribute] = (), document_name: str | None = None,
                  fidelity: bool = False) -> Group:
        """Print-Job; returns the job group (job-id, job-uri, job-state, ...)."""
        extra = [attr("job-name", Tag.NAME, job_name),
                 attr("ipp-attribute-fidelity", Tag.BOOLEAN, fidelity),
                 attr("document-format", Tag.MIME_TYPE, document_format)]
        if document_name:
            extra.append(attr("document-name", Tag.NAME, document_name))
        groups = [Group(Tag.JOB, job_attributes)] if job_attributes else []
        response = self.request(Op.PRINT_JOB, self._operation_group(*extra), *groups,
                                data=document)
        return self._job(response)

    def get_job_attributes(self, job_id: int, requested: Iterable[str] = ("all",)) -> Group:
        operation = self._operation_group(attr("job-id", Tag.INTEGER, job_id),
                                          attr("requested-attributes", Tag.KEYWORD, *requested))
        job = self.request(Op.GET_JOB_ATTRIBUTES, operation).group(Tag.JOB)
        if job is None:
            raise IppMalformed("Get-Job-Attributes answer has no job attributes")
        return job

    def get_jobs(self, which: str = "not-completed", *,
                 requested: Iterable[str] = ("job-id", "job-name", "job-state",
                                             "job-state-reasons", "job-originating-user-name"),
                 my_jobs: bool = False, limit: int | None = None) -> list[Group]:
        extra = [attr("which-jobs", Tag.KEYWORD, which),
                 attr("requested-attributes", Tag.KEYWORD, *requested)]
        if my_jobs:
            extra.append(attr("my-jobs", Tag.BOOLEAN, True))
        if limit:
            extra.append(attr("limit", Tag.INTEGER, limit))
        response = self.request(Op.GET_JOBS, self._operation_group(*extra))
        jobs = response.groups_of(Tag.JOB)
        for job in jobs:
            if not isinstance(job.get("job-id"), int):
                raise IppMalformed("Get-Jobs answer has a job without job-id")
        return jobs

    def cancel_job(self, job_id: int, message: str | None = None) -> None:
        extra = [attr("job-id", Tag.INTEGER, job_id)]
        if message:
            extra.append(attr("message", Tag.TEXT, message))
        self.request(Op.CANCEL_JOB, self._operation_group(*extra))

    def pause_printer(self) -> None:
        self.request(Op.PAUSE_PRINTER, self._operation_group())

    def resume_printer(self) -> None:
        """Resume-Printer (0x0011): a stopped ("paused") queue starts processing again."""
        self.request(Op.RESUME_PRINTER, self._operation_group())

    def enable_printer(self) -> None:
        """Enable-Printer (0x0022): the printer accepts new jobs again."""
        self.request(Op.ENABLE_PRINTER, self._operation_group())
