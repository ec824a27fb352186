"""The dashboard's HTML, built on the server: no front-end build to keep, and every value
escaped in one place (``e``). Parts that refresh live are functions of their own, so the page
and its refresh are the same markup."""

from __future__ import annotations

import datetime as dt
from html import escape
from urllib.parse import quote

from central.dashboard.accounts import SignedIn
from central.dashboard.texts import (
    DECISIONS,
    DEVICES,
    LEVELS,
    ROLES,
    SERVICES,
    STATES,
    STEPS,
    SUPPLIES,
    named,
    word,
    word_or_code,
)
from central.fleet.reasons import Duration
from central.fleet.service import AuditEntry, Hall
from central.fleet.states import KioskState
from central.fleet.stats import JourneyTotals
from central.i18n import pick
from protocol import wire

REFRESH_S = 5


def e(value: object) -> str:
    return escape(str(value), quote=True)


def ago(seconds: float, lang: str) -> str:
    return word("dashboard.ago", lang, duration=Duration(max(0.0, seconds)))


def page(lang: str, title: str, body: str, signed: SignedIn | None = None,
         here: str = "/fleet") -> str:
    """The frame every page shares: header, navigation, the language switch."""
    return (f'<!DOCTYPE html>\n<html lang="{"en" if lang == "en" else "zh-CN"}"><head>'
            '<meta charset="utf-8"><meta name="viewport" content="width=device-width, '
            'initial-scale=1"><meta name="robots" content="noindex">'
            f'<title>{e(title)} · {e(word("dashboard.title", lang))}</title>'
            '<link rel="stylesheet" href="/fleet/static/dashboard.css">'
            '<script src="/fleet/static/live.js" defer></script></head><body>'
            f'{_header(lang, signed, here)}<main>{body}</main></body></html>\n')


def _header(lang: str, signed: SignedIn | None, here: str) -> str:
    other = "en" if lang != "en" else "zh_CN"
    switch = (f'<a class="lang" href="/fleet/lang?to={other}&amp;back={quote(here, safe="")}">'
              f'{e(word("dashboard.switch_lang", lang))}</a>')
    if signed is None:
        return f'<header><strong>{e(word("dashboard.title", lang))}</strong>{switch}</header>'
    who = signed.account
    nav = (f'<nav><a href="/fleet">{e(word("dashboard.overview", lang))}</a>'
           f'<a href="/fleet/stats">{e(word("dashboard.statistics", lang))}</a>'
           f'<a href="/fleet/enrol">{e(word("dashboard.enrol_nav", lang))}</a></nav>')
    out = (f'<form method="post" action="/fleet/logout" class="inline">'
           f'<input type="hidden" name="csrf" value="{e(signed.csrf_token)}">'
           f'<button type="submit">{e(word("dashboard.logout", lang))}</button></form>')
    return (f'<header><strong>{e(word("dashboard.title", lang))}</strong>{nav}<span class="who">'
            f'{e(who.username)} · {e(word_or_code(ROLES, who.role.value, lang))}</span>'
            f'{switch}{out}</header>')


def login_page(lang: str, csrf: str, problem: str = "", username: str = "") -> str:
    alert = f'<p class="problem" role="alert">{e(problem)}</p>' if problem else ""
    body = (f'<section class="card narrow"><h1>{e(word("dashboard.login", lang))}</h1>{alert}'
            '<form method="post" action="/fleet/login">'
            f'<input type="hidden" name="csrf" value="{e(csrf)}">'
            f'<label>{e(word("dashboard.username", lang))}'
            '<input name="username" autocomplete="username" '
            f'value="{e(username)}" required autofocus></label>'
            f'<label>{e(word("dashboard.password", lang))}<input name="password" type="password" '
            'autocomplete="current-password" required></label>'
            f'<button type="submit" class="primary">{e(word("dashboard.login", lang))}</button>'
            '</form></section>')
    return page(lang, word("dashboard.login", lang), body, here="/fleet/login")


# -- the overview ---------------------------------------------------------------------------

def live(src: str, inner: str, lang: str) -> str:
    """A part the browser refreshes every REFRESH_S seconds from `src` (live.js)."""
    return (f'<div class="live" data-src="{e(src)}" data-every="{REFRESH_S}" '
            f'data-lost="{e(word("dashboard.live_lost", lang))}" aria-live="polite">{inner}</div>')


def overview_page(lang: str, signed: SignedIn, halls: list[Hall], states: list[KioskState],
                  now: dt.datetime) -> str:
    body = (f'<h1>{e(word("dashboard.overview", lang))}</h1>'
            + live("/fleet/part/overview", overview_part(lang, halls, states, now), lang))
    return page(lang, word("dashboard.overview", lang), body, signed, "/fleet")


def overview_part(lang: str, halls: list[Hall], states: list[KioskState],
                  now: dt.datetime) -> str:
    if not states:
        return f'<p class="card">{e(word("dashboard.no_kiosks", lang))}</p>'
    names = {h.hall_id: pick(h.name, lang) for h in halls}
    by_hall: dict[str, list[KioskState]] = {}
    for s in states:
        by_hall.setdefault(s.hall_id or "", []).append(s)
    sections = [_hall_section(lang, names.get(h, word("dashboard.no_hall", lang)), kiosks, now)
                for h, kiosks in sorted(by_hall.items())]
    stamp = word("dashboard.updated", lang, time=now.astimezone().strftime("%H:%M:%S"))
    return "".join(sections) + f'<p class="stamp">{e(stamp)}</p>'


def _hall_section(lang: str, name: str, kiosks: list[KioskState], now: dt.datetime) -> str:
    counts: dict[str, int] = {}
    for k in kiosks:
        counts[k.state.value] = counts.get(k.state.value, 0) + 1
    tally = "".join(f'<span class="badge {s}">{e(word_or_code(STATES, s, lang))} {n}</span>'
                    for s, n in sorted(counts.items(), key=lambda x: _ORDER[x[0]]))
    cards = "".join(kiosk_card(lang, k, now) for k in kiosks)
    return (f'<section class="hall"><h2>{e(name)} <small>{len(kiosks)} '
            f'{e(word("dashboard.kiosks", lang))}</small> {tally}</h2>'
            f'<div class="grid">{cards}</div>'
            '</section>')


_ORDER = {"offline": 0, "error": 1, "warning": 2, "ok": 3}


def badge(lang: str, state: KioskState) -> str:
    extra = (f' <span class="badge maint">{e(word("dashboard.maintenance", lang))}</span>'
             if state.maintenance else "")
    return (f'<span class="badge {state.state.value}" data-state="{state.state.value}">'
            f'{e(word_or_code(STATES, state.state.value, lang))}</span>{extra}')


def kiosk_card(lang: str, s: KioskState, now: dt.datetime) -> str:
    reasons = "".join(f'<li>{e(pick(r.text, lang))}</li>' for r in s.reasons) \
        or f'<li class="quiet">{e(word("dashboard.all_good", lang))}</li>'
    return (f'<article class="kiosk {s.state.value}" data-kiosk="{e(s.kiosk_id)}">'
            f'<h3><a href="/fleet/kiosks/{quote(s.kiosk_id, safe="")}">{e(s.kiosk_id)}</a> '
            f'{badge(lang, s)}</h3><ul class="reasons">{reasons}</ul>'
            f'<dl>{_facts(lang, s, now)}</dl>'
            f'{_supplies(lang, s.supplies, {r.supply for r in s.reasons if r.supply})}</article>')


def _facts(lang: str, s: KioskState, now: dt.datetime) -> str:
    heard = ago((now - s.last_heartbeat).total_seconds(), lang) if s.last_heartbeat \
        else word("dashboard.never", lang)
    outbox = "–" if s.outbox_depth is None else str(s.outbox_depth)
    if s.outbox_depth and s.outbox_oldest_s is not None:
        outbox += " · " + word("dashboard.outbox_oldest", lang,
                               duration=Duration(s.outbox_oldest_s))
    rows = [("dashboard.last_heartbeat", heard), ("dashboard.outbox", outbox),
            ("dashboard.version", s.software_version or "–")]
    return "".join(f'<dt>{e(word(k, lang))}</dt><dd>{e(v)}</dd>' for k, v in rows)


def _supplies(lang: str, supplies: list[wire.SupplyReport], flagged: set[str]) -> str:
    """Each supply's level, what is left and when it runs out; a supply one of the kiosk's
    reasons names (low by central's reckoning of time to empty) is shown low too."""
    if not supplies:
        return ""
    rows = []
    for sup in supplies:
        level = "low" if sup.level == "ok" and sup.supply in flagged else sup.level
        bits = [word_or_code(LEVELS, level, lang)]
        if sup.remaining is not None:
            bits.append(word("dashboard.left", lang, count=sup.remaining))
        if sup.hours_to_empty is not None:
            bits.append(word("dashboard.empty_in", lang,
                             duration=Duration(sup.hours_to_empty * 3600)))
        name = word_or_code(SUPPLIES, sup.supply, lang)
        rows.append(f'<li class="supply {e(level)}"><span>{e(name)}</span>'
                    f'<span>{e(" · ".join(bits))}</span></li>')
    return f'<ul class="supplies">{"".join(rows)}</ul>'



# -- one kiosk --------------------------------------------------------------------------------

def kiosk_part(lang: str, s: KioskState, now: dt.datetime) -> str:
    devices = "".join(
        f'<tr><td>{e(word_or_code(DEVICES, name, lang))}</td>'
        f'<td class="dev {e(h.state)}">{e(word_or_code(STATES, h.state, lang))}'
        f'{" · " + e(h.code) if h.code else ""}</td></tr>'
        for name, h in sorted(s.health.items())) or '<tr><td class="quiet">–</td></tr>'
    applied = word("dashboard.applied", lang,
                   revision=s.applied_revision if s.applied_revision is not None else "–")
    return (f'<div class="card">{kiosk_card(lang, s, now)}'
            f'<p>{e(word("dashboard.revision", lang))}: {s.settings_revision} ({e(applied)})</p>'
            f'</div><div class="card"><h2>{e(word("dashboard.devices", lang))}</h2>'
            f'<table>{devices}</table></div>')



def kiosk_page(lang: str, signed: SignedIn, state: KioskState, now: dt.datetime,
               journeys: tuple[JourneyTotals, JourneyTotals], form: str,
               audit: list[AuditEntry]) -> str:
    path = "/fleet/kiosks/" + quote(state.kiosk_id, safe="")
    body = (f'<p><a href="/fleet">← {e(word("dashboard.back", lang))}</a></p>'
            f'<h1>{e(word("dashboard.kiosk", lang))} {e(state.kiosk_id)}</h1>'
            '<div class="columns"><div>'
            + live("/fleet/part/kiosks/" + quote(state.kiosk_id, safe=""),
                   kiosk_part(lang, state, now), lang)
            + f'<div class="card"><h2>{e(word("dashboard.statistics", lang))}</h2>'
            + stats_table(lang, [(word("dashboard.today", lang), journeys[0]),
                                 (word("dashboard.week", lang), journeys[1])])
            + "</div></div><div>" + form + audit_table(lang, audit) + "</div></div>")
    return page(lang, state.kiosk_id, body, signed, path)


def audit_table(lang: str, audit: list[AuditEntry]) -> str:
    if not audit:
        return (f'<div class="card"><h2>{e(word("dashboard.audit", lang))}</h2>'
                f'<p class="quiet">{e(word("dashboard.audit_none", lang))}</p></div>')
    rows = "".join(
        f'<tr><td>{e(a.at.astimezone().strftime("%Y-%m-%d %H:%M:%S"))}</td><td>{e(a.who)}</td>'
        f'<td>#{a.revision}: {e(changes_text(a.changes, lang))}</td></tr>' for a in audit)
    return (f'<div class="card audit"><h2>{e(word("dashboard.audit", lang))}</h2><table><tr>'
            f'<th>{e(word("dashboard.when", lang))}</th><th>{e(word("dashboard.who", lang))}</th>'
            f'<th>{e(word("dashboard.what", lang))}</th></tr>{rows}</table></div>')


# A recorded change's field (central.fleet.flatten) -> the words of the settings form.
_FIELD_WORDS = {"maintenance": ("dashboard.maintenance_mode",),
                "service_hours.opens": ("dashboard.hours", "dashboard.opens"),
                "service_hours.closes": ("dashboard.hours", "dashboard.closes"),
                "enabled_services": ("dashboard.services",),
                "attract_notice": ("dashboard.notice",),
                "attract_notice.zh_CN": ("dashboard.notice", "dashboard.notice_zh"),
                "attract_notice.en": ("dashboard.notice", "dashboard.notice_en")}


def changes_text(changes: dict[str, list], lang: str) -> str:
    """'服务时间·开始：18:00 → 16:00' in the form's own words; a field this page does not
    know yet keeps its recorded name, so nothing recorded is ever hidden."""
    colon, semicolon = word("punct.colon", lang), word("punct.semicolon", lang)
    return semicolon.join(f"{_field_label(field, lang)}{colon}{_setting_value(old, lang)} → "
                          f"{_setting_value(new, lang)}" for field, (old, new) in changes.items())


def _field_label(field: str, lang: str) -> str:
    keys = _FIELD_WORDS.get(field)
    return word("punct.middle_dot", lang).join(word(k, lang) for k in keys) if keys else field


def _setting_value(value: object, lang: str) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return word("dashboard.on" if value else "dashboard.off", lang)
    if isinstance(value, list):
        named_ = [word_or_code(SERVICES, str(v), lang) for v in value]
        return word("punct.enumeration", lang).join(named_)
    if isinstance(value, str) and len(value) == 8 and value[2] == ":" and value[5] == ":":
        return value[:5]  # a time of day: 16:00:00 -> 16:00
    return str(value)


# -- journeys -------------------------------------------------------------------------------

def stats_table(lang: str, rows: list[tuple[str, JourneyTotals]]) -> str:
    head = "".join(f"<th>{e(word(k, lang))}</th>" for k in
                   ("dashboard.started", "dashboard.completed", "dashboard.abandoned",
                    "dashboard.printed_here", "dashboard.queued", "dashboard.median",
                    "dashboard.decisions", "dashboard.abandoned_at"))
    body = "".join(f"<tr><th>{e(label)}</th>{_stats_cells(lang, t)}</tr>" for label, t in rows)
    return f'<div class="scroll"><table class="stats"><tr><th></th>{head}</tr>{body}</table></div>'


def _stats_cells(lang: str, t: JourneyTotals) -> str:
    median = "–"
    if t.median_s is not None:
        median = Duration(t.median_s).in_language(lang)
    numbers = [t.started, t.completed, t.abandoned, t.cards_printed_here, t.cards_queued, median]
    decisions = _counted(lang, DECISIONS, sorted(t.decisions.items()))
    left = _counted(lang, STEPS, sorted(t.abandoned_at.items(), key=lambda x: -x[1]))
    return "".join(f"<td>{e(c)}</td>" for c in numbers) + f"<td>{decisions}</td><td>{left}</td>"


def _counted(lang: str, names: dict[str, str], counts: list[tuple[str, int]]) -> str:
    """'符合条件 3、暂未满足 1' as HTML: a line may break between items, never inside one
    (Chinese text otherwise breaks between any two characters)."""
    if not counts:
        return "–"
    return word("punct.enumeration", lang).join(
        f'<span class="item">{e(named(names, k, lang))} {n}</span>' for k, n in counts)


def stats_page(lang: str, signed: SignedIn, halls: list[Hall],
               periods: list[tuple[str, dict[str, JourneyTotals], JourneyTotals]]) -> str:
    """`halls`: those the account sees; `periods`: (title, totals per hall id, all of them)
    for today and the week."""
    names = {h.hall_id: pick(h.name, lang) for h in halls}
    sections = []
    for title, by_hall, total in periods:
        shown = sorted(set(names) | set(by_hall))  # a hall with no journey yet shows zeros
        rows = [(names.get(h, word("dashboard.no_hall", lang)), by_hall.get(h, JourneyTotals()))
                for h in shown]
        rows.append((word("dashboard.all_halls", lang), total))
        sections.append(f'<div class="card per-hall"><h2>{e(title)}</h2>'
                        f'{stats_table(lang, rows)}</div>')
    body = f'<h1>{e(word("dashboard.statistics", lang))}</h1>' + "".join(sections)
    return page(lang, word("dashboard.statistics", lang), body, signed, "/fleet/stats")


def message_page(lang: str, signed: SignedIn | None, text: str, back: str = "/fleet") -> str:
    """A refusal or a note, with the way back (the overview unless said)."""
    label = word("dashboard.back", lang) if back == "/fleet" else word("dashboard.back_kiosk", lang)
    body = (f'<div class="card"><p class="problem">{e(text)}</p>'
            f'<p><a href="{e(back)}">{e(label)}</a></p></div>')
    return page(lang, word("dashboard.title", lang), body, signed)
