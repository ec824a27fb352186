"""Typed API errors: each carries the HTTP status, a stable code and a sentence for people.

Raised anywhere below the routes and turned into an ApiError body by central.app, so every
non-2xx answer looks the same to the kiosk.
"""

from __future__ import annotations

from central.i18n import both
from protocol import wire
from protocol.codes import ApiErrorCode, TrustCode


class ApiProblem(Exception):
    """`message`: the sentence in both languages, from the catalogs (``both("error.…")``)."""

    def __init__(self, status: int, code: ApiErrorCode | TrustCode, message: wire.Text,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {code.value}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers  # e.g. Retry-After on a 429

    @classmethod
    def from_reason(cls, status: int, code: ApiErrorCode, why: wire.Reason) -> ApiProblem:
        return cls(status, code, why.text)

    def body(self) -> wire.ApiError:
        return wire.ApiError(code=self.code.value, message=self.message)


def unknown_city(city: str, status: int = 404) -> ApiProblem:
    return ApiProblem(status, ApiErrorCode.UNKNOWN_CITY, both("error.unknown_city", city=city))


def unknown_application(status: int = 404) -> ApiProblem:
    return ApiProblem(status, ApiErrorCode.UNKNOWN_APPLICATION, both("error.unknown_application"))
