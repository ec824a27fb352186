"""IPP's numbers: delimiter and value tags, operation ids, status codes and states."""

from __future__ import annotations

from enum import IntEnum


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


STRING_TAGS = {Tag.TEXT, Tag.NAME, Tag.KEYWORD, Tag.URI, Tag.URI_SCHEME, Tag.CHARSET,
                Tag.LANGUAGE, Tag.MIME_TYPE, Tag.MEMBER_NAME}
DELIMITERS = range(0x00, 0x10)
OUT_OF_BAND = range(0x10, 0x20)
