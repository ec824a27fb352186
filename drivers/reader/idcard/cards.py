"""The demo's cards: the personas who are Chinese residents, as the module would read them.

Every persona whose document is a resident ID card gets that card (its number already
carries a valid GB 11643 check digit); the Chinese citizens whose persona holds a passport
or a permit get an ID card too, with a number made from their household city's district
code. Validity follows the card's rules by age at issue (5, 10, 20 years, 长期 from 46 on).
Three more cards that are no persona's show the other layouts: a 2017 and a 2023
foreigner's permanent residence card and a Hong Kong resident's residence permit.
Invented people and numbers, like the personas.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from drivers.reader.idcard.codes import make_citizen_number
from drivers.reader.idcard.photo import simulated_wlt
from drivers.reader.idcard.regions import prefecture_name
from drivers.reader.idcard.text import (
    LONG_TERM,
    CardText,
    ForeignResidence2017Text,
    ForeignResidence2023Text,
    HmtResidencePermitText,
    ResidentIdText,
    format_date,
)
from drivers.reader.personas import SimDocument

# District codes of the demo cities, for Chinese personas whose document is not an ID card.
CITY_DISTRICTS = {"changsha": "430104", "shenzhen": "440304", "shaoyang": "430502",
                  "nanchang": "360102", "wuhan": "420106", "yiyang": "430902",
                  "zhuzhou": "430202", "guangzhou": "440106", "zhengzhou": "410102",
                  "guiyang": "520102"}
_SEX_CODES = {"M": "1", "F": "2"}


@dataclass(frozen=True)
class VirtualCard:
    """A card the virtual module holds: its text and its photo blob."""

    key: str
    text: CardText = field(repr=False)
    wlt: bytes = field(repr=False)
    fingerprints: bytes = field(default=b"", repr=False)


def _age(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _years_back(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def validity(birth: dt.date, expiry: dt.date,
             today: dt.date | None = None) -> tuple[dt.date, dt.date | None]:
    """(valid from, valid until or None for 长期) of an ID card that ends about ``expiry``:
    the period the card rules give for the age at issue, issued no later than today."""
    today = today or dt.date.today()
    periods = ((20, 26, 45), (10, 16, 25), (5, 0, 15))
    issued_dates = [(_years_back(expiry, years), low, high) for years, low, high in periods]
    for issued, low, high in issued_dates:
        if issued <= today and low <= _age(birth, issued) <= high:
            return issued, expiry
    issued = next((d for d, _, _ in issued_dates if d <= today), _years_back(expiry, 20))
    if _age(birth, issued) >= 46:
        return issued, None
    return issued, expiry


def _authority(region: str) -> str:
    city = prefecture_name(region) or ""
    return f"{city}公安局"


def resident_card(doc: SimDocument, today: dt.date | None = None) -> VirtualCard | None:
    """The persona's resident ID card, or None for a persona who is no Chinese resident."""
    f = doc.fields
    if f.get("nationality") != "CHN" or f.get("issuing_state") != "CHN":
        return None
    birth: dt.date = f["birth_date"]
    if f["document_type"] == "id_card":
        number = str(f["document_number"])
    else:
        district = CITY_DISTRICTS.get(str(f.get("household_city")))
        if district is None:
            return None
        sequence = 101 if f["sex"] == "M" else 102  # the sequence's parity is the sex
        number = make_citizen_number(district, birth, sequence)
    valid_from, valid_until = validity(birth, f["expiry_date"], today)
    name = f["name"] if not str(f["name"]).isascii() else str(doc.chip.get("latin_name", ""))
    text = ResidentIdText(
        name=str(name).replace(", ", "").replace(",", ""), sex_code=_SEX_CODES.get(f["sex"], "0"),
        birth=format_date(birth), number=number, valid_from=format_date(valid_from),
        valid_until=format_date(valid_until), ethnic_code="01",
        address=str(f.get("household_address") or ""), issuing_authority=_authority(number[:6]))
    age = _age(birth, today or dt.date.today())
    return VirtualCard(doc.key, text, simulated_wlt(doc.key, f["sex"], age))


def sample_cards(today: dt.date | None = None) -> dict[str, VirtualCard]:
    """The cards of the other layouts, for the demo and tests."""
    cards: dict[str, CardText] = {
        "foreigner_2017": ForeignResidence2017Text(
            name="MUELLER ANNA MARIA", sex_code="2", number="DEU110090052801",
            nationality="DEU", name_zh="安娜", valid_from="20190301", valid_until="20290301",
            birth="19900528", card_version="01", authority_code="1100"),
        "foreigner_2023": ForeignResidence2023Text.with_english_name(
            "OKONKWO-BENNETT CHRISTOPHER ALEXANDER JONATHAN", name="本杰明", sex_code="1",
            renewal_count="00", birth="19850214",
            number=make_citizen_number("936430", dt.date(1985, 2, 14), 11),
            valid_from="20240110", valid_until="20340110", nationality="GBR",
            previous_link=""),
        "hk_permit": HmtResidencePermitText(
            name="陈家明", sex_code="1", birth="19920716",
            number=make_citizen_number("810000", dt.date(1992, 7, 16), 13),
            valid_from="20230601", valid_until="20280601",
            address="广东省深圳市福田区福华路18号", issuing_authority="深圳市公安局",
            pass_number="H12345678", issue_count="01"),
        "long_term": ResidentIdText(
            name="钱淑芬", sex_code="2", birth="19560101",
            number=make_citizen_number("430103", dt.date(1956, 1, 1), 22),
            valid_from="20120301", valid_until=LONG_TERM, ethnic_code="15",
            address="湖南省长沙市天心区解放西路9号", issuing_authority="长沙市公安局天心分局"),
    }
    age = 35
    return {key: VirtualCard(key, text, simulated_wlt(key, "F" if text.sex_code == "2" else "M",
                                                      age))
            for key, text in cards.items()}


def demo_cards(personas: Mapping[str, SimDocument],
               today: dt.date | None = None) -> dict[str, VirtualCard]:
    """The personas' ID cards and the sample cards, by key."""
    cards = {key: card for key, doc in personas.items()
             if (card := resident_card(doc, today)) is not None}
    cards.update(sample_cards(today))
    return cards
