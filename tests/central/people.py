"""The demo personas as the kiosk would send them, and builders for requests about them."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from protocol import wire

C = wire.Condition


@dataclass(frozen=True)
class Persona:
    number: str
    name: str
    sex: str
    born: dt.date
    household: str
    condition: wire.Condition = C.EMPLOYMENT
    sponsor: str | None = None
    district: str = "tianyuan"
    community: str = "liyu"
    expiry: dt.date | None = None

    def applicant(self) -> wire.Applicant:
        return wire.Applicant(document_type="id_card", document_number=self.number,
                              name=self.name, sex=self.sex, birth_date=self.born,
                              nationality="CHN", household_city=self.household,
                              document_expiry=self.expiry)

    def address(self) -> wire.Address:
        return wire.Address(district=self.district, community=self.community, detail="3栋2单元501")

    def declaration(self) -> wire.ResidenceDeclaration:
        return wire.ResidenceDeclaration(since=dt.date.today() - dt.timedelta(days=400),
                                         address=self.address(), condition=self.condition,
                                         sponsor=self.sponsor)


A = Persona("430502199003151236", "李明", "M", dt.date(1990, 3, 15), "shaoyang",
            sponsor="株洲湘江机车配件有限公司", district="shifeng", community="tianxin")
B = Persona("360102199507082465", "王芳", "F", dt.date(1995, 7, 8), "nanchang", condition=C.HOME)
C_ = Persona("420106198811301359", "陈杰", "M", dt.date(1988, 11, 30), "wuhan",
             sponsor="株洲某建筑劳务有限公司", district="lusong", community="jianshe")
D = Persona("430902195002142825", "赵秀英", "F", dt.date(1950, 2, 14), "yiyang")
E = Persona("430202198704121119", "刘洋", "M", dt.date(1987, 4, 12), "zhuzhou")
F = Persona("44010619920520328X", "周静", "F", dt.date(1992, 5, 20), "guangzhou")
G = Persona("410102200109091518", "孙浩", "M", dt.date(2001, 9, 9), "zhengzhou")
H = Persona("520102200403032629", "黄丽", "F", dt.date(2004, 3, 3), "guiyang", condition=C.STUDY,
            sponsor="湖南工业大学")
EXPIRED = Persona("43010419850820431X", "吴刚", "M", dt.date(1985, 8, 20), "changsha",
                  expiry=dt.date(2025, 8, 20))
# Nobody the central system knows: no registration, no records.
STRANGER = Persona("350102199601011231", "林一", "M", dt.date(1996, 1, 1), "fuzhou")

PERSONAS = {"A": A, "B": B, "C": C_, "D": D, "E": E, "F": F, "G": G, "H": H, "expired": EXPIRED}


def eligibility(p: Persona, service: wire.Service = wire.Service.NEW,
                city: str = "zhuzhou") -> wire.EligibilityRequest:
    declaration = None if service is wire.Service.RENEWAL else p.declaration()
    return wire.EligibilityRequest(city=city, service=service, applicant=p.applicant(),
                                   declaration=declaration)


def submission(p: Persona, method: wire.FulfilmentMethod = wire.FulfilmentMethod.COURIER, *,
               key: str | None = None, service: wire.Service = wire.Service.NEW,
               station: str | None = None, **fields) -> wire.ApplicationSubmission:
    fulfilment = wire.Fulfilment(
        method=method, pickup_station=station,
        courier_address=p.address() if method is wire.FulfilmentMethod.COURIER else None)
    declaration = None if service is wire.Service.RENEWAL else p.declaration()
    return wire.ApplicationSubmission(
        idempotency_key=key or secrets.token_hex(16), kiosk_id="test-kiosk-07", city="zhuzhou",
        service=service, applicant=p.applicant(), declaration=declaration,
        fulfilment=fulfilment, submitted_at=dt.datetime.now(dt.timezone.utc), **fields)
