"""The dashboard's routes: pages under /fleet, their live parts, and a JSON API under
/fleet/api, all behind one sign-in and one hall scope.

Scoping lives in ``visible_kiosk``: a kiosk outside the account's halls is answered exactly as
one that does not exist (404), on pages and in the API alike, so nobody learns another hall's
kiosk ids. Every form and every API change carries the session's CSRF token.
"""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from central.dashboard import views
from central.dashboard.accounts import Accounts, LoginRefused, SignedIn
from central.dashboard.credentials import add_credentials, credentials_card
from central.dashboard.settings_form import read_form, settings_form, why_refused
from central.dashboard.texts import word
from central.dashboard.web import (
    COOKIE,
    HEADERS,
    LANG_COOKIE,
    LOGIN_CSRF,
    KioskForm,
    csrf_ok,
    form_of,
    html,
    kiosk_form,
    lang_of,
    signed_in,
    to_login,
    visible_kiosk,
)
from central.fleet.service import Fleet
from central.fleet.stats import JourneyTotals
from central.i18n import both
from protocol import wire

STATIC = Path(__file__).resolve().parent / "static"


def week_of(today: dt.date) -> dt.date:
    return today - dt.timedelta(days=6)


def add_dashboard(app: FastAPI, accounts: Accounts, secure_cookies: bool) -> None:
    app.state.accounts = accounts
    app.state.secure_cookies = secure_cookies
    _add_static(app)
    _add_sign_in(app)
    _add_pages(app)
    _add_settings_form(app)
    add_credentials(app)
    _add_api(app)


def _add_static(app: FastAPI) -> None:
    @app.get("/fleet/static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        if name not in ("dashboard.css", "live.js"):
            return html("", 404)
        return FileResponse(STATIC / name, headers={"Cache-Control": "max-age=300"})

    @app.get("/fleet/lang", include_in_schema=False)
    def switch_language(to: str = "zh_CN", back: str = "/fleet") -> Response:
        if not back.startswith("/fleet") or "//" in back:  # only our own pages
            back = "/fleet"
        response = RedirectResponse(back, status_code=303, headers=HEADERS)
        response.set_cookie(LANG_COOKIE, "en" if to == "en" else "zh_CN",
                            max_age=365 * 86400, samesite="strict")
        return response


def _add_sign_in(app: FastAPI) -> None:
    @app.get("/fleet/login", include_in_schema=False)
    def login_form(request: Request, ended: int = 0) -> Response:
        lang, csrf = lang_of(request), secrets.token_urlsafe(24)
        problem = word("dashboard.session_ended", lang) if ended else ""
        response = html(views.login_page(lang, csrf, problem))
        response.set_cookie(LOGIN_CSRF, csrf, httponly=True, samesite="strict",
                            secure=app.state.secure_cookies, path="/fleet/login")
        return response

    @app.post("/fleet/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        lang, form = lang_of(request), await form_of(request)
        username = (form.get("username") or [""])[0]
        if not csrf_ok((form.get("csrf") or [""])[0], request.cookies.get(LOGIN_CSRF, "")):
            return html(views.login_page(lang, request.cookies.get(LOGIN_CSRF, ""),
                                         word("dashboard.form_expired", lang), username), 400)
        try:
            token, _ = await run_in_threadpool(  # argon2 takes a while: not on the loop
                app.state.accounts.login, username, (form.get("password") or [""])[0])
        except LoginRefused as refused:
            why = word("dashboard.login_locked" if refused.locked else "dashboard.login_refused",
                       lang)
            return html(views.login_page(lang, request.cookies.get(LOGIN_CSRF, ""), why,
                                         username), 401)
        response = RedirectResponse("/fleet", status_code=303, headers=HEADERS)
        response.set_cookie(COOKIE, token, httponly=True, samesite="strict",
                            secure=app.state.secure_cookies, path="/fleet")
        response.delete_cookie(LOGIN_CSRF, path="/fleet/login")
        return response

    @app.post("/fleet/logout", include_in_schema=False)
    async def logout(request: Request) -> Response:
        signed, form = await run_in_threadpool(signed_in, request), await form_of(request)
        if signed is not None and csrf_ok((form.get("csrf") or [""])[0], signed.csrf_token):
            await run_in_threadpool(app.state.accounts.logout, request.cookies.get(COOKIE, ""))
        response = RedirectResponse("/fleet/login", status_code=303, headers=HEADERS)
        response.delete_cookie(COOKIE, path="/fleet")
        return response


def _add_pages(app: FastAPI) -> None:
    def fleet() -> Fleet:
        return app.state.office.fleet

    @app.get("/fleet", include_in_schema=False)
    def overview(request: Request) -> Response:
        signed = signed_in(request)
        if signed is None:
            return to_login()
        f, lang = fleet(), lang_of(request)
        states = f.kiosk_states(signed.account.hall_scope)
        return html(views.overview_page(lang, signed, f.halls(), states, f.clock()))

    @app.get("/fleet/part/overview", include_in_schema=False)
    def overview_part(request: Request) -> Response:
        signed = signed_in(request)
        if signed is None:
            return html("", 401)
        f = fleet()
        states = f.kiosk_states(signed.account.hall_scope)
        return html(views.overview_part(lang_of(request), f.halls(), states, f.clock()))

    @app.get("/fleet/part/kiosks/{kiosk_id}", include_in_schema=False)
    def kiosk_part(kiosk_id: str, request: Request) -> Response:
        signed = signed_in(request)
        if signed is None:
            return html("", 401)
        state = visible_kiosk(fleet(), signed, kiosk_id)
        if state is None:
            return html("", 404)
        return html(views.kiosk_part(lang_of(request), state, fleet().clock()))

    @app.get("/fleet/kiosks/{kiosk_id}", include_in_schema=False)
    def kiosk(kiosk_id: str, request: Request, saved: int | None = None,
              revoked: int = 0) -> Response:
        signed = signed_in(request)
        if signed is None:
            return to_login()
        lang = lang_of(request)
        message = ""
        if saved is not None:
            message = (word("dashboard.saved", lang, revision=saved) if saved
                       else word("dashboard.unchanged", lang))
        return kiosk_page(app, request, signed, kiosk_id, message=message,
                          credentials_note=word("dashboard.revoked_now", lang) if revoked else "")

    @app.get("/fleet/stats", include_in_schema=False)
    def stats(request: Request) -> Response:
        signed = signed_in(request)
        if signed is None:
            return to_login()
        f, lang = fleet(), lang_of(request)
        today = app.state.office.clock.date_in()
        periods = []
        for key, since in (("dashboard.today", today), ("dashboard.week", week_of(today))):
            s = f.journey_stats(signed.account.hall_scope, since, today)
            periods.append((word(key, lang), s.halls, s.total))
        halls = [h for h in f.halls() if signed.account.sees_hall(h.hall_id)]
        return html(views.stats_page(lang, signed, halls, periods))


def kiosk_page(app: FastAPI, request: Request, signed: SignedIn, kiosk_id: str,
               typed: dict | None = None, message: str = "", problem: str = "",
               status: int = 200, credentials_note: str = "") -> Response:
    """The kiosk's page; `typed` refills the form after a refusal."""
    f, lang = app.state.office.fleet, lang_of(request)
    state = visible_kiosk(f, signed, kiosk_id)
    if state is None:
        return html(views.message_page(lang, signed, word("dashboard.not_found", lang)), 404)
    today = app.state.office.clock.date_in()
    journeys = tuple(f.journey_stats([state.hall_id] if state.hall_id else None, since, today)
                     .kiosks.get(kiosk_id, JourneyTotals()) for since in (today, week_of(today)))
    current = typed if typed is not None else f.settings_for(kiosk_id)[1].model_dump(mode="json")
    form = settings_form(lang, f"/fleet/kiosks/{kiosk_id}/settings", signed.csrf_token, current,
                         signed.account.can_change_settings, message, problem)
    enrolment = app.state.office.enrolment
    if enrolment is not None:
        form += credentials_card(lang, signed, kiosk_id, enrolment.credential(kiosk_id),
                                 enrolment.audit(kiosk_id), credentials_note)
    body = views.kiosk_page(lang, signed, state, f.clock(), journeys, form, f.audit(kiosk_id))
    return html(body, status)


def _add_settings_form(app: FastAPI) -> None:
    @app.post("/fleet/kiosks/{kiosk_id}/settings", include_in_schema=False)
    async def change(kiosk_id: str, request: Request) -> Response:
        form = await kiosk_form(request, app.state.office.fleet, kiosk_id)
        if isinstance(form, Response):
            return form
        signed, lang = form.signed, form.lang
        if not signed.account.can_change_settings:
            return html(views.message_page(lang, signed, word("dashboard.forbidden", lang)), 403)
        return await run_in_threadpool(_save_settings, app, request, form, kiosk_id)


def _save_settings(app: FastAPI, request: Request, form: KioskForm, kiosk_id: str) -> Response:
    """Store what the form says (a worker thread: it writes to the database)."""
    typed = read_form(form.fields)
    try:
        before = app.state.office.fleet.settings_for(kiosk_id)[0]
        revision = app.state.office.fleet.set_settings(kiosk_id, typed,
                                                       who=form.signed.account.username)
    except (ValidationError, ValueError) as exc:
        return kiosk_page(app, request, form.signed, kiosk_id, typed=typed,
                          problem=why_refused(exc, form.lang), status=422)
    saved = revision if revision != before else 0
    return RedirectResponse(f"/fleet/kiosks/{kiosk_id}?saved={saved}", status_code=303,
                            headers=HEADERS)


def _api_problem(status: int, code: str, message: wire.Text) -> JSONResponse:
    body = wire.ApiError(code=code, message=message)
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=HEADERS)


def _not_signed_in() -> JSONResponse:
    return _api_problem(401, "not_signed_in", both("dashboard.api.not_signed_in"))


def _no_kiosk() -> JSONResponse:
    return _api_problem(404, "unknown_kiosk", both("dashboard.not_found"))


def _add_api(app: FastAPI) -> None:
    def fleet() -> Fleet:
        return app.state.office.fleet

    @app.get("/fleet/api/kiosks", include_in_schema=False)
    def api_kiosks(request: Request) -> Response:
        signed = signed_in(request)
        if signed is None:
            return _not_signed_in()
        states = fleet().kiosk_states(signed.account.hall_scope)
        return JSONResponse([s.model_dump(mode="json") for s in states], headers=HEADERS)

    @app.get("/fleet/api/kiosks/{kiosk_id}", include_in_schema=False)
    def api_kiosk(kiosk_id: str, request: Request) -> Response:
        signed = signed_in(request)
        if signed is None:
            return _not_signed_in()
        state = visible_kiosk(fleet(), signed, kiosk_id)
        if state is None:
            return _no_kiosk()
        revision, settings = fleet().settings_for(kiosk_id)
        return JSONResponse({"state": state.model_dump(mode="json"), "settings_revision": revision,
                             "settings": settings.model_dump(mode="json"),
                             "audit": [a.model_dump(mode="json") for a in fleet().audit(kiosk_id)]},
                            headers=HEADERS)

    @app.put("/fleet/api/kiosks/{kiosk_id}/settings", include_in_schema=False)
    async def api_settings(kiosk_id: str, request: Request) -> Response:
        signed = await run_in_threadpool(signed_in, request)
        if signed is None:
            return _not_signed_in()
        if await run_in_threadpool(visible_kiosk, fleet(), signed, kiosk_id) is None:
            return _no_kiosk()
        if not csrf_ok(request.headers.get("X-CSRF-Token"), signed.csrf_token):
            return _api_problem(403, "csrf", both("dashboard.api.csrf"))
        if not signed.account.can_change_settings:
            return _api_problem(403, "forbidden", both("dashboard.forbidden"))
        try:
            revision = await run_in_threadpool(fleet().set_settings, kiosk_id,
                                               await request.json(), signed.account.username)
        except (ValidationError, ValueError) as exc:
            # the checker's complaints are English: the Chinese says only that they refused
            message = wire.Text(zh_CN=word("dashboard.api.invalid_settings", "zh_CN"),
                                en=why_refused(exc, "en"))
            return _api_problem(422, "invalid_settings", message)
        return JSONResponse({"settings_revision": revision}, headers=HEADERS)

    @app.get("/fleet/api/stats", include_in_schema=False)
    def api_stats(request: Request, days: int = 7) -> Response:
        signed = signed_in(request)
        if signed is None:
            return _not_signed_in()
        today = app.state.office.clock.date_in()
        since = today - dt.timedelta(days=max(1, min(days, 35)) - 1)
        stats = fleet().journey_stats(signed.account.hall_scope, since, today)
        return JSONResponse(stats.model_dump(mode="json"), headers=HEADERS)
