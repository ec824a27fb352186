"""The autopilot resident's journeys: what each one does, as data, and what it must end with.

A script is a list of steps for ``tools.demo.autopilot.Autopilot`` (``("tap", id)``,
``("expect", Step)``, ...) plus the demo's own steps that ``tools.demo.runner.DemoRunner``
adds (``("photo_if_asked",)``, ``("fleet", settings)``, ``("shot",)``, ...). Nothing here
imports Kivy.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kiosk.journey.steps import Step

S = Step

# What the drawn resident does wrong at the photo step (the camera simulator's
# "resident" switch), and the instruction each must bring.
RESIDENT_GUIDANCE = {"far": "photo.guide.closer", "off_centre": "photo.guide.right",
                     "tilted": "photo.guide.tilt", "hat": "photo.guide.uncover",
                     "dark": "photo.guide.too_dark"}
GUIDANCE_TOUR = tuple(RESIDENT_GUIDANCE)

# What a hall manager puts on the attract screen from the fleet dashboard.
FLEET_NOTICE = {"zh_CN": "今晚22:00起系统升级约30分钟，请用2号机",
                "en": "System upgrade tonight from 22:00 for about 30 minutes: "
                      "please use kiosk 2"}


def taps(*ids: str) -> list[tuple]:
    return [("tap", i) for i in ids]


def detail(text: str) -> list[tuple]:
    return [("tap", "detail_dash" if ch == "-" else f"detail_{ch}") for ch in text]


def opening(lang: str, service: str) -> list[tuple]:
    return [("expect", S.ATTRACT), ("expect_text", "attract.touch"), ("tap", "start"),
            ("expect", S.LANGUAGE), ("tap", "lang_zh" if lang == "zh_CN" else "lang_en"),
            ("expect", S.SERVICE_MENU), ("expect_text", "menu.new"),
            ("tap", f"service_{service}")]


def declare(years_back: int, months_back: int, district: str, community: str, room: str,
            condition: str, sponsor: str | None) -> list[tuple]:
    steps = [("expect", S.DECLARE_RESIDENCE), ("expect_text", "residence.confirm")]
    steps += [("tap", "since_year_minus", years_back)] if years_back else []
    steps += [("tap", "since_month_minus", months_back)] if months_back else []
    steps += [("tap", f"district_{district}"), ("tap", f"community_{community}")]
    steps += detail(room) + [("tap", "declare_confirm"), ("expect", S.DECLARE_CONDITION),
                             ("tap", f"condition_{condition}")]
    if sponsor == "listed":
        steps.append(("tap_first", ["sponsor_0", "sponsor_none"]))
    elif sponsor:
        steps.append(("tap", sponsor))
    return steps


def document(persona: str) -> list[tuple]:
    return [("expect", S.PRESENT_DOCUMENT), ("expect_text", "present.title"),
            ("place", persona), ("expect", S.CONFIRM_DETAILS), ("expect_text", "confirm.yes"),
            ("tap", "confirm_yes")]


def lifted_too_early(persona: str) -> list[tuple]:
    """The resident lifts the card half-way through the read, is asked to put it back, does,
    and the read goes on from where it stopped."""
    return [("expect", S.PRESENT_DOCUMENT), ("lift_mid_read", persona), ("place", persona),
            ("wait_for_paused",),
            ("expect_text", "reading.paused"),
            ("place", persona), ("expect", S.CONFIRM_DETAILS), ("expect_text", "confirm.yes"),
            ("tap", "confirm_yes")]


def mrz_key(number: str, birth: str, expiry: str) -> list[tuple]:
    """Type a passport's access key on the keypad: number (letters too), then the two dates."""
    steps: list[tuple] = [("tap", "field_number")]
    for ch in number:
        if ch.isalpha():
            steps += [("tap", "key_letters"), ("tap", f"key_{ch}"), ("tap", "key_digits")]
        else:
            steps.append(("tap", f"key_{ch}"))
    steps.append(("tap", "field_birth"))
    steps += [("tap", f"key_{ch}") for ch in birth]
    steps.append(("tap", "field_expiry"))
    steps += [("tap", f"key_{ch}") for ch in expiry]
    return steps + [("tap", "submit_key")]


def fleet_settings(pin: str) -> list[tuple]:
    """A hall manager's settings, set at central, as the heartbeat's answer brings them: the
    notice on the attract screen, maintenance (a technician
    still gets into diagnostics), service hours that close the kiosk, then hours that open
    it (shown on the attract screen), then all lifted."""
    return [("expect", S.ATTRACT), ("fleet", {"attract_notice": FLEET_NOTICE}),
            ("expect_literal", FLEET_NOTICE["zh_CN"], FLEET_NOTICE["en"]), ("shot",),
            ("fleet", {"maintenance": True, "attract_notice": FLEET_NOTICE}),
            ("expect", S.OUT_OF_SERVICE), ("expect_both", "out_of_service.maintenance.heading"),
            ("expect_both", "out_of_service.maintenance.explain")] + [
            ("tap_at", 0.02, 0.02)] * 5 + [("expect", "diagnostics_pin")] + [
            ("tap", f"pin_{d}") for d in pin] + [
            ("tap", "pin_ok"), ("expect", "diagnostics"), ("wait_for_report",), ("shot",),
            ("tap", "diag_exit"), ("expect", S.OUT_OF_SERVICE),
            ("fleet_hours", False), ("expect", S.OUT_OF_SERVICE),
            ("expect_both", "out_of_service.closed.heading"),
            ("expect_both", "out_of_service.closed.explain"), ("shot",),
            ("fleet_hours", True), ("expect", S.ATTRACT), ("expect_both", "attract.hours_set"),
            ("shot",), ("fleet", {}), ("expect", S.ATTRACT), ("expect_both", "attract.hours")]


def ending() -> list[tuple]:
    return [("expect", S.RECEIPT, 120), ("expect_text", "done.number"), ("tap", "finish"),
            ("expect", S.ATTRACT)]


@dataclass
class Journey:
    name: str
    persona: str
    language: str
    expect_decision: str | None
    script: list[tuple]
    expect_card: bool = False
    about_zh: str = ""  # what happens in it, for the console and the contact sheet
    about_en: str = ""
    # filled in while running
    decision: str | None = None
    application_number: str | None = None
    tracking_url: str | None = None
    fulfilment: str | None = None  # how the card reaches the resident: print_here, courier, ...
    card_printed: bool = False
    receipt_printed: bool = False
    steps: list[str] = field(default_factory=list)
    screenshots: list[str] = field(default_factory=list)
    printed: list[str] = field(default_factory=list)
    texts_checked: list[str] = field(default_factory=list)
    photo_took_itself: bool = False  # the coach's auto-capture, not the button
    wiped: bool = False
    seconds: float = 0.0
    ok: bool = False
    error: str = ""


# Each journey in a few words, in Chinese and in English.
ABOUT = {
    "eligible_zh": ("符合条件的居民（中文），当场制证",
                    "an eligible resident, in Chinese, takes the card printed here"),
    "not_yet_en": ("居住未满期限（英文）：现在登记，到期自动办理",
                   "not yet eligible, in English: registers now, starts by itself later"),
    "needs_documents_zh": ("（中文）读卡中途拿起证件；就业无共享记录："
                           "一次性告知材料，站点自取",
                           "in Chinese: card lifted mid-read; job unconfirmed: papers listed, pickup"),
    "paper_out_en": ("回执打印机缺纸（英文）：回执以二维码显示，证件邮寄",
                     "receipt printer out of paper, in English: QR code on screen instead"),
    "senior_en": ("70岁以上居民（英文）：无需办理", "a resident over 70, in English: no permit needed"),
    "passport_en": ("护照（英文）：访问码先输错", "a passport, in English: access key typed wrong first"),
    "permit_can_zh": ("出入境通行证（中文）：用卡面6位数字开启芯片",
                      "an exit-entry permit, in Chinese: chip opened with its 6-digit number"),
    "renewal_zh": ("续签（中文）：沿用档案照片；制证机无卡，证件邮寄",
                   "a renewal, in Chinese: photo on file; card printer empty, card posted"),
    "status_en": ("扫描第一张回执的二维码查询进度（英文）",
                  "progress lookup, in English, by scanning the first receipt's QR code"),
    "idle_zh": ("无人操作时的倒计时提醒（中文）", "the idle countdown, in Chinese"),
    "restart_recovery": ("重启后提示被中断的申请", "after a restart: the application it cut off"),
    "fleet_settings": ("大厅管理员的设置：公告、维护、服务时间",
                       "a hall manager's settings: notice, maintenance, service hours"),
    "diagnostics": ("技术员诊断（隐藏手势和PIN），测试打印；存储空间不足时暂停服务",
                    "the technician's diagnostics (hidden gesture, PIN), a test print; "
                    "the data folder full: out of service until there is room"),
    "enrolment": ("技术员重新登记本机：输错的代码被拒，扫二维码登记",
                  "the technician re-enrols the kiosk: a wrong code, then the QR code"),
}


def journeys(pin: str) -> dict[str, Journey]:
    J = Journey
    photo = [("photo_if_asked",)]
    photo_twice = [("photo_if_asked", True, GUIDANCE_TOUR)]  # told what to fix; a retake
    photo_told = [("photo_if_asked", False, GUIDANCE_TOUR)]
    all_journeys = [
        J("eligible_zh", "eligible", "zh_CN", "eligible", expect_card=True, script=opening(
            "zh_CN", "new") + document("eligible") + declare(
            2, 0, "shifeng", "tianxin", "12-3-401", "employment", "listed") + photo_twice + [
            ("expect", S.DECISION), ("expect_text", "decision.title.eligible"),
            ("tap", "continue"), ("expect", S.FULFILMENT), ("tap", "fulfil_print_here"),
            ] + ending()),
        J("not_yet_en", "not_yet", "en", "not_yet", script=opening("en", "new") + document(
            "not_yet") + declare(0, 3, "tianyuan", "liyu", "8-2-302", "home", None) + photo_told
            + [("expect", S.DECISION), ("expect_text", "decision.title.not_yet"),
               ("tap", "defer")] + photo + ending()),
        J("needs_documents_zh", "needs_documents", "zh_CN", "needs_review", script=opening(
            "zh_CN", "new") + lifted_too_early("needs_documents") + declare(
            2, 6, "lusong", "jianshe", "3-1-101", "employment", "sponsor_none") + photo + [
            ("expect", S.DECISION), ("expect_text", "decision.bring_once"), ("tap", "continue"),
            ("expect", S.FULFILMENT), ("tap", "fulfil_pickup"), ("tap", "station_zz-jianshe"),
            ] + ending()),
        J("paper_out_en", "student", "en", "eligible", script=[
            ("fault", "receipt_printer", "paper_out")] + opening("en", "new") + document(
            "student") + declare(3, 0, "tianyuan", "liyu", "2-1-203", "study", "listed")
            + photo + [("expect", S.DECISION), ("tap", "continue"), ("expect", S.FULFILMENT),
                       ("tap", "fulfil_courier"), ("expect", S.RECEIPT, 120),
                       ("expect_text", "done.photograph_qr"),
                       ("fault", "receipt_printer", "paper_out", None), ("tap", "finish"),
                       ("expect", S.ATTRACT)]),
        J("senior_en", "senior", "en", "not_required", script=opening("en", "new") + document(
            "senior") + [
            ("expect", S.DECISION), ("expect_text", "decision.title.not_required"),
            ("tap", "finish"), ("expect", S.ATTRACT)]),
        J("passport_en", "passport_mrz", "en", None, script=opening("en", "new") + [
            ("expect", S.PRESENT_DOCUMENT), ("place", "passport_mrz"), ("expect", S.ACCESS_KEY),
            ("expect_text", "access.title")] + mrz_key("E12345678", "930601", "310602") + [
            ("wait", 1.5), ("expect", S.ACCESS_KEY), ("expect_text", "error.wrong_access_key"),
            ("tap", "back"), ("expect", S.PRESENT_DOCUMENT), ("lift",), ("place", "passport_mrz"),
            ("expect", S.ACCESS_KEY)] + mrz_key("E12345678", "930601", "310601") + [
            ("expect", S.CONFIRM_DETAILS), ("expect_text", "confirm.yes"), ("tap", "cancel"),
            ("expect", S.ATTRACT)]),
        J("permit_can_zh", "permit_pace", "zh_CN", None, script=opening("zh_CN", "new") + [
            ("expect", S.PRESENT_DOCUMENT), ("place", "permit_pace"), ("expect", S.ACCESS_KEY),
            ("expect_text", "access.use_can"), ("tap", "switch_key_kind"),
            ("expect_text", "access.explain_can"), ("shot",)] + [
            ("tap", f"key_{d}") for d in "318425"] + [("tap", "submit_key"),
            ("expect", S.CONFIRM_DETAILS), ("expect_text", "confirm.yes"), ("tap", "cancel"),
            ("expect", S.ATTRACT)]),
        J("renewal_zh", "renewal", "zh_CN", None, script=[
            ("fault", "card_printer", "cards_out")] + opening("zh_CN", "renewal") + document(
            "renewal") + [("expect", S.DECISION), ("tap", "continue"), ("expect", S.FULFILMENT),
                          ("tap", "fulfil_courier")] + ending() + [
            ("fault", "card_printer", "cards_out", None)]),
        J("status_en", "receipt QR", "en", None, script=opening("en", "status") + [
            ("expect", S.STATUS_LOOKUP), ("expect_text", "status.lookup_title"),
            ("scan", "TRACKING_URL"), ("expect", S.STATUS_RESULT),
            ("expect_text", "status.result_title"), ("tap", "finish"), ("expect", S.ATTRACT)]),
        J("idle_zh", "-", "zh_CN", None, script=opening("zh_CN", "new")[:-1] + [
            ("wait_for_overlay",), ("expect_text", "idle.title"), ("tap", "idle_continue"),
            ("tap", "cancel"), ("expect", S.ATTRACT)]),
        J("restart_recovery", "-", "zh_CN", None, script=[
            ("expect", S.ATTRACT), ("show_recovered",),
            ("expect_literal", "重启前中断的申请", "was received. Scan or photograph this code"),
            ("shot",), ("show_recovered", False), ("expect", S.ATTRACT)]),
        J("fleet_settings", "-", "zh_CN", None, script=fleet_settings(pin)),
        J("diagnostics", "-", "zh_CN", None, script=[("expect", S.ATTRACT)] + [
            ("tap_at", 0.02, 0.02)] * 5 + [("expect", "diagnostics_pin")] + [
            ("tap", f"pin_{d}") for d in pin] + [
            ("tap", "pin_ok"), ("expect", "diagnostics"), ("wait_for_report",),
            ("tap", "diag_test_receipt"), ("wait_for_test_print",), ("wait", 1.0), ("shot",),
            ("tap", "diag_exit"), ("expect", S.ATTRACT),
            ("storage_room", 10**9), ("expect", S.OUT_OF_SERVICE),
            ("expect_literal", "数据目录空间不足"), ("shot",),
            ("storage_room", None), ("expect", S.ATTRACT)]),
        J("enrolment", "-", "zh_CN", None, script=enrolment(pin)),
    ]
    for j in all_journeys:
        j.about_zh, j.about_en = ABOUT[j.name]
    return {j.name: j for j in all_journeys}


def enrolment(pin: str) -> list[tuple]:
    """A technician re-enrols the kiosk: a mistyped code is refused and says why; central's
    QR code held up to the camera enrols it (a new key, in use at once)."""
    return ([("expect", S.ATTRACT)] + [("tap_at", 0.02, 0.02)] * 5
            + [("expect", "diagnostics_pin")] + [("tap", f"pin_{d}") for d in pin]
            + [("tap", "pin_ok"), ("expect", "diagnostics"), ("wait_for_report",),
               ("tap", "diag_enrol"), ("expect", "diagnostics_enrol")]
            + [("tap", f"enrol_{ch}") for ch in "ABCDEFGHJK"]
            + [("tap", "enrol_ok"), ("wait_for_enrol", "diag.enrol_refused"), ("shot",),
               ("show_enrolment_qr",), ("tap", "enrol_scan"),
               ("wait_for_enrol", "diag.enrol_done"), ("hide_enrolment_qr",), ("shot",),
               ("tap", "enrol_back"), ("expect", "diagnostics"), ("tap", "diag_exit"),
               ("expect", S.ATTRACT)])
