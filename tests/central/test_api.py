"""The central API through the real server on loopback (SQLite and PostgreSQL): wire models in,
wire models out, exactly one application per idempotency key, ApiError bodies on every error."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
import requests

from central.storage.db import make_engine
from central.storage.store import CentralStore
from protocol import wire
from tests.central import people
from tests.central.people import C_, STRANGER, A, B, D, E, F, G, H

M = wire.FulfilmentMethod
S = wire.ApplicationState


def post(central, path: str, body, headers: dict | None = None) -> requests.Response:
    data = body.model_dump_json() if hasattr(body, "model_dump_json") else body
    return requests.post(central.api + path, data=data, timeout=10,
                         headers={"Content-Type": "application/json", **(headers or {})})


def submit(central, sub: wire.ApplicationSubmission, key: str | None = None) -> requests.Response:
    return post(central, "/applications", sub,
                {wire.IDEMPOTENCY_HEADER: sub.idempotency_key if key is None else key})


def decision(central, request: wire.EligibilityRequest) -> wire.EligibilityDecision:
    resp = post(central, "/eligibility", request)
    assert resp.status_code == 200, resp.text
    return wire.EligibilityDecision.model_validate_json(resp.content)


def receipt(resp: requests.Response, status: int) -> wire.ApplicationReceipt:
    assert resp.status_code == status, resp.text
    return wire.ApplicationReceipt.model_validate_json(resp.content)


def api_error(resp: requests.Response, status: int, code: str) -> wire.ApiError:
    assert resp.status_code == status, resp.text
    error = wire.ApiError.model_validate_json(resp.content)
    assert error.code == code
    assert error.message.zh_CN.strip() and error.message.en.strip()
    return error


def lookup(central, p: people.Persona) -> list[wire.ApplicationStatus]:
    resp = post(central, "/applications/lookup", wire.StatusLookup(document_number=p.number))
    assert resp.status_code == 200, resp.text
    return wire.StatusLookupResult.model_validate_json(resp.content).applications


def status_of(central, number: str) -> wire.ApplicationStatus:
    resp = requests.get(f"{central.api}/applications/{number}", timeout=10)
    assert resp.status_code == 200, resp.text
    return wire.ApplicationStatus.model_validate_json(resp.content)


# -- health, directory, errors ----------------------------------------------------------------

def test_health(central):
    resp = requests.get(central.api + "/health", timeout=5)
    assert resp.status_code == 200 and resp.json() == {"status": "ok"}


def test_directory_has_real_districts_and_unknown_city_is_404(central):
    resp = requests.get(central.api + "/cities/zhuzhou/directory", timeout=5)
    directory = wire.CityDirectory.model_validate_json(resp.content)
    names = {d.name.zh_CN for d in directory.districts}
    assert names == {"天元区", "芦淞区", "荷塘区", "石峰区"}
    assert all(2 <= len(d.communities) <= 4 for d in directory.districts)
    api_error(requests.get(central.api + "/cities/atlantis/directory", timeout=5), 404,
              "unknown_city")


def test_unknown_application_route_and_method_are_api_errors(central):
    api_error(requests.get(central.api + "/applications/ZZ-000000-NOPE", timeout=5), 404,
              "unknown_application")
    api_error(requests.get(central.api + "/no/such/thing", timeout=5), 404, "not_found")
    api_error(requests.delete(central.api + "/health", timeout=5), 405, "method_not_allowed")


def test_contract_violations_are_422_api_errors_that_do_not_echo_values(central):
    body = people.eligibility(A).model_dump(mode="json")
    body["applicant"]["sex"] = "Q"
    body["surprise"] = True
    error = api_error(post(central, "/eligibility", json.dumps(body)), 422, "invalid_request")
    assert "applicant.sex" in error.message.en and "surprise" in error.message.en
    assert A.number not in error.model_dump_json()
    api_error(post(central, "/eligibility", "{not json"), 422, "invalid_request")


def test_unknown_address_and_wrong_service_are_422(central):
    request = people.eligibility(A)
    request.declaration.address.district = "atlantis"
    api_error(post(central, "/eligibility", request), 422, "unknown_address")
    api_error(post(central, "/eligibility", people.eligibility(A).model_copy(
        update={"service": wire.Service.STATUS})), 422, "wrong_service")
    api_error(post(central, "/eligibility", people.eligibility(A, city="atlantis")), 422,
              "unknown_city")


# -- eligibility of the demo personas ---------------------------------------------------------

def test_persona_a_is_eligible_with_nothing_to_bring(central):
    d = decision(central, people.eligibility(A))
    assert d.decision is wire.Decision.ELIGIBLE and d.documents_to_bring == []
    assert d.print_here_allowed and A.sponsor in d.known_sponsors
    assert len(d.pickup_stations) >= 2 and d.validity_years == 1


def test_persona_b_is_not_yet_until_six_months_after_registration(central):
    d = decision(central, people.eligibility(B))
    assert d.decision is wire.Decision.NOT_YET and not d.registration_needed
    assert d.registration_date is not None and d.eligible_from > dt.date.today()
    from central.permits.dates import add_months
    assert d.eligible_from == add_months(d.registration_date, 6)


def test_persona_c_needs_review_and_brings_contract_and_insurance_proof(central):
    d = decision(central, people.eligibility(C_))
    assert d.decision is wire.Decision.NEEDS_REVIEW
    assert [doc.code for doc in d.documents_to_bring] == ["labour_contract", "social_insurance_proof"]
    assert d.reasons[0].code == "condition_not_confirmed"


@pytest.mark.parametrize("persona, expected, code", [
    (D, wire.Decision.NOT_REQUIRED, "aged_exempt"),
    (E, wire.Decision.INELIGIBLE, "local_household"),
    (people.EXPIRED, wire.Decision.INELIGIBLE, "document_expired"),
    (H, wire.Decision.ELIGIBLE, "condition_confirmed"),
])
def test_personas_decide_as_documented(central, persona, expected, code):
    d = decision(central, people.eligibility(persona))
    assert d.decision is expected and d.reasons[0].code == code


def test_persona_g_has_no_registration_and_would_register_today(central):
    d = decision(central, people.eligibility(G))
    assert d.decision is wire.Decision.NOT_YET and d.registration_needed
    assert d.registration_date is None and d.eligible_from > dt.date.today()


def test_persona_f_renews_without_a_new_photo(central):
    d = decision(central, people.eligibility(F, wire.Service.RENEWAL))
    assert d.decision is wire.Decision.ELIGIBLE and d.photo_required is False
    assert d.permit_on_file is not None and d.permit_on_file.valid_until > dt.date.today()
    assert [r.code for r in d.reasons] == ["condition_confirmed", "permit_on_file", "photo_reused"]


def test_renewal_without_a_permit_on_file_says_apply_as_new(central):
    d = decision(central, people.eligibility(G, wire.Service.RENEWAL))
    assert d.decision is wire.Decision.INELIGIBLE and d.reasons[0].code == "no_permit_on_file"


# -- submissions ------------------------------------------------------------------------------

def test_resubmission_with_the_same_key_replays_one_application(central):
    before = len(lookup(central, A))
    sub = people.submission(A, M.COURIER)
    first = receipt(submit(central, sub), 201)
    again = receipt(submit(central, sub), 200)
    assert first.replayed is False and again.replayed is True
    assert again.application_number == first.application_number and again.state is S.IN_DELIVERY
    numbers = [a.application_number for a in lookup(central, A)]
    assert len(numbers) == before + 1 and numbers.count(first.application_number) == 1
    assert first.tracking_url == central.url + "/track/" + first.application_number
    assert first.card_valid_until is not None and first.start_date == dt.date.today()


def test_ten_concurrent_submissions_with_one_key_create_one_application(central):
    before = len(lookup(central, A))
    sub = people.submission(A, M.PICKUP, station="zz-tianxin")
    barrier, answers = threading.Barrier(10), []

    def send() -> None:
        barrier.wait()
        answers.append(submit(central, sub))

    threads = [threading.Thread(target=send) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(r.status_code for r in answers) == [200] * 9 + [201]
    numbers = {wire.ApplicationReceipt.model_validate_json(r.content).application_number
               for r in answers}
    assert len(numbers) == 1 and len(lookup(central, A)) == before + 1


def test_same_key_with_a_different_body_is_409(central):
    sub = people.submission(A, M.COURIER)
    receipt(submit(central, sub), 201)
    changed = sub.model_copy(update={"kiosk_id": "another-kiosk"})
    api_error(submit(central, changed), 409, "idempotency_key_reused")


def test_idempotency_header_must_be_present_and_equal_the_body_key(central):
    sub = people.submission(A)
    api_error(submit(central, sub, key="f" * 32), 400, "idempotency_key_mismatch")
    resp = post(central, "/applications", sub)  # no header at all
    api_error(resp, 400, "idempotency_key_mismatch")


@pytest.mark.parametrize("persona", [D, E, people.EXPIRED])
def test_not_required_or_ineligible_submissions_are_refused_with_the_reason(central, persona):
    error = api_error(submit(central, people.submission(persona)), 422, "not_applicable")
    expected = decision(central, people.eligibility(persona)).reasons[0].text
    assert error.message == expected


def test_not_yet_without_deferral_is_refused(central):
    api_error(submit(central, people.submission(B)), 422, "not_yet_eligible")


def test_deferred_application_starts_on_eligible_from_and_registers_residence(central):
    before = decision(central, people.eligibility(STRANGER))
    assert before.registration_needed
    made = receipt(submit(central, people.submission(STRANGER, defer_until_eligible=True)), 201)
    assert made.state is S.DEFERRED and made.start_date == before.eligible_from
    after = decision(central, people.eligibility(STRANGER))
    assert after.decision is wire.Decision.NOT_YET and not after.registration_needed
    assert after.registration_date == dt.date.today()
    assert "starts by itself" in status_of(central, made.application_number).next_step.en


def test_deferral_of_b_keeps_the_registration_date(central):
    made = receipt(submit(central, people.submission(B, defer_until_eligible=True)), 201)
    d = decision(central, people.eligibility(B))
    assert made.state is S.DEFERRED and made.start_date == d.eligible_from
    assert made.card_valid_until is None


def test_needs_review_waits_for_the_listed_documents(central):
    made = receipt(submit(central, people.submission(C_, M.PICKUP, station="zz-jianshe")), 201)
    assert made.state is S.AWAITING_DOCUMENTS and made.card_valid_until is None
    status = status_of(central, made.application_number)
    assert "labour contract" in status.next_step.en and "劳动合同" in status.next_step.zh_CN


def test_staff_review_requested_goes_under_review(central):
    made = receipt(submit(central, people.submission(A, staff_review_requested=True)), 201)
    assert made.state is S.UNDER_REVIEW


def test_print_here_then_card_printed(central):
    made = receipt(submit(central, people.submission(A, M.PRINT_HERE)), 201)
    assert made.state is S.APPROVED
    path = f"/applications/{made.application_number}/card-printed"
    printed = post(central, path, wire.CardPrintOutcome(printed=True))
    assert printed.status_code == 200, printed.text
    assert wire.ApplicationStatus.model_validate_json(printed.content).state is S.CARD_PRINTED
    assert post(central, path, wire.CardPrintOutcome(printed=True)).status_code == 200
    api_error(post(central, path, wire.CardPrintOutcome(printed=False)), 409, "state_conflict")


def test_failed_print_falls_back_to_courier(central):
    made = receipt(submit(central, people.submission(A, M.PRINT_HERE)), 201)
    path = f"/applications/{made.application_number}/card-printed"
    resp = post(central, path, wire.CardPrintOutcome(printed=False))
    fallback = wire.ApplicationStatus.model_validate_json(resp.content)
    assert fallback.state is S.IN_DELIVERY and fallback.fulfilment is M.COURIER
    assert [e.state for e in fallback.history] == [S.APPROVED, S.IN_DELIVERY]
    api_error(post(central, "/applications/ZZ-000000-NOPE/card-printed",
                   wire.CardPrintOutcome(printed=True)), 404, "unknown_application")


def test_fulfilment_choices_are_checked(central):
    made = receipt(submit(central, people.submission(H, M.PICKUP, station="zz-songshanlu")), 201)
    assert made.state is S.READY_FOR_PICKUP
    assert "嵩山路派出所" in status_of(central, made.application_number).next_step.zh_CN
    api_error(submit(central, people.submission(H, M.PICKUP, station="nowhere")), 422,
              "unknown_station")
    api_error(submit(central, people.submission(C_, M.PRINT_HERE)), 422,
              "fulfilment_not_available")


def test_renewal_keeps_the_permit_number_and_extends_it(central):
    d = decision(central, people.eligibility(F, wire.Service.RENEWAL))
    made = receipt(submit(central, people.submission(F, M.COURIER, service=wire.Service.RENEWAL)),
                   201)
    from central.permits.dates import add_years
    assert made.card_valid_until == add_years(d.permit_on_file.valid_until, 1)
    after = decision(central, people.eligibility(F, wire.Service.RENEWAL))
    assert after.permit_on_file.permit_number == d.permit_on_file.permit_number
    assert after.permit_on_file.valid_until == made.card_valid_until
    assert after.photo_required is False  # no new photo sent: the old one is still on file


def test_renewal_without_a_permit_is_refused(central):
    api_error(submit(central, people.submission(G, service=wire.Service.RENEWAL)), 422,
              "not_applicable")


def test_invalid_photo_is_refused(central):
    api_error(submit(central, people.submission(A, photo_jpeg_b64="bm90IGEganBlZw==")), 422,
              "photo_invalid")


# -- status lookup and tracking ---------------------------------------------------------------

def test_seeded_past_application_of_f_is_found(central):
    found = [a for a in lookup(central, F) if a.application_number.endswith("-DEMOF")]
    assert len(found) == 1 and found[0].state is S.CARD_PRINTED
    assert found[0].card_valid_until > dt.date.today() and found[0].history


def test_lookup_finds_applications_by_document_in_the_body(central):
    made = receipt(submit(central, people.submission(H)), 201)
    found = lookup(central, H)
    assert made.application_number in [a.application_number for a in found]
    assert lookup(central, people.Persona("110105199001010000", "x", "M", dt.date(1990, 1, 1),
                                          "beijing")) == []


def test_tracking_page_shows_state_and_next_step_without_personal_data(central):
    made = receipt(submit(central, people.submission(C_)), 201)
    page = requests.get(made.tracking_url, timeout=5)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert made.application_number in html
    assert "待补充材料" in html and "Waiting for documents" in html and "劳动合同" in html
    assert C_.number not in html and C_.name not in html
    missing = requests.get(central.url + "/track/ZZ-000000-NOPE", timeout=5)
    assert missing.status_code == 404 and "ZZ-000000-NOPE" in missing.text


def test_tracking_page_escapes_what_is_in_the_url(central):
    page = requests.get(central.url + "/track/%3Cscript%3Ealert(1)%3C%2Fscript%3E", timeout=5)
    assert page.status_code == 404 and "<script>" not in page.text


# -- kiosks -----------------------------------------------------------------------------------

def test_heartbeat_is_answered_and_the_last_one_is_kept(central):
    store = CentralStore(make_engine(central.database))
    for depth in (3, 0):
        beat = wire.Heartbeat(software_version="0.1.0", sent_at=dt.datetime.now(dt.timezone.utc),
                              outbox_depth=depth, journeys_completed=10 + depth,
                              health={"card_printer": wire.DeviceHealthReport(state="ok")})
        resp = post(central, "/kiosks/hall-1-kiosk-2/heartbeat", beat)
        answer = wire.HeartbeatAnswer.model_validate_json(resp.content)
        assert abs((answer.server_time - dt.datetime.now(dt.timezone.utc)).total_seconds()) < 60
    row = store.kiosk("hall-1-kiosk-2")
    assert row.outbox_depth == 0 and row.journeys_completed == 10
    store.engine.dispose()


# -- the log ----------------------------------------------------------------------------------

def test_log_has_one_line_per_request_and_no_personal_data(central):
    sub = people.submission(A, M.PRINT_HERE, photo_jpeg_b64=people_photo())
    made = receipt(submit(central, sub), 201)
    receipt(submit(central, sub), 200)
    lookup(central, A)
    requests.get(made.tracking_url, timeout=5)
    requests.get(f"{central.api}/applications/{A.number}", timeout=5)  # a client's mistake
    log = central.log.wait_for("GET /v1/applications/{number} 404")
    assert "POST /v1/applications 201" in log and "GET /track/{number} 200" in log
    for secret in (A.number, A.name, A.sponsor, sub.idempotency_key, people_photo()[:40]):
        assert secret not in log
    assert "Traceback" not in log and " ERROR " not in log  # nothing went wrong in this module


def people_photo() -> str:
    import base64
    return base64.b64encode(b"\xff\xd8\xff\xe0" + b"PHOTO" * 50).decode()


def test_records_offer_choices_and_tell_certain_refusals_early(central):
    def records(person: people.Persona):
        body = wire.RecordsRequest(city="zhuzhou", applicant=person.applicant())
        return requests.post(central.api + "/records", json=body.model_dump(mode="json"), timeout=5)

    eligible = records(A)
    assert eligible.status_code == 200
    summary = eligible.json()
    assert summary["employers"] == ["株洲湘江机车配件有限公司"] and summary["refusal"] is None
    assert summary["registration_date"]
    senior = records(D)
    assert senior.json()["refusal"]["decision"] == "not_required"


def test_reference_link_waits_then_leads_to_the_application(central):
    key = "ref" + "0" * 29
    pending = requests.get(central.url + "/track/ref/" + key, timeout=5, allow_redirects=False)
    assert pending.status_code == 202 and "等待" in pending.text
