"""The settings form on a kiosk's page: filled from wire.KioskSettings, read back into a dict
that Fleet.set_settings checks with that same model (the one the kiosk checks with).

What the manager typed is kept in the form when it is refused, so nothing is typed twice.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import ValidationError

from central.dashboard.texts import SERVICES as SERVICE_WORDS
from central.dashboard.texts import word, word_or_code
from central.dashboard.views import e
from protocol import wire

SERVICES = (wire.Service.NEW, wire.Service.RENEWAL, wire.Service.STATUS)


def read_form(form: Mapping[str, list[str]]) -> dict:
    """The posted fields as KioskSettings JSON (not yet checked)."""
    def one(name: str) -> str:
        return (form.get(name) or [""])[0].strip()

    out: dict = {"maintenance": one("maintenance") == "on",
                 "enabled_services": [v for v in form.get("services", [])
                                      if v in {s.value for s in SERVICES}]}
    if one("hours") == "set":
        out["service_hours"] = {"opens": one("opens") or "", "closes": one("closes") or ""}
    zh, en = one("notice_zh"), one("notice_en")
    if zh or en:
        out["attract_notice"] = {"zh_CN": zh, "en": en}
    return out


def why_refused(exc: ValidationError | ValueError, lang: str) -> str:
    """The checker's complaints, named by field, without a stack of pydantic noise."""
    if isinstance(exc, ValidationError):
        parts = [f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
                 for err in exc.errors()[:4]]
        if any("attract_notice" in p for p in parts):
            parts.append(word("dashboard.notice_hint", lang))
        return word("dashboard.invalid", lang, details="; ".join(parts))
    return word("dashboard.invalid", lang, details=str(exc))


def settings_form(lang: str, action: str, csrf: str, current: dict, can_change: bool,
                  message: str = "", problem: str = "") -> str:
    """`current`: KioskSettings as JSON (or what was typed, after a refusal)."""
    if not can_change:
        return (f'<div class="card"><h2>{e(word("dashboard.settings", lang))}</h2>'
                f'<p class="quiet">{e(word("dashboard.settings_readonly", lang))}</p>'
                f'{_summary(lang, current)}</div>')
    hours = current.get("service_hours") or {}
    always = not hours or hours.get("opens") == hours.get("closes")
    notice = current.get("attract_notice") or {}
    enabled = set(current.get("enabled_services") or [])
    note = f'<p class="saved" role="status">{e(message)}</p>' if message else ""
    note += f'<p class="problem" role="alert">{e(problem)}</p>' if problem else ""
    services = "".join(
        f'<label class="check"><input type="checkbox" name="services" value="{s.value}"'
        f'{" checked" if s.value in enabled else ""}> '
        f'{e(word_or_code(SERVICE_WORDS, s.value, lang))}'
        '</label>' for s in SERVICES)
    return (
        f'<div class="card"><h2>{e(word("dashboard.settings", lang))}</h2>{note}'
        f'<form method="post" action="{e(action)}" class="settings">'
        f'<input type="hidden" name="csrf" value="{e(csrf)}">'
        f'<label class="check"><input type="checkbox" name="maintenance" id="maintenance"'
        f'{" checked" if current.get("maintenance") else ""}> '
        f'{e(word("dashboard.maintenance_mode", lang))}</label>'
        f'<fieldset><legend>{e(word("dashboard.hours", lang))}</legend>'
        f'<label class="check"><input type="radio" name="hours" value="always"'
        f'{" checked" if always else ""}> {e(word("dashboard.hours_always", lang))}</label>'
        f'<label class="check"><input type="radio" name="hours" value="set"'
        f'{"" if always else " checked"}> {e(word("dashboard.hours_set", lang))}</label>'
        f'<label>{e(word("dashboard.opens", lang))}<input type="time" name="opens" '
        f'value="{e(str(hours.get("opens", ""))[:5])}"></label>'
        f'<label>{e(word("dashboard.closes", lang))}<input type="time" name="closes" '
        f'value="{e(str(hours.get("closes", ""))[:5])}"></label></fieldset>'
        f'<fieldset><legend>{e(word("dashboard.services", lang))}</legend>{services}</fieldset>'
        f'<fieldset><legend>{e(word("dashboard.notice", lang))}</legend>'
        f'<label>{e(word("dashboard.notice_zh", lang))}<input name="notice_zh" id="notice_zh" '
        f'maxlength="{wire.NOTICE_MAX_CHARS}" value="{e(notice.get("zh_CN", ""))}"></label>'
        f'<label>{e(word("dashboard.notice_en", lang))}<input name="notice_en" id="notice_en" '
        f'maxlength="{wire.NOTICE_MAX_CHARS}" value="{e(notice.get("en", ""))}"></label>'
        f'<p class="quiet">{e(word("dashboard.notice_hint", lang))}</p></fieldset>'
        f'<button type="submit" class="primary" id="save">{e(word("dashboard.save", lang))}'
        '</button>'
        '</form></div>')


def _summary(lang: str, current: dict) -> str:
    notice = current.get("attract_notice") or {}
    services = ", ".join(word_or_code(SERVICE_WORDS, s, lang)
                         for s in current.get("enabled_services", []))
    hours = current.get("service_hours") or {}
    shown = word("dashboard.hours_always", lang) if hours.get("opens") == hours.get("closes") \
        else f'{str(hours.get("opens"))[:5]}–{str(hours.get("closes"))[:5]}'
    rows = [("dashboard.maintenance_mode", "✓" if current.get("maintenance") else "–"),
            ("dashboard.hours", shown), ("dashboard.services", services or "–"),
            ("dashboard.notice", notice.get("zh_CN" if lang != "en" else "en", "") or "–")]
    return "<dl>" + "".join(f"<dt>{e(word(k, lang))}</dt><dd>{e(v)}</dd>"
                            for k, v in rows) + "</dl>"
