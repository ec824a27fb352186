"""Typed API errors: each carries the HTTP status, a stable code and a sentence for people.

Raised anywhere below the routes and turned into an ApiError body by central.app, so every
non-2xx answer looks the same to the kiosk.
"""

from __future__ import annotations

from protocol import wire
from protocol.codes import ApiErrorCode


class ApiProblem(Exception):
    def __init__(self, status: int, code: ApiErrorCode, zh_CN: str, en: str) -> None:
        super().__init__(f"{status} {code.value}")
        self.status = status
        self.code = code
        self.message = wire.Text(zh_CN=zh_CN, en=en)

    @classmethod
    def from_reason(cls, status: int, code: ApiErrorCode, why: wire.Reason) -> "ApiProblem":
        return cls(status, code, why.text.zh_CN, why.text.en)

    def body(self) -> wire.ApiError:
        return wire.ApiError(code=self.code.value, message=self.message)


def unknown_city(city: str, status: int = 404) -> ApiProblem:
    return ApiProblem(status, ApiErrorCode.UNKNOWN_CITY, f"本系统不办理该城市（{city}）的居住证。",
                      f"This service does not handle residence permits for the city '{city}'.")


def unknown_application(status: int = 404) -> ApiProblem:
    return ApiProblem(status, ApiErrorCode.UNKNOWN_APPLICATION, "未找到该申请编号，请核对回执上的编号。",
                      "No application has this number; please check the number on your receipt.")
