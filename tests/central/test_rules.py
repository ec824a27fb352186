"""The eligibility rules of DOMAIN.md as a table of cases against the pure decide()."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from central.permits.dates import add_months, age_on
from central.permits.policy import load_policies
from central.permits.records import Registration, ResidentRecords, SharedRecord
from central.permits.rules import DeclarationMissing, decide
from protocol import wire

POLICIES = load_policies()
TODAY = dt.date(2026, 11, 22)
D = wire.Decision
C = wire.Condition
EMPLOYER = "株洲湘江机车配件有限公司"


def applicant(born=dt.date(1990, 3, 15), household="shaoyang", expiry=None) -> wire.Applicant:
    return wire.Applicant(document_type="id_card", document_number="430502199003151236",
                          name="李明", sex="M", birth_date=born, nationality="CHN",
                          household_city=household, document_expiry=expiry)


def declaration(condition=C.EMPLOYMENT, sponsor=EMPLOYER, district="tianyuan",
                community="liyu") -> wire.ResidenceDeclaration:
    return wire.ResidenceDeclaration(
        since=dt.date(2024, 1, 1), condition=condition, sponsor=sponsor,
        address=wire.Address(district=district, community=community, detail="1栋101"))


def records(registered: dt.date | None = dt.date(2024, 1, 1), *shared: SharedRecord,
            household: str | None = None, permit: wire.PermitOnFile | None = None):
    registration = Registration(registered, "tianyuan", "liyu") if registered else None
    return ResidentRecords(household_city=household, registration=registration,
                           records=tuple(shared), permit=permit)


def job(sponsor=EMPLOYER) -> SharedRecord:
    return SharedRecord(kind="social_insurance", sponsor=sponsor)


def permit(photo_taken_on: dt.date, valid_until=dt.date(2027, 1, 1)) -> wire.PermitOnFile:
    return wire.PermitOnFile(
        permit_number="PZZ-1", valid_until=valid_until, condition=C.EMPLOYMENT, sponsor=EMPLOYER,
        photo_taken_on=photo_taken_on,
        address=wire.Address(district="tianyuan", community="liyu", detail="1栋101"))


def new(city="zhuzhou", today=TODAY, who=None, decl=None, recs=None) -> wire.EligibilityDecision:
    request = wire.EligibilityRequest(city=city, service=wire.Service.NEW,
                                      applicant=who or applicant(),
                                      declaration=decl or declaration())
    return decide(request, recs if recs is not None else records(None, job()), POLICIES[city], today)


def renewal(recs, today=TODAY, decl=None) -> wire.EligibilityDecision:
    request = wire.EligibilityRequest(city="zhuzhou", service=wire.Service.RENEWAL,
                                      applicant=applicant(), declaration=decl)
    return decide(request, recs, POLICIES["zhuzhou"], today)


# -- the waiting period -----------------------------------------------------------------------

@pytest.mark.parametrize("registered, today, expected, eligible_from", [
    (dt.date(2026, 5, 23), TODAY, D.NOT_YET, dt.date(2026, 11, 23)),  # 6 months minus a day
    (dt.date(2026, 5, 22), TODAY, D.ELIGIBLE, None),  # exactly 6 months
    (dt.date(2026, 8, 31), dt.date(2027, 2, 27), D.NOT_YET, dt.date(2027, 2, 28)),  # clamped
    (dt.date(2026, 8, 31), dt.date(2027, 2, 28), D.ELIGIBLE, None),
    (dt.date(2027, 8, 31), dt.date(2028, 2, 28), D.NOT_YET, dt.date(2028, 2, 29)),  # leap year
])
def test_zhuzhou_six_calendar_months(registered, today, expected, eligible_from):
    d = new(today=today, recs=records(registered, job()))
    assert d.decision is expected and d.eligible_from == eligible_from
    assert d.registration_date == registered
    if expected is D.NOT_YET:
        assert d.reasons[0].code == "waiting_period_not_met"
        day = eligible_from
        assert f"{day.year}年{day.month}月{day.day}日" in d.reasons[0].text.zh_CN


@pytest.mark.parametrize("days_ago, expected", [(29, D.NOT_YET), (30, D.ELIGIBLE), (31, D.ELIGIBLE)])
def test_yantai_thirty_days(days_ago, expected):
    registered = TODAY - dt.timedelta(days=days_ago)
    d = new("yantai", decl=declaration(sponsor="烟台滨海食品有限公司", district="zhifu",
                                       community="binhai"),
            recs=records(registered, job("烟台滨海食品有限公司")))
    assert d.decision is expected
    if expected is D.NOT_YET:
        assert d.eligible_from == registered + dt.timedelta(days=30)
    else:
        assert d.validity_years == 3


def test_no_registration_means_register_today_and_wait_the_whole_period():
    d = new(recs=records(None, job()))
    assert d.decision is D.NOT_YET and d.registration_needed and d.registration_date is None
    assert d.eligible_from == add_months(TODAY, 6) and d.reasons[0].code == "registration_needed"


# -- who needs no permit, or cannot have one ---------------------------------------------------

@pytest.mark.parametrize("born, expected", [
    (dt.date(1956, 11, 22), D.NOT_REQUIRED),  # 70 today
    (dt.date(1956, 11, 23), D.ELIGIBLE),  # 70 tomorrow: 69 today
    (dt.date(1950, 2, 14), D.NOT_REQUIRED),
])
def test_aged_seventy_or_more_need_no_permit(born, expected):
    d = new(who=applicant(born=born), recs=records(dt.date(2024, 1, 1), job()))
    assert d.decision is expected
    if expected is D.NOT_REQUIRED:
        assert d.reasons[0].code == "aged_exempt" and str(age_on(born, TODAY)) in d.reasons[0].text.en


@pytest.mark.parametrize("declared, on_record", [("zhuzhou", None), ("shaoyang", "zhuzhou")])
def test_local_household_is_ineligible_and_the_record_wins(declared, on_record):
    d = new(who=applicant(household=declared), recs=records(dt.date(2024, 1, 1), job(),
                                                            household=on_record))
    assert d.decision is D.INELIGIBLE and d.reasons[0].code == "local_household"
    assert "local resident" in d.reasons[0].text.en


def test_central_record_of_a_non_local_household_overrides_the_kiosk():
    d = new(who=applicant(household="zhuzhou"), recs=records(dt.date(2024, 1, 1), job(),
                                                              household="shaoyang"))
    assert d.decision is D.ELIGIBLE


@pytest.mark.parametrize("expiry, expected", [
    (TODAY - dt.timedelta(days=1), D.INELIGIBLE), (TODAY, D.ELIGIBLE), (None, D.ELIGIBLE)])
def test_expired_document(expiry, expected):
    d = new(who=applicant(expiry=expiry), recs=records(dt.date(2024, 1, 1), job()))
    assert d.decision is expected
    if expected is D.INELIGIBLE:
        assert d.reasons[0].code == "document_expired"


def test_expired_document_is_checked_before_anything_else():
    d = new(who=applicant(born=dt.date(1940, 1, 1), household="zhuzhou",
                          expiry=TODAY - dt.timedelta(days=1)))
    assert [r.code for r in d.reasons] == ["document_expired"]


def test_local_comes_before_aged():
    d = new(who=applicant(born=dt.date(1940, 1, 1), household="zhuzhou"))
    assert d.reasons[0].code == "local_household"


@pytest.mark.parametrize("record, expected", [
    (SharedRecord("enrolment", sponsor="烟台大学", full_time=True, sponsor_province="shandong"),
     "provincial_student"),
    (SharedRecord("medical_stay"), "medical_stay"),
    (SharedRecord("rescue_station"), "rescue_station"),
])
def test_shandong_exemptions(record, expected):
    d = new("yantai", decl=declaration(C.STUDY, "烟台大学", "zhifu", "binhai"),
            recs=records(dt.date(2024, 1, 1), record))
    assert d.decision is D.NOT_REQUIRED and d.reasons[0].code == expected


def test_student_of_another_province_is_not_exempt_in_yantai():
    school = SharedRecord("enrolment", sponsor="湖南工业大学", full_time=True, sponsor_province="hunan")
    d = new("yantai", decl=declaration(C.STUDY, "湖南工业大学", "zhifu", "binhai"),
            recs=records(dt.date(2024, 1, 1), school))
    assert d.decision is D.ELIGIBLE


def test_zhuzhou_has_no_student_exemption():
    school = SharedRecord("enrolment", sponsor="湖南工业大学", full_time=True, sponsor_province="hunan")
    d = new(decl=declaration(C.STUDY, "湖南工业大学"), recs=records(dt.date(2024, 1, 1), school))
    assert d.decision is D.ELIGIBLE


# -- the three conditions ---------------------------------------------------------------------

RENTAL_TIANYUAN = SharedRecord("rental", district="tianyuan")
ENROLMENT = SharedRecord("enrolment", sponsor="湖南工业大学", full_time=True, sponsor_province="hunan")


@pytest.mark.parametrize("decl, shared, documents", [
    (declaration(C.EMPLOYMENT, EMPLOYER), [job()], []),
    (declaration(C.EMPLOYMENT, None), [job()], []),
    (declaration(C.EMPLOYMENT, " 株洲湘江机车配件有限公司 "), [job()], []),
    (declaration(C.EMPLOYMENT, "别的公司"), [job()], ["labour_contract", "social_insurance_proof"]),
    (declaration(C.EMPLOYMENT, EMPLOYER), [], ["labour_contract", "social_insurance_proof"]),
    (declaration(C.HOME, None, "tianyuan"), [RENTAL_TIANYUAN], []),
    (declaration(C.HOME, None, "hetang", "yuetang"), [SharedRecord("property", district="hetang")], []),
    (declaration(C.HOME, None, "lusong", "jianshe"), [RENTAL_TIANYUAN], ["home_proof"]),
    (declaration(C.HOME, None), [job()], ["home_proof"]),
    (declaration(C.STUDY, "湖南工业大学"), [ENROLMENT], []),
    (declaration(C.STUDY, "湖南工业大学"), [job()], ["enrolment_proof"]),
])
def test_condition_confirmed_by_a_shared_record_or_documents_listed(decl, shared, documents):
    d = new(decl=decl, recs=records(dt.date(2024, 1, 1), *shared))
    assert [doc.code for doc in d.documents_to_bring] == documents
    if documents:
        assert d.decision is D.NEEDS_REVIEW and d.reasons[0].code == "condition_not_confirmed"
        assert not d.print_here_allowed
    else:
        assert d.decision is D.ELIGIBLE and d.reasons[0].code == "condition_confirmed"
        assert d.print_here_allowed


def test_beijing_does_not_print_on_the_spot():
    d = new("beijing", decl=declaration(district="chaoyang", community="jinsong"),
            recs=records(dt.date(2024, 1, 1), job()))
    assert d.decision is D.ELIGIBLE and not d.print_here_allowed


def test_known_sponsors_and_pickup_stations_are_filled():
    d = new(recs=records(dt.date(2024, 1, 1), job(), ENROLMENT, RENTAL_TIANYUAN))
    assert d.known_sponsors == [EMPLOYER, "湖南工业大学"]
    assert [s.code for s in d.pickup_stations] == ["zz-songshanlu", "zz-jianshe", "zz-tianxin"]


def test_new_application_without_declaration_is_an_input_error():
    request = wire.EligibilityRequest(city="zhuzhou", service=wire.Service.NEW,
                                      applicant=applicant())
    with pytest.raises(DeclarationMissing):
        decide(request, records(), POLICIES["zhuzhou"], TODAY)


# -- renewals ---------------------------------------------------------------------------------

@pytest.mark.parametrize("photo_taken_on, required", [
    (TODAY - dt.timedelta(days=335), False),  # 11 months: reused
    (dt.date(2024, 11, 22), False),  # exactly 2 years
    (dt.date(2024, 11, 21), True),  # 2 years and a day
])
def test_renewal_reuses_a_recent_photo(photo_taken_on, required):
    d = renewal(records(dt.date(2022, 1, 1), job(), permit=permit(photo_taken_on)))
    assert d.decision is D.ELIGIBLE and d.photo_required is required
    assert d.permit_on_file.permit_number == "PZZ-1"
    assert ("photo_outdated" if required else "photo_reused") in [r.code for r in d.reasons]


def test_renewal_without_permit_says_apply_as_new():
    d = renewal(records(dt.date(2022, 1, 1), job()))
    assert d.decision is D.INELIGIBLE and d.reasons[0].code == "no_permit_on_file"
    assert "new permit" in d.reasons[0].text.en and "首次申领" in d.reasons[0].text.zh_CN


def test_renewal_with_a_changed_employer_needs_proof():
    d = renewal(records(dt.date(2022, 1, 1), job(), permit=permit(TODAY)),
                decl=declaration(C.EMPLOYMENT, "新公司"))
    assert d.decision is D.NEEDS_REVIEW
    assert [doc.code for doc in d.documents_to_bring] == ["labour_contract", "social_insurance_proof"]


# -- every reason says why, in both languages --------------------------------------------------

dates = st.dates(dt.date(1930, 1, 1), dt.date(2027, 12, 31))
# The wire refuses a birth date in the future or after the declared residence began (2024).
births = st.dates(dt.date(1930, 1, 1), dt.date(2023, 12, 31))
shared_records = st.lists(st.sampled_from([
    job(), job("别的公司"), RENTAL_TIANYUAN, SharedRecord("property", district="lusong"), ENROLMENT,
    SharedRecord("enrolment", sponsor="烟台大学", full_time=True, sponsor_province="shandong"),
    SharedRecord("medical_stay")]), max_size=3)


@settings(max_examples=300, deadline=None)
@given(city=st.sampled_from(sorted(POLICIES)), born=births, registered=st.none() | dates,
       expiry=st.none() | dates, household=st.sampled_from(["shaoyang", "zhuzhou", "yantai", "beijing"]),
       condition=st.sampled_from(list(C)), sponsor=st.none() | st.sampled_from([EMPLOYER, "烟台大学"]),
       shared=shared_records, service=st.sampled_from([wire.Service.NEW, wire.Service.RENEWAL]),
       photo=st.none() | dates)
def test_every_decision_explains_itself(city, born, registered, expiry, household, condition,
                                        sponsor, shared, service, photo):
    policy = POLICIES[city]
    district = policy.districts[0]
    decl = declaration(condition, sponsor, district.code, district.communities[0].code)
    recs = records(registered, *shared, permit=permit(photo) if photo else None)
    request = wire.EligibilityRequest(city=city, service=service, declaration=decl,
                                      applicant=applicant(born, household, expiry))
    d = decide(request, recs, policy, TODAY)
    assert d.reasons, "never a bare answer"
    for r in d.reasons:
        assert r.code and r.text.zh_CN.strip() and r.text.en.strip()
    assert (d.decision is D.NEEDS_REVIEW) == bool(d.documents_to_bring)
    assert (d.decision is D.NOT_YET) == (d.eligible_from is not None)
    if d.eligible_from is not None:
        assert d.eligible_from > TODAY
    assert not d.print_here_allowed or d.decision is D.ELIGIBLE


# -- 居住证暂行条例 art. 2: "公民……可以依照本条例的规定申领居住证" — for citizens only ---------

@pytest.mark.parametrize(("document_type", "nationality", "number"), [
    ("passport", "USA", "571234567"),                                  # a foreign passport
    ("foreign_permanent_residence_card", "CAN", "931586197505060021"),  # 外国人永久居留身份证
    ("hk_macao_taiwan_residence_permit", "CHN", "810000199207080025"),  # its holder's own permit
    ("id_card", "CHN", "820000199207080021"),                           # an 82 (Macao) number
])
def test_a_residence_permit_is_for_citizens_only(document_type, nationality, number):
    someone = wire.Applicant(document_type=document_type, document_number=number, name="X",
                             sex="F", birth_date=dt.date(1992, 7, 8), nationality=nationality)
    request = wire.EligibilityRequest(city="zhuzhou", service=wire.Service.NEW,
                                      applicant=someone, declaration=declaration())
    d = decide(request, records(), POLICIES["zhuzhou"], TODAY)
    assert d.decision is D.INELIGIBLE and [r.code for r in d.reasons] == ["not_a_citizen"]
    assert "公民" in d.reasons[0].text.zh_CN and "citizens" in d.reasons[0].text.en


def test_a_chinese_citizens_passport_is_a_citizens():
    citizen = applicant().model_copy(update={"document_type": "passport",
                                             "document_number": "E12345678"})
    request = wire.EligibilityRequest(city="zhuzhou", service=wire.Service.NEW,
                                      applicant=citizen, declaration=declaration())
    assert decide(request, records(), POLICIES["zhuzhou"], TODAY).decision is not D.INELIGIBLE


# -- local by region code (GB/T 2260), not by spelling ------------------------------------------

@pytest.mark.parametrize(("city", "household", "number"), [
    ("beijing", "北京", "110105199001011234"),     # spelled in Chinese: its number says Beijing
    ("zhuzhou", "430200", "430502199003151236"),  # the ID-card module's region code
    ("yantai", None, "370602198805051237"),        # no household given: the number's region
])
def test_a_household_of_the_city_is_local_however_it_is_written(city, household, number):
    local = applicant(household=household).model_copy(update={"document_number": number})
    request = wire.EligibilityRequest(city=city, service=wire.Service.NEW, applicant=local,
                                      declaration=None)
    d = decide(request, records(household=None), POLICIES[city], TODAY)
    assert d.decision is D.INELIGIBLE and d.reasons[0].code == "local_household"


def test_the_registrys_own_household_record_decides_over_the_number():
    moved = applicant(household=None).model_copy(update={"document_number": "430202198704121119"})
    request = wire.EligibilityRequest(city="zhuzhou", service=wire.Service.NEW, applicant=moved,
                                      declaration=declaration())
    d = decide(request, records(household="shaoyang"), POLICIES["zhuzhou"], TODAY)
    assert d.decision is not D.INELIGIBLE, "born in Zhuzhou, household moved to Shaoyang"
