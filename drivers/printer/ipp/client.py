"""The IPP client: one printer URI, each operation a fresh HTTP POST of ``application/ipp``."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

import requests

from drivers.printer.ipp.codec import decode_message, encode_message
from drivers.printer.ipp.codes import Op, Status, Tag
from drivers.printer.ipp.errors import IppMalformed, IppStatusError, IppUnreachable
from drivers.printer.ipp.values import Attribute, Group, IppMessage, attr

CONTENT_TYPE = "application/ipp"


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
