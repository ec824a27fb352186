"""The dashboard's words: which catalog message names each code it shows, and the page's
language picking one.

Hall managers read the dashboard at a desk or on a tablet, so one language at a time (Chinese
unless they switch) keeps it calm. The words are in central's catalogs (central/i18n.py, ids
``dashboard.*``); reasons and alerts come from central/fleet/reasons.py in both languages
already.
"""

from __future__ import annotations

from central.i18n import code_words, say

STATES = {"ok": "fleet.state.ok", "warning": "fleet.state.warning",
          "error": "fleet.state.error", "offline": "fleet.state.offline"}
DEVICES = {"reader": "dashboard.device.reader", "camera": "dashboard.device.camera",
           "receipt_printer": "dashboard.device.receipt_printer",
           "card_printer": "dashboard.device.card_printer",
           "scanner": "dashboard.device.scanner"}
SUPPLIES = {"paper": "dashboard.supply.paper", "cards": "dashboard.supply.cards",
            "ribbon": "dashboard.supply.ribbon"}
LEVELS = {"ok": "dashboard.level.ok", "low": "dashboard.level.low",
          "empty": "dashboard.level.empty", "unknown": "dashboard.level.unknown"}
ROLES = {"city_admin": "dashboard.role.city_admin", "hall_manager": "dashboard.role.hall_manager",
         "technician": "dashboard.role.technician"}
SERVICES = {"new": "dashboard.service.new", "renewal": "dashboard.service.renewal",
            "status": "dashboard.service.status"}
# What a credential's record says happened (central/fleet/enrolment.py's audit).
EVENTS = {"code_issued": "dashboard.cred_event.code_issued",
          "enrolled": "dashboard.cred_event.enrolled", "revoked": "dashboard.cred_event.revoked"}

# Where residents leave (kiosk Step values) and what they were told (wire.Decision).
STEPS = {
    "language": "dashboard.step.language", "service_menu": "dashboard.step.service_menu",
    "present_document": "dashboard.step.present_document",
    "access_key": "dashboard.step.access_key",
    "reading_document": "dashboard.step.reading_document",
    "confirm_details": "dashboard.step.confirm_details",
    "declare_residence": "dashboard.step.declare_residence",
    "declare_condition": "dashboard.step.declare_condition",
    "checking_eligibility": "dashboard.step.checking_eligibility",
    "photo": "dashboard.step.photo", "decision": "dashboard.step.decision",
    "fulfilment": "dashboard.step.fulfilment", "status_lookup": "dashboard.step.status_lookup",
    "status_result": "dashboard.step.status_result", "problem": "dashboard.step.problem",
}
DECISIONS = {
    "eligible": "dashboard.decision.eligible", "not_yet": "dashboard.decision.not_yet",
    "not_required": "dashboard.decision.not_required",
    "ineligible": "dashboard.decision.ineligible",
    "needs_review": "dashboard.decision.needs_review",
}


def word(msgid: str, lang: str, **values: object) -> str:
    """The catalog's text for the page's language."""
    return say(lang, msgid, **values)


def named(table: dict[str, str], code: str, lang: str) -> str:
    """A step or decision by name; one a newer kiosk sent is shown by its code."""
    msgid = table.get(code)
    return say(lang, msgid) if msgid else code_words(code, lang)


def word_or_code(table: dict[str, str], code: str, lang: str) -> str:
    """A device, supply, level or state by name; an unknown one exactly as reported."""
    msgid = table.get(code)
    return say(lang, msgid) if msgid else code
