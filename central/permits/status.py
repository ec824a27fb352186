"""What an application's state means to the resident: a label and the next step, in both languages.

Shared by the JSON status answers and the tracking page, so the kiosk, the receipt's QR code
and the phone all say the same thing.
"""

from __future__ import annotations

from sqlalchemy import Row

from central.storage import db
from protocol import wire
from central.permits.dates import en_date, zh_date
from central.permits.policy import CityPolicy

S = wire.ApplicationState
T = wire.Text

STATE_LABELS: dict[wire.ApplicationState, wire.Text] = {
    S.RECEIVED: T(zh_CN="已受理", en="Received"),
    S.DEFERRED: T(zh_CN="已登记，到期自动办理", en="Filed, starts automatically"),
    S.AWAITING_DOCUMENTS: T(zh_CN="待补充材料", en="Waiting for documents"),
    S.UNDER_REVIEW: T(zh_CN="人工审核中", en="Under review by staff"),
    S.APPROVED: T(zh_CN="已批准", en="Approved"),
    S.CARD_PRINTED: T(zh_CN="已当场制证", en="Card printed and handed out"),
    S.IN_DELIVERY: T(zh_CN="证件邮寄中", en="Card on its way by courier"),
    S.READY_FOR_PICKUP: T(zh_CN="待领取", en="Ready for collection"),
    S.REJECTED: T(zh_CN="未通过", en="Not approved"),
}


def next_step(app: Row, policy: CityPolicy | None) -> wire.Text:
    """The one thing the resident should do (or know) now."""
    state = S(app.state)
    if state is S.DEFERRED and app.start_date:
        return T(zh_CN=f"无需任何操作：申请将于{zh_date(app.start_date)}自动生效，证件邮寄到家。",
                 en=f"Nothing to do: your application starts by itself on "
                    f"{en_date(app.start_date)} and the card will be mailed home.")
    if state is S.AWAITING_DOCUMENTS:
        return _bring_documents(app)
    if state is S.READY_FOR_PICKUP:
        return _collect_at(app, policy)
    if state is S.CARD_PRINTED and app.card_valid_until:
        return T(zh_CN=f"证件已领取，有效期至{zh_date(app.card_valid_until)}，请在到期前续签。",
                 en=f"You have your card. It is valid until {en_date(app.card_valid_until)}; "
                    "renew it before then.")
    return FIXED_STEPS.get(state, FIXED_STEPS[S.RECEIVED])


FIXED_STEPS: dict[wire.ApplicationState, wire.Text] = {
    S.RECEIVED: T(zh_CN="申请已受理，正在办理，无需任何操作。",
                  en="We have your application and are processing it; nothing to do."),
    S.UNDER_REVIEW: T(zh_CN="工作人员正在审核，结果将以短信通知您，现在无需携带任何材料。",
                      en="Staff are reviewing your application and will tell you by SMS; "
                         "bring nothing for now."),
    S.APPROVED: T(zh_CN="已批准：请在自助机出证口领取证件。",
                  en="Approved: take your card from the kiosk's card slot."),
    S.IN_DELIVERY: T(zh_CN="证件已交快递寄往您填写的地址，请留意签收。",
                     en="Your card is on its way by courier to the address you gave."),
    S.REJECTED: T(zh_CN="申请未通过，原因见审核意见；如有疑问请到任一派出所咨询。",
                  en="Your application was not approved; see the note. Any police station "
                     "can explain what to do."),
}


def _bring_documents(app: Row) -> wire.Text:
    decision = wire.EligibilityDecision.model_validate_json(app.decision_json)
    docs = decision.documents_to_bring
    return T(zh_CN="请携带以下材料一次到任一受理点：" + "；".join(d.text.zh_CN for d in docs) + "。",
             en="Bring these, once, to any service point: "
                + "; ".join(d.text.en for d in docs) + ".")


def _collect_at(app: Row, policy: CityPolicy | None) -> wire.Text:
    station = policy.station(app.pickup_station) if policy and app.pickup_station else None
    if station is None:
        return T(zh_CN="请携带身份证到受理点领取证件。",
                 en="Collect your card at the service point with your ID card.")
    return T(zh_CN=f"请携带身份证到{station.name.zh_CN}（{station.address.zh_CN}）领取证件。",
             en=f"Collect your card at {station.name.en} ({station.address.en}) with your ID card.")


def application_status(app: Row, events: list[Row],
                       policy: CityPolicy | None) -> wire.ApplicationStatus:
    history = [wire.StatusEvent(at=db.utc(e.at), state=S(e.state),
                                note=T(zh_CN=e.note_zh, en=e.note_en) if e.note_zh else None)
               for e in events]
    return wire.ApplicationStatus(
        application_number=app.number, state=S(app.state), service=wire.Service(app.service),
        city=app.city, start_date=app.start_date, card_valid_until=app.card_valid_until,
        fulfilment=wire.FulfilmentMethod(app.fulfilment), history=history,
        next_step=next_step(app, policy))
