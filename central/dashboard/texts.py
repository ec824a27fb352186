"""Every word the dashboard shows, in Chinese and English; the page's language picks one.

Hall managers read the dashboard at a desk or on a tablet, so one language at a time (Chinese
unless they switch) keeps it calm; reasons and alerts come from central/fleet_reasons.py in
both languages already.
"""

from __future__ import annotations

from protocol import wire

LANGS = ("zh_CN", "en")

WORDS: dict[str, tuple[str, str]] = {
    "title": ("自助机群看板", "Kiosk fleet dashboard"),
    "login": ("登录", "Sign in"),
    "logout": ("退出", "Sign out"),
    "username": ("用户名", "User name"),
    "password": ("密码", "Password"),
    "login_refused": ("用户名或密码不正确。", "The user name or password is wrong."),
    "login_locked": ("密码错误次数过多，账户已暂时锁定，请15分钟后再试或联系市级管理员。",
                     "Too many wrong passwords: the account is locked for a while. Try again "
                     "in 15 minutes or ask the city administrator."),
    "session_ended": ("登录已过期，请重新登录。", "Your session ended. Please sign in again."),
    "form_expired": ("页面已过期，请刷新后重试。", "This page has expired. Reload it and try again."),
    "overview": ("总览", "Overview"),
    "statistics": ("办理统计", "Journeys"),
    "kiosks": ("台自助机", "kiosks"),
    "no_kiosks": ("您负责的服务厅还没有自助机。", "No kiosk in your halls yet."),
    "no_hall": ("未分配服务厅", "Not in a hall"),
    "ok": ("正常", "OK"), "warning": ("警告", "Warning"), "error": ("故障", "Error"),
    "offline": ("离线", "Offline"),
    "maintenance": ("维护中", "Maintenance"),
    "last_heartbeat": ("最近心跳", "Last heartbeat"),
    "ago": ("{}前", "{} ago"),
    "never": ("从未", "never"),
    "version": ("软件版本", "Software"),
    "outbox": ("待发送申请", "Outbox"),
    "outbox_oldest": ("最早一份{}前", "oldest {} ago"),
    "supplies": ("耗材", "Supplies"),
    "devices": ("设备", "Devices"),
    "left": ("剩 {}", "{} left"),
    "empty_in": ("约{}后用完", "empty in about {}"),
    "paper": ("回执纸", "Receipt paper"), "cards": ("空白卡", "Blank cards"),
    "ribbon": ("色带", "Ribbon"),
    "reader": ("证件阅读器", "Document reader"), "camera": ("摄像头", "Camera"),
    "receipt_printer": ("回执打印机", "Receipt printer"),
    "card_printer": ("制证打印机", "Card printer"), "scanner": ("扫码器", "Barcode scanner"),
    "level_ok": ("充足", "OK"), "level_low": ("偏少", "low"), "level_empty": ("已用完", "empty"),
    "level_unknown": ("未知", "unknown"),
    "all_good": ("一切正常", "All good"),
    "updated": ("已更新 {}", "Updated {}"),
    "live_lost": ("与中心的连接中断，正在重试…", "Lost touch with central, retrying…"),
    "today": ("今天", "Today"), "week": ("近7天", "Last 7 days"),
    "started": ("开始", "Started"), "completed": ("完成", "Completed"),
    "abandoned": ("中途离开", "Abandoned"), "abandoned_at": ("在哪一步离开", "Left at"),
    "decisions": ("办理结论", "Decisions"),
    "printed_here": ("现场制证", "Cards printed here"), "queued": ("邮寄/排队", "Cards queued"),
    "median": ("办理时长中位数", "Median journey"),
    "hall": ("服务厅", "Hall"), "kiosk": ("自助机", "Kiosk"), "all_halls": ("合计", "All"),
    "settings": ("远程设置", "Settings"),
    "settings_readonly": ("您的账户只能查看，设置由服务厅管理员修改。",
                          "Your account can look but not change; a hall manager changes settings."),
    "maintenance_mode": ("维护模式（暂停服务）", "Maintenance (out of service)"),
    "hours": ("服务时间", "Service hours"),
    "hours_always": ("24小时", "Around the clock"),
    "hours_set": ("每日", "Daily"),
    "opens": ("开始", "Opens"), "closes": ("结束", "Closes"),
    "services": ("开放的业务", "Services offered"),
    "service_new": ("申领居住证", "New permit"), "service_renewal": ("续签", "Renewal"),
    "service_status": ("进度查询", "Status"),
    "on": ("开", "on"), "off": ("关", "off"),
    "notice": ("待机屏通知", "Attract-screen notice"),
    "notice_zh": ("中文", "Chinese"), "notice_en": ("英文", "English"),
    "notice_hint": ("两种语言都填，或都留空。", "Fill in both languages, or neither."),
    "save": ("保存并下发", "Save and send"),
    "saved": ("已保存为第 {} 版，自助机将在1分钟内应用。",
              "Saved as revision {}; the kiosk applies it within a minute."),
    "unchanged": ("没有改动。", "Nothing changed."),
    "invalid": ("设置未保存：{}", "Settings not saved: {}"),
    "revision": ("设置版本", "Settings revision"),
    "applied": ("已应用 {}", "applied {}"),
    "audit": ("修改记录", "Changes"),
    "audit_none": ("还没有修改。", "No change yet."),
    "when": ("时间", "When"), "who": ("修改人", "Who"), "what": ("内容", "What"),
    "back": ("返回总览", "Back to overview"),
    "back_kiosk": ("返回自助机页面", "Back to the kiosk"),
    "not_found": ("没有这台自助机，或它不在您负责的服务厅。",
                  "No such kiosk, or it is not in your halls."),
    "forbidden": ("您的账户不能修改设置。", "Your account cannot change settings."),
    "role_city_admin": ("市级管理员", "City administrator"),
    "role_hall_manager": ("服务厅管理员", "Hall manager"),
    "role_technician": ("技术员", "Technician"),
    "switch_lang": ("English", "中文"),
    # enrolment codes and revocation (central/dashboard/credentials.py)
    "enrol_nav": ("登记新自助机", "Enrol a kiosk"),
    "credentials": ("身份凭证", "Credentials"),
    "cred_enrolled": ("已登记，密钥指纹 {}，登记于 {}", "Enrolled with key {} on {}"),
    "cred_revoked": ("已于 {} 撤销，自助机暂停服务，需重新登记。",
                     "Revoked on {}: the kiosk is out of service until enrolled again."),
    "cred_none": ("尚未登记：中心不接受它的请求。",
                  "Not enrolled: central accepts nothing from it."),
    "issue_code": ("签发登记码", "Issue an enrolment code"),
    "issue_code_hint": ("安装或更换自助机时使用。登记码1小时内有效，只能使用一次；"
                        "已登记的自助机用新码登记后，旧密钥即作废。",
                        "For installing or replacing a kiosk. A code works once, within an hour; "
                        "a kiosk enrolled again with a new code loses its old key."),
    "kiosk_id": ("自助机编号", "Kiosk id"),
    "kiosk_id_hint": ("字母、数字、点、横线或下划线，最多64个字符，与自助机配置中的编号一致。",
                      "Letters, digits, dots, dashes or underscores, up to 64, as in the "
                      "kiosk's own configuration."),
    "bad_kiosk_id": ("自助机编号格式不正确。", "The kiosk id is not valid."),
    "kiosk_id_taken": ("不能为这个编号签发登记码：它已属于您负责范围以外的服务厅。"
                       "请换一个编号或联系市级管理员。",
                       "No code for this kiosk id: it belongs outside your halls. Choose "
                       "another id or ask the city administrator."),
    "pick_hall": ("请选择您负责的服务厅。", "Choose one of your halls."),
    "code_title": ("登记码", "Enrolment code"),
    "code_for": ("自助机 {}，服务厅 {}，有效至 {}", "Kiosk {} in {}, valid until {}"),
    "code_how": ("在自助机上打开“诊断 → 登记本机”，输入此码，"
                 "或点“扫描二维码”后将本页二维码对准摄像头。",
                 "On the kiosk, open Diagnostics → Enrol this kiosk and type the code, or tap "
                 "Scan QR code and hold this page's QR code to the camera."),
    "code_once": ("此码只显示这一次，只能使用一次。请勿拍照外传。",
                  "This code is shown only now and works once. Do not share it."),
    "revoke": ("撤销此自助机", "Revoke this kiosk"),
    "revoke_reason": ("撤销原因（必填，将记录在案）", "Why (required, it is recorded)"),
    "revoke_hint": ("撤销后，自助机的所有请求都被拒绝，在下一位居民办完后暂停服务；"
                    "已受理的申请保留在其加密发件箱中，重新登记后自动补发。",
                    "Once revoked, everything the kiosk sends is refused and it goes out of "
                    "service after the current resident; applications it accepted stay in its "
                    "encrypted outbox and are sent once it is enrolled again."),
    "revoke_needs_reason": ("请填写撤销原因。", "Say why the kiosk is revoked."),
    "revoked_now": ("已撤销。自助机将在下一次联系中心时停止服务。",
                    "Revoked. The kiosk stops serving the next time it calls central."),
    "revoke_forbidden": ("您的账户不能撤销自助机，请联系服务厅管理员。",
                         "Your account cannot revoke kiosks; ask a hall manager."),
    "no_enrolment": ("本中心未启用自助机登记。", "Enrolment is not enabled on this central."),
    "cred_audit": ("凭证记录", "Credential record"),
    "cred_code_issued": ("签发登记码", "code issued"),
    "cred_enrolled_ev": ("用其登记码登记", "enrolled with their code"),
    "cred_revoked_ev": ("撤销", "revoked"),
}

# Where residents leave (kiosk/steps.py Step values) and what they were told (wire.Decision).
STEPS: dict[str, tuple[str, str]] = {
    "language": ("选择语言", "choosing a language"), "service_menu": ("选择业务", "service menu"),
    "present_document": ("出示证件", "presenting the document"),
    "access_key": ("输入证件码", "entering the access key"),
    "reading_document": ("读取证件", "reading the document"),
    "confirm_details": ("核对信息", "confirming details"),
    "declare_residence": ("申报居住地", "declaring the residence"),
    "declare_condition": ("申报条件", "declaring the condition"),
    "checking_eligibility": ("审核资格", "checking eligibility"), "photo": ("拍照", "photo"),
    "decision": ("查看结论", "the decision"), "fulfilment": ("选择领取方式", "choosing delivery"),
    "status_lookup": ("查询进度", "status lookup"), "status_result": ("查看进度", "status result"),
    "problem": ("出现问题", "a problem"),
}
DECISIONS: dict[str, tuple[str, str]] = {
    "eligible": ("符合条件", "eligible"), "not_yet": ("暂未满足", "not yet"),
    "not_required": ("无需办理", "not required"), "ineligible": ("不符合", "ineligible"),
    "needs_review": ("需人工审核", "needs review"),
}


def named(table: dict[str, tuple[str, str]], code: str, lang: str) -> str:
    zh, en = table.get(code, (code, code.replace("_", " ")))
    return en if lang == "en" else zh


def word(key: str, lang: str) -> str:
    zh, en = WORDS[key]
    return en if lang == "en" else zh


def pick(text: wire.Text, lang: str) -> str:
    return text.en if lang == "en" else text.zh_CN
