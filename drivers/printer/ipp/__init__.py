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

The package: ``codes`` (tags, operations, statuses, states), ``values`` (attributes,
groups, messages), ``errors``, ``codec`` (bytes both ways) and ``client``.
"""

from drivers.printer.ipp.client import CONTENT_TYPE, IppClient, http_url
from drivers.printer.ipp.codec import decode_message, encode_message
from drivers.printer.ipp.codes import JobStateCode, Op, PrinterStateCode, Status, Tag
from drivers.printer.ipp.errors import IppError, IppMalformed, IppStatusError, IppUnreachable
from drivers.printer.ipp.values import Attribute, Group, IppMessage, Resolution, attr

__all__ = [
    "CONTENT_TYPE", "Attribute", "Group", "IppClient", "IppError", "IppMalformed", "IppMessage",
    "IppStatusError", "IppUnreachable", "JobStateCode", "Op", "PrinterStateCode", "Resolution",
    "Status", "Tag", "attr", "decode_message", "encode_message", "http_url",
]
