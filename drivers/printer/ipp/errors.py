"""The typed errors of an IPP exchange."""

from __future__ import annotations

from drivers.base import DeviceOffline
from drivers.printer.base import PrinterError
from drivers.printer.ipp.codes import Op, Status


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
