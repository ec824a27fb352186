"""Enrolment codes and revocation from the dashboard, so installing or retiring a kiosk needs
no shell on the central server.

Any account may ask for a code for a kiosk in its own halls (technicians install kiosks); only
a hall manager or the city administrator may revoke one. A code is shown once, as text to type
and as a QR code to hold up to the kiosk's camera, and is never stored in clear. A kiosk id
that already belongs to a hall outside the account's scope is refused, or a manager could pull
another hall's kiosk into their own by enrolling it again.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import qrcode
from fastapi import FastAPI, Request, Response
from fastapi.responses import RedirectResponse
from qrcode.image.svg import SvgPathImage
from starlette.concurrency import run_in_threadpool

from central.dashboard import views
from central.dashboard.accounts import SignedIn
from central.dashboard.texts import EVENTS, word, word_or_code
from central.dashboard.views import e
from central.dashboard.web import (
    HEADERS,
    csrf_ok,
    form_of,
    html,
    kiosk_form,
    lang_of,
    signed_in,
    to_login,
)
from central.fleet.enrolment import Credential, Enrolment, IssuedCode
from central.fleet.service import BadKioskId, Fleet, Hall, UnknownHall, UnknownKiosk
from central.i18n import pick

MAX_REASON = 200


def local(at: dt.datetime) -> str:
    return at.astimezone().strftime("%Y-%m-%d %H:%M")


def qr_svg(payload: str) -> str:
    """The payload as inline SVG: no image route, nothing stored, and allowed by the CSP."""
    image = qrcode.make(payload, image_factory=SvgPathImage, border=4)
    return image.to_string(encoding="unicode")


# -- the kiosk page's card ------------------------------------------------------------------

def credentials_card(lang: str, signed: SignedIn, kiosk_id: str, held: Credential | None,
                     audit: list[dict], notice: str = "") -> str:
    """Where the kiosk's key stands, a link to a new code, the revoke form, the record."""
    if held is None:
        status = word("dashboard.cred_none", lang)
    elif held.revoked_at is not None:
        status = word("dashboard.cred_revoked", lang, at=local(held.revoked_at))
    else:
        status = word("dashboard.cred_enrolled", lang, fingerprint=held.fingerprint,
                      at=local(held.enrolled_at))
    lines = [f'<div class="card" id="credentials"><h2>{e(word("dashboard.credentials", lang))}'
             '</h2>',
             f'<p class="cred">{e(status)}</p>']
    if notice:
        lines.append(f'<p class="saved" role="status">{e(notice)}</p>')
    quoted = e(quote(kiosk_id, safe=""))
    lines.append(f'<p><a class="button" href="/fleet/enrol?kiosk={quoted}">'
                 f'{e(word("dashboard.issue_code", lang))}</a></p>')
    if held is not None and held.revoked_at is None and signed.account.can_revoke:
        lines.append(_revoke_form(lang, signed, kiosk_id))
    lines.append(_audit(lang, audit))
    return "".join(lines) + "</div>"


def _revoke_form(lang: str, signed: SignedIn, kiosk_id: str) -> str:
    action = f"/fleet/kiosks/{quote(kiosk_id, safe='')}/revoke"
    return (f'<form method="post" action="{e(action)}" class="revoke">'
            f'<input type="hidden" name="csrf" value="{e(signed.csrf_token)}">'
            f'<p class="quiet">{e(word("dashboard.revoke_hint", lang))}</p>'
            f'<label>{e(word("dashboard.revoke_reason", lang))}<input name="reason" required '
            f'maxlength="{MAX_REASON}"></label>'
            f'<button type="submit" class="danger">{e(word("dashboard.revoke", lang))}</button>'
            '</form>')


def _audit(lang: str, audit: list[dict]) -> str:
    if not audit:
        return ""
    rows = "".join(
        f'<tr><td>{e(local(a["at"]))}</td><td>{e(a["who"])}</td>'
        f'<td>{e(word_or_code(EVENTS, a["what"], lang))}'
        f'{e(word("punct.colon", lang))}{e(a["detail"])}</td></tr>' for a in audit)
    return (f'<h3>{e(word("dashboard.cred_audit", lang))}</h3><table class="cred-audit"><tr>'
            f'<th>{e(word("dashboard.when", lang))}</th><th>{e(word("dashboard.who", lang))}</th>'
            f'<th>{e(word("dashboard.what", lang))}</th></tr>{rows}</table>')


# -- the pages ------------------------------------------------------------------------------

def enrol_page(lang: str, signed: SignedIn, halls: list[Hall], kiosk_id: str = "",
               hall_id: str = "", problem: str = "") -> str:
    alert = f'<p class="problem" role="alert">{e(problem)}</p>' if problem else ""
    options = "".join(
        f'<option value="{e(h.hall_id)}"{" selected" if h.hall_id == hall_id else ""}>'
        f'{e(pick(h.name, lang))}</option>' for h in halls)
    body = (f'<section class="card narrow wide-enough">'
            f'<h1>{e(word("dashboard.issue_code", lang))}</h1>'
            f'<p class="quiet">{e(word("dashboard.issue_code_hint", lang))}</p>{alert}'
            '<form method="post" action="/fleet/enrol">'
            f'<input type="hidden" name="csrf" value="{e(signed.csrf_token)}">'
            f'<label>{e(word("dashboard.kiosk_id", lang))}'
            f'<input name="kiosk_id" value="{e(kiosk_id)}" '
            f'required maxlength="64" autocomplete="off" spellcheck="false"></label>'
            f'<p class="quiet">{e(word("dashboard.kiosk_id_hint", lang))}</p>'
            f'<label>{e(word("dashboard.hall", lang))}'
            f'<select name="hall_id" required>{options}</select>'
            f'</label><button type="submit" class="primary">{e(word("dashboard.issue_code", lang))}'
            '</button></form></section>')
    return views.page(lang, word("dashboard.issue_code", lang), body, signed, "/fleet/enrol")


def code_page(lang: str, signed: SignedIn, issued: IssuedCode, hall_name: str) -> str:
    what = word("dashboard.code_for", lang, kiosk=issued.kiosk_id, hall=hall_name,
                until=local(issued.expires_at))
    body = (f'<section class="card narrow wide-enough">'
            f'<h1>{e(word("dashboard.code_title", lang))}</h1>'
            f'<p>{e(what)}</p>'
            f'<p class="enrol-code" data-code="{e(issued.code)}">{e(issued.code)}</p>'
            f'<div class="qr" data-payload="{e(issued.qr_payload)}">{qr_svg(issued.qr_payload)}'
            f'</div><p>{e(word("dashboard.code_how", lang))}</p>'
            f'<p class="problem">{e(word("dashboard.code_once", lang))}</p>'
            f'<p><a href="/fleet">← {e(word("dashboard.back", lang))}</a></p></section>')
    return views.page(lang, word("dashboard.code_title", lang), body, signed, "/fleet/enrol")


# -- the routes -----------------------------------------------------------------------------

def may_issue(fleet: Fleet, signed: SignedIn, kiosk_id: str, hall_id: str) -> str | None:
    """Why this account may not have a code for this kiosk in this hall (a message id), or None."""
    if not signed.account.sees_hall(hall_id):
        return "dashboard.pick_hall"
    try:
        current = fleet.hall_of(kiosk_id)
    except UnknownKiosk:
        return None
    return None if signed.account.sees_hall(current) else "dashboard.kiosk_id_taken"


def add_credentials(app: FastAPI) -> None:
    def enrolment() -> Enrolment | None:
        return app.state.office.enrolment

    def my_halls(signed: SignedIn) -> list[Hall]:
        return [h for h in app.state.office.fleet.halls() if signed.account.sees_hall(h.hall_id)]

    @app.get("/fleet/enrol", include_in_schema=False)
    def enrol_form(request: Request, kiosk: str = "") -> Response:
        signed, lang = signed_in(request), lang_of(request)
        if signed is None:
            return to_login()
        if enrolment() is None:
            return html(views.message_page(lang, signed, word("dashboard.no_enrolment", lang)), 404)
        hall_id = ""
        if kiosk:
            try:
                hall_id = app.state.office.fleet.hall_of(kiosk) or ""
            except UnknownKiosk:
                pass
        return html(enrol_page(lang, signed, my_halls(signed), kiosk[:64], hall_id))

    @app.post("/fleet/enrol", include_in_schema=False)
    async def issue(request: Request) -> Response:
        signed, lang = await run_in_threadpool(signed_in, request), lang_of(request)
        if signed is None:
            return to_login()
        form = await form_of(request)
        if enrolment() is None:
            return html(views.message_page(lang, signed, word("dashboard.no_enrolment", lang)), 404)
        if not csrf_ok((form.get("csrf") or [""])[0], signed.csrf_token):
            return html(views.message_page(lang, signed, word("dashboard.form_expired", lang)), 403)
        kiosk_id = (form.get("kiosk_id") or [""])[0].strip()
        hall_id = (form.get("hall_id") or [""])[0]
        return await run_in_threadpool(issue_now, signed, lang, kiosk_id, hall_id)

    def issue_now(signed: SignedIn, lang: str, kiosk_id: str, hall_id: str) -> Response:
        """The code, or the form again saying why not (a worker thread: it writes)."""
        halls, book = my_halls(signed), enrolment()
        why, issued = may_issue(app.state.office.fleet, signed, kiosk_id, hall_id), None
        if book is None:  # checked before; central's enrolment is set once at start
            why = "dashboard.no_enrolment"
        elif why is None:
            try:
                issued = book.issue_code(kiosk_id, hall_id, signed.account.username)
            except BadKioskId:
                why = "dashboard.bad_kiosk_id"
            except UnknownHall:
                why = "dashboard.pick_hall"
        if issued is None:
            return html(enrol_page(lang, signed, halls, kiosk_id[:64], hall_id,
                                   word(why or "dashboard.pick_hall", lang)),
                        422)
        name = next((pick(h.name, lang) for h in halls if h.hall_id == hall_id), hall_id)
        return html(code_page(lang, signed, issued, name))

    @app.post("/fleet/kiosks/{kiosk_id}/revoke", include_in_schema=False)
    async def revoke(kiosk_id: str, request: Request) -> Response:
        form = await kiosk_form(request, app.state.office.fleet, kiosk_id)
        if isinstance(form, Response):
            return form
        signed, lang, book = form.signed, form.lang, enrolment()
        if book is None:
            return html(views.message_page(lang, signed, word("dashboard.not_found", lang)), 404)
        if not signed.account.can_revoke:
            return html(views.message_page(lang, signed,
                                           word("dashboard.revoke_forbidden", lang)), 403)
        reason = " ".join(form.first("reason").split())[:MAX_REASON]
        if not reason:
            return html(views.message_page(lang, signed,
                                           word("dashboard.revoke_needs_reason", lang),
                                           back=f"/fleet/kiosks/{kiosk_id}#credentials"), 422)
        await run_in_threadpool(book.revoke, kiosk_id, signed.account.username, reason)
        return RedirectResponse(f"/fleet/kiosks/{kiosk_id}?revoked=1#credentials",
                                status_code=303, headers=HEADERS)
