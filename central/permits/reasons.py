"""The sentences behind every decision: each says WHY and WHAT TO DO NEXT, in zh_CN and en.

Never a bare 'rejected': a resident who is turned away must learn from the screen alone what
would change the answer, so no second trip is wasted.
"""

from __future__ import annotations

import datetime as dt

from protocol import wire
from central.permits.dates import en_date, zh_date

CONDITION_NAMES = {
    wire.Condition.EMPLOYMENT: wire.Text(zh_CN="合法稳定就业", en="legal stable employment"),
    wire.Condition.HOME: wire.Text(zh_CN="合法稳定住所", en="a legal stable home"),
    wire.Condition.STUDY: wire.Text(zh_CN="连续就读", en="continuous study"),
}


def reason(code: str, zh_CN: str, en: str) -> wire.Reason:
    return wire.Reason(code=code, text=wire.Text(zh_CN=zh_CN, en=en))


def document_expired(expiry: dt.date) -> wire.Reason:
    return reason(
        "document_expired",
        f"您的身份证件已于{zh_date(expiry)}过期。请先到户籍地派出所换领新证件，再来办理居住证。",
        f"Your identity document expired on {en_date(expiry)}. Please renew it at the police "
        "station of your household registration first, then come back for the permit.")


def local_household(city: wire.Text) -> wire.Reason:
    return reason(
        "local_household",
        f"您的户籍在{city.zh_CN}，是本地居民，无需申领居住证。您享有本地居民的全部公共服务。",
        f"Your household registration (hukou) is in {city.en}: you are a local resident and need "
        "no residence permit. Local public services are already open to you.")


def aged_exempt(age: int, exempt_age: int) -> wire.Reason:
    return reason(
        "aged_exempt",
        f"您已年满{age}周岁，{exempt_age}周岁及以上的居民无需申领居住证，可直接享受相关服务。",
        f"You are {age}. Residents aged {exempt_age} or over do not need a residence permit; "
        "the services are open to you without it.")


def registration_needed(period: wire.Text, eligible_from: dt.date) -> wire.Reason:
    return reason(
        "registration_needed",
        f"系统中没有您的居住登记。居住满{period.zh_CN}后才能申领居住证。现在登记居住，"
        f"可于{zh_date(eligible_from)}起申领；选择“到期自动办理”，证件将邮寄到家，无需再跑一趟。",
        f"There is no residence registration for you yet. A permit needs {period.en} of "
        f"registered residence. Register today and you can apply from {en_date(eligible_from)}; "
        "choose 'start automatically' and the card will be mailed home, with no second trip.")


def waiting_period_not_met(registered_on: dt.date, period: wire.Text,
                           eligible_from: dt.date) -> wire.Reason:
    return reason(
        "waiting_period_not_met",
        f"您于{zh_date(registered_on)}登记居住，需居住满{period.zh_CN}，"
        f"{zh_date(eligible_from)}起可以申领。可现在提交，到期自动办理并邮寄到家。",
        f"You registered your residence on {en_date(registered_on)} and need {period.en} of "
        f"residence: you can apply from {en_date(eligible_from)}. You may file now and it will "
        "start automatically on that day, with the card mailed home.")


def waiting_period_met(registered_on: dt.date, period: wire.Text) -> wire.Reason:
    return reason(
        "waiting_period_met",
        f"您于{zh_date(registered_on)}登记居住，已满{period.zh_CN}。",
        f"You registered your residence on {en_date(registered_on)}: more than {period.en} ago.")


def condition_confirmed(condition: wire.Condition, evidence: wire.Text) -> wire.Reason:
    name = CONDITION_NAMES[condition]
    return reason(
        "condition_confirmed",
        f"共享记录已证实您符合“{name.zh_CN}”条件（{evidence.zh_CN}），无需携带证明材料。",
        f"Shared records confirm {name.en} ({evidence.en}); you need not bring any proof.")


def condition_not_confirmed(condition: wire.Condition) -> wire.Reason:
    name = CONDITION_NAMES[condition]
    return reason(
        "condition_not_confirmed",
        f"共享记录中暂未查到您“{name.zh_CN}”的信息。请按告知单携带所列材料一次到任一受理点，"
        "工作人员核实后即可办理。",
        f"Shared records do not yet show {name.en} for you. Bring the documents on the list once "
        "to any service point; staff will check them and complete your application.")


def condition_not_accepted(condition: wire.Condition, city: wire.Text) -> wire.Reason:
    name = CONDITION_NAMES[condition]
    return reason(
        "condition_not_accepted",
        f"{city.zh_CN}不以“{name.zh_CN}”作为申领条件。请选择其他符合的条件，或咨询工作人员。",
        f"{city.en} does not accept {name.en} as a condition. Please choose another condition "
        "that applies to you, or ask staff.")


def no_permit_on_file() -> wire.Reason:
    return reason(
        "no_permit_on_file",
        "系统中没有您在本市的居住证，无法续签。请选择“首次申领”办理新证。",
        "There is no residence permit of yours in this city to renew. Please choose "
        "'apply for a new permit' instead.")


def permit_renewable(valid_until: dt.date) -> wire.Reason:
    return reason(
        "permit_on_file",
        f"您的居住证有效期至{zh_date(valid_until)}，可以续签，原有信息将沿用。",
        f"Your residence permit is valid until {en_date(valid_until)} and can be renewed; "
        "the details on file are reused.")


def photo_reusable(taken_on: dt.date) -> wire.Reason:
    return reason(
        "photo_reused",
        f"沿用{zh_date(taken_on)}采集的照片，无需重新拍照。",
        f"The photo taken on {en_date(taken_on)} is reused: no new photo is needed.")


def photo_outdated(taken_on: dt.date, max_years: int) -> wire.Reason:
    return reason(
        "photo_outdated",
        f"存档照片采集于{zh_date(taken_on)}，已超过{max_years}年，请在本机重新拍照。",
        f"The photo on file was taken on {en_date(taken_on)}, more than {max_years} years ago; "
        "please have a new one taken at this kiosk.")
