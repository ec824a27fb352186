"""Wire objects for the demo resident 李明, shared by these tests and the outbox writer script."""

from __future__ import annotations

import base64
import datetime as dt
import secrets

from protocol import wire

NAME = "李明"
DOCUMENT_NUMBER = "430502199003151236"
EMPLOYER = "株洲湘江机车配件有限公司"
CITY = "zhuzhou"
# A recognisable marker inside the "photo", to look for in raw database bytes.
PHOTO_MARKER = b"\xff\xd8\xff\xe0PHOTO-MARKER-0123456789"
PHOTO_B64 = base64.b64encode(PHOTO_MARKER * 20).decode()


def new_key() -> str:
    return secrets.token_hex(16)


def applicant() -> wire.Applicant:
    return wire.Applicant(document_type="resident_id_card", document_number=DOCUMENT_NUMBER,
                          name=NAME, sex="M", birth_date=dt.date(1990, 3, 15),
                          nationality="CHN", household_city="shaoyang")


def address(district: str, community: str) -> wire.Address:
    return wire.Address(district=district, community=community, detail="3栋2单元501")


def declaration(district: str, community: str) -> wire.ResidenceDeclaration:
    return wire.ResidenceDeclaration(since=dt.date.today() - dt.timedelta(days=400),
                                     address=address(district, community),
                                     condition=wire.Condition.EMPLOYMENT, sponsor=EMPLOYER)


def eligibility_request(district: str, community: str) -> wire.EligibilityRequest:
    return wire.EligibilityRequest(city=CITY, service=wire.Service.NEW, applicant=applicant(),
                                   declaration=declaration(district, community))


def submission(district: str = "d-test", community: str = "c-test", *, key: str | None = None,
               kiosk_id: str = "test-kiosk-01", photo: bool = True) -> wire.ApplicationSubmission:
    return wire.ApplicationSubmission(
        idempotency_key=key or new_key(), kiosk_id=kiosk_id, city=CITY,
        service=wire.Service.NEW, applicant=applicant(),
        declaration=declaration(district, community),
        photo_jpeg_b64=PHOTO_B64 if photo else None,
        fulfilment=wire.Fulfilment(method=wire.FulfilmentMethod.COURIER,
                                   courier_address=address(district, community)),
        submitted_at=dt.datetime.now(dt.timezone.utc))


def first_community(directory: wire.CityDirectory) -> tuple[str, str]:
    district = next(d for d in directory.districts if d.communities)
    return district.code, district.communities[0].code
