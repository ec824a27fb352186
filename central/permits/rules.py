"""The eligibility rules as one pure function: request + records + city policy + day -> decision.

No I/O and no clock: everything the decision depends on is an argument, so a table of cases
from DOMAIN.md can test it, and the server recomputes it on submission instead of trusting the
kiosk. The order of checks is the order a careful clerk would follow: a document that cannot
be used, a person who is local, a person who need not apply, then the waiting period, then
the condition.
"""

from __future__ import annotations

import datetime as dt

from central.i18n import both
from central.permits import reasons
from central.permits.dates import add_months, add_years, age_on
from central.permits.policy import CityPolicy, ExemptionKind
from central.permits.records import RecordKind, ResidentRecords, SharedRecord
from protocol import wire

D = wire.Decision


class DeclarationMissing(ValueError):
    """A new application needs a declaration (address, condition); the kiosk sent none."""

    code = "declaration_incomplete"


def decide(request: wire.EligibilityRequest, records: ResidentRecords, policy: CityPolicy,
           today: dt.date) -> wire.EligibilityDecision:
    """Decide as of `today` (the caller resolves request.on_date)."""
    refusal = _refusal(request.applicant, records, policy, today)
    if refusal is not None:
        return refusal
    if request.service is wire.Service.RENEWAL:
        return _renewal(request, records, policy, today)
    return _new_application(request, records, policy, today)


def summarise(applicant: wire.Applicant, records: ResidentRecords, policy: CityPolicy,
              today: dt.date) -> wire.RecordsSummary:
    """What the kiosk may offer as choices, and a refusal that no declaration can change."""
    registration = records.registration
    return wire.RecordsSummary(
        registration_date=registration.registered_on if registration else None,
        employers=_sponsors(records, RecordKind.SOCIAL_INSURANCE),
        schools=_sponsors(records, RecordKind.ENROLMENT),
        refusal=_refusal(applicant, records, policy, today))


def _sponsors(records: ResidentRecords, kind: RecordKind) -> list[str]:
    return list(dict.fromkeys(r.sponsor for r in records.of_kind(kind) if r.sponsor))


def period_end(start: dt.date, policy: CityPolicy) -> dt.date:
    """The first day the residence period counted from `start` is complete."""
    period = policy.residence_period
    if period.months is not None:
        return add_months(start, period.months)
    return start + dt.timedelta(days=period.days or 0)


def _decision(decision: wire.Decision, reasons_: list[wire.Reason], records: ResidentRecords,
              policy: CityPolicy, **fields) -> wire.EligibilityDecision:
    """Fill the parts every decision shares: stations, sponsors, the registration date."""
    registration = records.registration
    fields.setdefault("registration_date", registration.registered_on if registration else None)
    return wire.EligibilityDecision(
        decision=decision, reasons=reasons_, pickup_stations=policy.stations(),
        known_sponsors=records.sponsors(), **fields)


def _refusal(applicant: wire.Applicant, records: ResidentRecords, policy: CityPolicy,
             today: dt.date) -> wire.EligibilityDecision | None:
    """Not a citizen, expired document, local resident, aged, exempt: no permit now, and why."""
    if not is_citizen(applicant):
        return _decision(D.INELIGIBLE, [reasons.not_a_citizen()], records, policy)
    if applicant.document_expiry is not None and applicant.document_expiry < today:
        why = reasons.document_expired(applicant.document_expiry)
        return _decision(D.INELIGIBLE, [why], records, policy)
    if _local(applicant, records, policy):
        return _decision(D.INELIGIBLE, [reasons.local_household(policy.name.text())],
                         records, policy)
    age = age_on(applicant.birth_date, today)
    if age >= policy.exempt_age:
        return _decision(D.NOT_REQUIRED, [reasons.aged_exempt(age, policy.exempt_age)],
                         records, policy)
    exempt = [e for e in policy.exemptions if _exemption_applies(e, records, policy)]
    if exempt:
        return _decision(D.NOT_REQUIRED, [wire.Reason(code=e.code, text=e.text.text())
                                          for e in exempt], records, policy)
    return None


# Documents whose holders are not citizens of the People's Republic, though the certified
# ID-card module reads them like an ID card.
NON_CITIZEN_DOCUMENTS = frozenset({"foreign_permanent_residence_card",
                                   "hk_macao_taiwan_residence_permit"})


def is_citizen(applicant: wire.Applicant) -> bool:
    """居住证暂行条例 art. 2: "公民离开常住户口所在地，到其他城市居住半年以上……可以依照本条例
    的规定申领居住证" — a residence permit is for citizens (公民). A passport of another state,
    a foreigner's permanent residence ID card and the residence permit for Hong Kong, Macao
    and Taiwan residents (who hold their own permit) are not a citizen's household papers."""
    hmt_number = applicant.document_number[:2] in ("81", "82", "83")  # 810000 / 820000 / 830000
    return (applicant.nationality == "CHN" and applicant.document_type not in NON_CITIZEN_DOCUMENTS
            and not hmt_number)


def household_region(applicant: wire.Applicant) -> str | None:
    """The household's GB/T 2260 region code: the one the document gives (the ID-card module
    reports it), else the first six digits of a citizen number (GB 11643)."""
    if applicant.household_city and applicant.household_city.isdigit():
        return applicant.household_city
    number = applicant.document_number
    if applicant.document_type == "id_card" and len(number) == 18 and number[:6].isdigit():
        return number[:6]
    return None


def _local(applicant: wire.Applicant, records: ResidentRecords, policy: CityPolicy) -> bool:
    """A household of this city, by the registry's record or the city's region codes (not by
    how the city's name is spelled: "北京", "beijing" and 110105 are one place)."""
    if records.household_city is not None:  # the registry's own record decides
        return records.household_city == policy.code
    if applicant.household_city == policy.code:
        return True
    region = household_region(applicant)
    return region is not None and region.startswith(tuple(policy.region_prefixes or ("-",)))


def _exemption_applies(exemption, records: ResidentRecords, policy: CityPolicy) -> bool:
    if exemption.kind is ExemptionKind.PROVINCIAL_STUDENT:
        return any(r.full_time and r.sponsor_province == policy.province
                   for r in records.of_kind(RecordKind.ENROLMENT))
    return bool(records.of_kind(exemption.record_kind))


def _new_application(request: wire.EligibilityRequest, records: ResidentRecords,
                     policy: CityPolicy, today: dt.date) -> wire.EligibilityDecision:
    declaration = request.declaration
    if declaration is None:
        raise DeclarationMissing("a new application needs a declaration")
    if declaration.condition not in policy.conditions:
        why = reasons.condition_not_accepted(declaration.condition, policy.name.text())
        return _decision(D.INELIGIBLE, [why], records, policy)
    period = policy.residence_period.describe()
    registration = records.registration
    if registration is None:
        eligible_from = period_end(today, policy)
        return _decision(D.NOT_YET, [reasons.registration_needed(period, eligible_from)],
                         records, policy, eligible_from=eligible_from, registration_needed=True,
                         validity_years=policy.validity_years)
    eligible_from = period_end(registration.registered_on, policy)
    if eligible_from > today:
        why = reasons.waiting_period_not_met(registration.registered_on, period, eligible_from)
        return _decision(D.NOT_YET, [why], records, policy, eligible_from=eligible_from,
                         validity_years=policy.validity_years)
    met = reasons.waiting_period_met(registration.registered_on, period)
    return _with_condition([met], declaration.condition, declaration.sponsor,
                           declaration.address.district, records, policy)


def _renewal(request: wire.EligibilityRequest, records: ResidentRecords, policy: CityPolicy,
             today: dt.date) -> wire.EligibilityDecision:
    permit = records.permit
    if permit is None:
        return _decision(D.INELIGIBLE, [reasons.no_permit_on_file()], records, policy)
    declaration = request.declaration
    condition = declaration.condition if declaration else permit.condition
    sponsor = declaration.sponsor if declaration else permit.sponsor
    district = (declaration.address if declaration else permit.address).district
    photo_required = today > add_years(permit.photo_taken_on, policy.photo_max_age_years)
    photo = (reasons.photo_outdated(permit.photo_taken_on, policy.photo_max_age_years)
             if photo_required else reasons.photo_reusable(permit.photo_taken_on))
    return _with_condition([reasons.permit_renewable(permit.valid_until), photo], condition,
                           sponsor, district, records, policy, photo_required=photo_required,
                           permit_on_file=permit)


def _with_condition(so_far: list[wire.Reason], condition: wire.Condition, sponsor: str | None,
                    district: str, records: ResidentRecords, policy: CityPolicy,
                    **fields) -> wire.EligibilityDecision:
    """Eligible when a shared record confirms the condition, else the one-time list.

    The deciding reason comes first: a kiosk that shows one sentence shows that one."""
    fields.setdefault("validity_years", policy.validity_years)
    evidence = _confirming_record(condition, sponsor, district, records)
    if evidence is not None:
        confirmed = reasons.condition_confirmed(condition, _evidence(evidence, policy))
        return _decision(D.ELIGIBLE, [confirmed] + so_far, records, policy,
                         print_here_allowed=policy.print_here_allowed, **fields)
    documents = [d.required() for d in policy.documents.get(condition, [])]
    return _decision(D.NEEDS_REVIEW, [reasons.condition_not_confirmed(condition)] + so_far,
                     records, policy, documents_to_bring=documents, **fields)


def _same(a: str, b: str) -> bool:
    return "".join(a.split()).casefold() == "".join(b.split()).casefold()


def _confirming_record(condition: wire.Condition, sponsor: str | None, district: str,
                       records: ResidentRecords) -> SharedRecord | None:
    """employment <- social insurance with the employer; home <- property or tenancy in the
    declared district; study <- enrolment at the school. No sponsor named: any such record."""
    if condition is wire.Condition.HOME:
        candidates = [r for r in records.of_kind(RecordKind.PROPERTY, RecordKind.RENTAL)
                      if r.district == district]
    else:
        kind = (RecordKind.SOCIAL_INSURANCE if condition is wire.Condition.EMPLOYMENT
                else RecordKind.ENROLMENT)
        candidates = [r for r in records.of_kind(kind)
                      if sponsor is None or (r.sponsor and _same(r.sponsor, sponsor))]
    return candidates[0] if candidates else None


def _evidence(record: SharedRecord, policy: CityPolicy) -> wire.Text:
    if record.kind == RecordKind.SOCIAL_INSURANCE:
        return both("evidence.social_insurance", sponsor=str(record.sponsor))
    if record.kind == RecordKind.ENROLMENT:
        return both("evidence.enrolment", sponsor=str(record.sponsor))
    district = policy.district(record.district or "")
    if record.kind == RecordKind.PROPERTY:
        return (both("evidence.property", district=district.name.text()) if district
                else both("evidence.property_in_city"))
    return (both("evidence.tenancy", district=district.name.text()) if district
            else both("evidence.tenancy_in_city"))
