"""The demo seed: valid GB 11643 numbers, deterministic, loaded once, personas decide as documented."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from central.demo_seed.residents import all_residents, check_digit, personas, seed_demo
from central.permits.policy import load_policies
from central.permits.rules import decide
from central.storage.db import make_engine
from central.storage.store import CentralStore
from protocol import wire
from tests.central import people

RESIDENTS = all_residents()


def test_check_digit_of_known_numbers():
    assert check_digit("11010519491231002") == "X"
    assert check_digit("44010619920520328") == "X"
    assert check_digit("43050219900315123") == "6"


@pytest.mark.parametrize("resident", RESIDENTS, ids=lambda r: r.document_number)
def test_numbers_are_valid_and_match_birth_and_sex(resident):
    n = resident.document_number
    if len(n) != 18:  # the passport persona
        assert resident.persona == "passport"
        return
    assert check_digit(n[:17]) == n[17]
    assert n[6:14] == resident.birth_date.strftime("%Y%m%d")
    assert int(n[16]) % 2 == (1 if resident.sex == "M" else 0)


def test_seed_has_the_personas_and_enough_generated_residents():
    numbers = [r.document_number for r in RESIDENTS]
    assert len(numbers) == len(set(numbers)) and len(RESIDENTS) >= 8 + 25
    assert {p.number for p in people.PERSONAS.values()} <= set(numbers)
    assert [r.document_number for r in all_residents()] == numbers  # deterministic
    cities = Counter(r.registration.city for r in RESIDENTS if r.registration)
    assert set(cities) == {"zhuzhou", "beijing", "yantai"}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    s = CentralStore(make_engine(f"sqlite:///{tmp_path_factory.mktemp('seed') / 'c.db'}"))
    s.create_tables()
    yield s
    s.engine.dispose()


def test_seed_loads_only_into_an_empty_database(store):
    assert seed_demo(store, dt.date.today()) == len(RESIDENTS)
    assert seed_demo(store, dt.date.today()) == 0


@pytest.mark.parametrize("key, expected", [
    ("A", wire.Decision.ELIGIBLE), ("B", wire.Decision.NOT_YET), ("C", wire.Decision.NEEDS_REVIEW),
    ("D", wire.Decision.NOT_REQUIRED), ("E", wire.Decision.INELIGIBLE),
    ("G", wire.Decision.NOT_YET), ("H", wire.Decision.ELIGIBLE),
    ("expired", wire.Decision.INELIGIBLE)])
def test_personas_decide_as_documented_on_the_seeded_records(store, key, expected):
    seed_demo(store, dt.date.today())
    p = people.PERSONAS[key]
    policy = load_policies()["zhuzhou"]
    d = decide(people.eligibility(p), store.records(p.number, "zhuzhou"), policy, dt.date.today())
    assert d.decision is expected


def test_generated_residents_cover_every_kind_of_decision(store):
    seed_demo(store, dt.date.today())
    policies, seen = load_policies(), Counter()
    named = {p.document_number for p in personas()}
    for r in RESIDENTS:
        if r.document_number in named:
            continue
        city = r.registration.city if r.registration else "beijing"
        recs = store.records(r.document_number, city)
        service = wire.Service.RENEWAL if recs.permit else wire.Service.NEW
        district = policies[city].districts[0]
        sponsor = next(iter(recs.sponsors()), None)
        condition = (wire.Condition.STUDY if any(x.kind == "enrolment" for x in recs.records)
                     else wire.Condition.HOME if any(x.kind in ("rental", "property") for x in recs.records)
                     else wire.Condition.EMPLOYMENT)
        decl_district = recs.registration.district if recs.registration else district.code
        decl_community = recs.registration.community if recs.registration else district.communities[0].code
        request = wire.EligibilityRequest(
            city=city, service=service, applicant=wire.Applicant(
                document_type="id_card", document_number=r.document_number, name=r.name, sex=r.sex,
                birth_date=r.birth_date, nationality="CHN", household_city=r.household_city),
            declaration=wire.ResidenceDeclaration(
                since=dt.date(2020, 1, 1), condition=condition, sponsor=sponsor,
                address=wire.Address(district=decl_district, community=decl_community, detail="1")))
        d = decide(request, recs, policies[city], dt.date.today())
        seen[(d.decision, service, d.photo_required)] += 1
    decisions = {decision for decision, _, _ in seen}
    assert decisions == set(wire.Decision)
    assert (wire.Decision.ELIGIBLE, wire.Service.RENEWAL, True) in seen
    assert (wire.Decision.ELIGIBLE, wire.Service.RENEWAL, False) in seen
