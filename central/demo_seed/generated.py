"""Generated demo residents across the three cities, one situation each, deterministic by seed.

They give the status lookup, the fleet and the rules something realistic to chew on beyond the
named personas: eligible by each condition, waiting, unconfirmed, unregistered, aged, local,
renewals with and without a usable photo, and Shandong's exemptions.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from central.demo_seed.residents import (
    SeedPermit,
    SeedRecord,
    SeedRegistration,
    SeedResident,
    id_number,
)
from central.permits.policy import CityPolicy, load_policies

# household city code -> (area code of a district there, province)
HOUSEHOLDS = {
    "changsha": ("430104", "hunan"), "hengyang": ("430405", "hunan"),
    "shaoyang": ("430502", "hunan"), "nanchang": ("360102", "jiangxi"),
    "wuhan": ("420106", "hubei"), "guangzhou": ("440106", "guangdong"),
    "zhengzhou": ("410102", "henan"), "hefei": ("340102", "anhui"),
    "chengdu": ("510104", "sichuan"), "shijiazhuang": ("130102", "hebei"),
    "jinan": ("370102", "shandong"), "qingdao": ("370202", "shandong"),
    "zhuzhou": ("430202", "hunan"), "beijing": ("110105", "beijing"),
    "yantai": ("370602", "shandong"),
}
EMPLOYERS = {
    "zhuzhou": ["株洲天元物流有限公司", "湖南芦淞服装城经营管理有限公司", "株洲荷塘精密铸造有限公司"],
    "beijing": ["北京望京科技有限公司", "北京方庄餐饮管理有限公司", "北京通州物流有限公司"],
    "yantai": ["烟台滨海食品有限公司", "烟台莱山建筑工程有限公司", "烟台福山果业合作社"],
}
SCHOOLS = {
    "zhuzhou": [("湖南工业大学", "hunan"), ("株洲师范高等专科学校", "hunan")],
    "beijing": [("北京工商大学", "beijing"), ("北京联合大学", "beijing")],
    "yantai": [("烟台大学", "shandong"), ("鲁东大学", "shandong")],
}
SURNAMES = [("张", "ZHANG"), ("杨", "YANG"), ("吴", "WU"), ("徐", "XU"), ("马", "MA"),
            ("朱", "ZHU"), ("胡", "HU"), ("郭", "GUO"), ("何", "HE"), ("高", "GAO"),
            ("罗", "LUO"), ("郑", "ZHENG"), ("梁", "LIANG"), ("谢", "XIE"), ("宋", "SONG")]
GIVEN = {"M": [("伟", "WEI"), ("强", "QIANG"), ("磊", "LEI"), ("军", "JUN"), ("涛", "TAO"),
               ("斌", "BIN"), ("志强", "ZHIQIANG"), ("建国", "JIANGUO")],
         "F": [("娜", "NA"), ("敏", "MIN"), ("婷", "TING"), ("雪", "XUE"), ("琳", "LIN"),
               ("秀兰", "XIULAN"), ("桂英", "GUIYING"), ("晓燕", "XIAOYAN")]}
CITIES = ["zhuzhou", "beijing", "yantai"]


class Maker:
    """One generated resident at a time, all draws from one Random so the output is fixed."""

    def __init__(self, rng: random.Random, policies: dict[str, CityPolicy]) -> None:
        self.rng, self.policies = rng, policies
        self.taken: set[str] = set()

    def resident(self, city: str, situation: str) -> SeedResident:
        born = self._birth(situation)
        household = city if situation == "local" else self.rng.choice(
            [h for h in HOUSEHOLDS if h not in CITIES])
        sex = self.rng.choice("MF")
        surname, given = self.rng.choice(SURNAMES), self.rng.choice(GIVEN[sex])
        extra = SITUATIONS[situation](self, city)
        return SeedResident(
            persona=None, document_number=self._number(household, born, sex),
            name=surname[0] + given[0], name_en=f"{surname[1]} {given[1]}", sex=sex,
            birth_date=born, household_city=household, **extra)

    def _birth(self, situation: str) -> dt.date:
        years = {"aged": (1938, 1954), "study": (1998, 2006)}.get(situation, (1962, 2005))
        start = dt.date(years[0], 1, 1)
        span = (dt.date(years[1], 12, 31) - start).days
        return start + dt.timedelta(days=self.rng.randrange(span))

    def _number(self, household: str, born: dt.date, sex: str) -> str:
        while True:
            sequence = self.rng.randrange(0, 500) * 2 + (1 if sex == "M" else 0)
            number = id_number(HOUSEHOLDS[household][0], born, sequence)
            if number not in self.taken:
                self.taken.add(number)
                return number

    def place(self, city: str) -> tuple[str, str]:
        district = self.rng.choice(self.policies[city].districts)
        return district.code, self.rng.choice(district.communities).code

    def registration(self, city: str, low: int, high: int) -> SeedRegistration:
        district, community = self.place(city)
        return SeedRegistration(city=city, district=district, community=community,
                                days_ago=self.rng.randint(low, high))

    def employment(self, city: str) -> SeedRecord:
        return SeedRecord(city=city, kind="social_insurance",
                          sponsor=self.rng.choice(EMPLOYERS[city]))


def _waiting_days(maker: Maker, city: str) -> tuple[int, int]:
    period = maker.policies[city].residence_period
    return (3, 25) if period.days else (10, 150)


def _eligible_employment(m: Maker, city: str) -> dict:
    return {"registration": m.registration(city, 300, 1500), "records": [m.employment(city)]}


def _eligible_home(m: Maker, city: str) -> dict:
    reg = m.registration(city, 200, 1500)
    kind = m.rng.choice(["property", "rental"])
    return {"registration": reg,
            "records": [SeedRecord(city=city, kind=kind, district=reg.district)]}


def _study(m: Maker, city: str) -> dict:
    school, province = m.rng.choice(SCHOOLS[city])
    return {"registration": m.registration(city, 200, 1000), "records": [SeedRecord(
        city=city, kind="enrolment", sponsor=school, full_time=True, sponsor_province=province)]}


def _not_yet(m: Maker, city: str) -> dict:
    reg = m.registration(city, *_waiting_days(m, city))
    return {"registration": reg,
            "records": [SeedRecord(city=city, kind="rental", district=reg.district)]}


def _needs_review(m: Maker, city: str) -> dict:
    return {"registration": m.registration(city, 250, 1500)}


def _nothing(m: Maker, city: str) -> dict:
    return {}


def _renewal(photo_days: tuple[int, int]) -> Callable[[Maker, str], dict]:
    def make(m: Maker, city: str) -> dict:
        reg, job = m.registration(city, 800, 2000), m.employment(city)
        permit = SeedPermit(city=city, permit_number=f"P{m.policies[city].number_prefix}-"
                            f"{m.rng.randrange(10**8):08d}", valid_in_days=m.rng.randint(5, 200),
                            photo_days_ago=m.rng.randint(*photo_days), district=reg.district,
                            community=reg.community, detail=f"{m.rng.randint(1, 30)}栋"
                            f"{m.rng.randint(1, 4)}单元{m.rng.randint(101, 2802)}",
                            condition="employment", sponsor=job.sponsor)
        return {"registration": reg, "records": [job], "permit": permit}
    return make


def _record_only(kind: str) -> Callable[[Maker, str], dict]:
    def make(m: Maker, city: str) -> dict:
        return {"registration": m.registration(city, 40, 200),
                "records": [SeedRecord(city=city, kind=kind)]}
    return make


SITUATIONS: dict[str, Callable[[Maker, str], dict]] = {
    "eligible_employment": _eligible_employment, "eligible_home": _eligible_home,
    "study": _study, "not_yet": _not_yet, "needs_review": _needs_review,
    "unregistered": _nothing, "aged": _nothing, "local": _nothing,
    "renewal_photo_ok": _renewal((30, 600)), "renewal_photo_old": _renewal((800, 1400)),
    "medical_stay": _record_only("medical_stay"),
}
ORDER = ["eligible_employment", "eligible_home", "study", "not_yet", "needs_review",
         "unregistered", "aged", "local", "renewal_photo_ok", "renewal_photo_old"]


def generated_residents(count: int, rng: random.Random) -> list[SeedResident]:
    """`count` residents cycling through situations and cities (plus a Yantai medical stay)."""
    maker = Maker(rng, load_policies())
    plan = [(CITIES[i % 3], ORDER[(i // 3 + i) % len(ORDER)]) for i in range(count - 1)]
    plan.append(("yantai", "medical_stay"))
    return [maker.resident(city, situation) for city, situation in plan]
