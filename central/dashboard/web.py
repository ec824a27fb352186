"""What every dashboard route shares: the session behind a request, its language, the hall
scope, the CSRF check, and the headers every answer carries."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from central.dashboard import views
from central.dashboard.accounts import Accounts, SignedIn
from central.dashboard.texts import word
from central.errors import ApiProblem
from central.fleet.service import Fleet, UnknownKiosk
from central.fleet.states import KioskState
from central.i18n import both
from protocol.codes import ApiErrorCode

COOKIE = "onetrip_fleet"
LANG_COOKIE = "onetrip_lang"
LOGIN_CSRF = "onetrip_login_csrf"
MAX_FORM_BYTES = 16_384
HEADERS = {"Cache-Control": "no-store", "X-Frame-Options": "DENY",
           "Referrer-Policy": "same-origin", "X-Content-Type-Options": "nosniff",
           "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; "
                                      "form-action 'self'; base-uri 'none'"}


def lang_of(request: Request) -> str:
    return "en" if request.cookies.get(LANG_COOKIE) == "en" else "zh_CN"


def html(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(body, status_code=status, headers=HEADERS)


def signed_in(request: Request) -> SignedIn | None:
    accounts: Accounts = request.app.state.accounts
    return accounts.session(request.cookies.get(COOKIE))


def visible_kiosk(fleet: Fleet, signed: SignedIn, kiosk_id: str) -> KioskState | None:
    """The kiosk's state if this account may see it; None both for 'no such kiosk' and for
    'not yours'."""
    try:
        hall = fleet.hall_of(kiosk_id)
    except UnknownKiosk:
        return None
    if not signed.account.sees_hall(hall):
        return None
    states = fleet.kiosk_states([hall] if hall is not None else None)
    return next((s for s in states if s.kiosk_id == kiosk_id), None)


def csrf_ok(sent: str | None, expected: str) -> bool:
    return sent is not None and bool(sent) and secrets.compare_digest(sent, expected)


async def form_of(request: Request) -> dict[str, list[str]]:
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise ApiProblem(413, ApiErrorCode.FORM_TOO_LARGE, both("error.form_too_large"))
    return parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)


def to_login() -> Response:
    return RedirectResponse("/fleet/login?ended=1", status_code=303, headers=HEADERS)


@dataclass(frozen=True)
class KioskForm:
    """A form posted about one kiosk that passed the checks every such form needs."""
    signed: SignedIn
    lang: str
    fields: dict[str, list[str]]

    def first(self, name: str) -> str:
        return (self.fields.get(name) or [""])[0]


async def kiosk_form(request: Request, fleet: Fleet, kiosk_id: str) -> KioskForm | Response:
    """Signed in, the kiosk in the account's halls (else 'no such kiosk'), the session's own
    CSRF token; otherwise the page that says which, so each route checks only its own rules.
    Database work goes to a worker thread: the event loop also carries the fleet's heartbeats."""
    signed, lang = await run_in_threadpool(signed_in, request), lang_of(request)
    if signed is None:
        return to_login()
    fields = await form_of(request)
    if await run_in_threadpool(visible_kiosk, fleet, signed, kiosk_id) is None:
        return html(views.message_page(lang, signed, word("dashboard.not_found", lang)), 404)
    if not csrf_ok((fields.get("csrf") or [""])[0], signed.csrf_token):
        return html(views.message_page(lang, signed, word("dashboard.form_expired", lang)), 403)
    return KioskForm(signed, lang, fields)
