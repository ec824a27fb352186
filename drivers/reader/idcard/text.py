"""The 256 bytes of card text, for the three kinds of card the same readers read.

All text is UCS-2 little-endian, padded with spaces. Layouts, in bytes:

居民身份证 (GA/T 490 as reproduced at wiki.nfc.im, "二代居民身份证"): name 30, sex 2,
ethnic group 4, birth date 16 (YYYYMMDD), address 70, citizen number 36, issuing authority
30, valid from 16, valid until 16 (YYYYMMDD or 长期), reserved 36.

港澳台居民居住证 (card type "J"): as the ID card up to "valid until" with the ethnic-group
field reserved, then pass number 18 (the HK/Macao/Taiwan travel permit's number), issue
count 4, reserved 6, card type 2, reserved 6 (the field table used by reader SDKs, e.g. the
public reader header found in the code index: passID[18], issuesNum[4], rfuData1[6],
typeFlag[2], rfuData2[6]).

外国人永久居留身份证, 2017 (card type "I"; afzhan.com/st170652/news_212938.html, "外国人
身份证居留证芯片机读数据项"): English name 120, sex 2, card number 30 (15 characters),
nationality 6 (GB/T 2659 alpha-3), Chinese name 30, valid from 16, valid until 16, birth
date 16, card version 4, accepting authority code 8, card type 2, reserved 6.

外国人永久居留身份证, 2023 (card type "Y"; rule published for the new card, e.g.
eastcoms.com/service/pro/840.html, "新版外国人永久居留身份证机读信息规则"): Chinese name 30,
sex 2, renewal count 4, birth date 16, English name 70 (characters 1-35), card number 36
(18 digits, first digit 9, MOD 11-2 check), reserved 30, valid from 16, valid until 16,
English name continued 22 (characters 36-46), nationality 6, card type 2, link to the
previous card's number 6.

The card type sits at byte 248 in the three non-ID layouts; on an ID card those bytes are
reserved (spaces). Parsing never raises for a date it cannot read: the date is None and the
problem is listed, so the kiosk can show staff a card the module vouched for.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields, replace
from typing import Any, ClassVar

TEXT_LEN = 256
TYPE_OFFSET = 248
LONG_TERM = "长期"

TYPE_ID_CARD = ""  # no type byte: the resident identity card
TYPE_HMT = "J"
TYPE_FOREIGN_2017 = "I"
TYPE_FOREIGN_2023 = "Y"

_Layout = tuple[tuple[str, int], ...]


def _decode(raw: bytes) -> str:
    return raw.decode("utf-16-le", errors="replace").replace("\x00", "").strip()


def _encode(value: str, size: int) -> bytes:
    data = value.encode("utf-16-le")
    if len(data) > size:
        raise ValueError(f"a field of {size} bytes cannot hold {len(value)} characters")
    return data + " ".encode("utf-16-le") * ((size - len(data)) // 2)


def parse_date(text: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(text.strip(), "%Y%m%d").date()
    except ValueError:
        return None


def format_date(value: dt.date | None) -> str:
    return LONG_TERM if value is None else value.strftime("%Y%m%d")


def card_type(raw: bytes) -> str:
    """The type letter at byte 248 ("J", "I", "Y"), or "" for an ID card."""
    letter = _decode(raw[TYPE_OFFSET:TYPE_OFFSET + 2])
    return letter if letter in (TYPE_HMT, TYPE_FOREIGN_2017, TYPE_FOREIGN_2023) else TYPE_ID_CARD


@dataclass(frozen=True)
class CardText:
    """Fields shared by every layout. Personal data: no field appears in the repr."""

    LAYOUT: ClassVar[_Layout] = ()
    TYPE: ClassVar[str] = TYPE_ID_CARD
    DOCUMENT_TYPE: ClassVar[str] = ""

    name: str = field(repr=False)
    sex_code: str = field(repr=False)
    birth: str = field(repr=False)  # as stored, YYYYMMDD
    number: str = field(repr=False)
    valid_from: str = field(repr=False)
    valid_until: str = field(repr=False)  # YYYYMMDD or 长期

    @property
    def birth_date(self) -> dt.date | None:
        return parse_date(self.birth)

    @property
    def valid_from_date(self) -> dt.date | None:
        return parse_date(self.valid_from)

    @property
    def long_term(self) -> bool:
        return self.valid_until.strip() == LONG_TERM

    @property
    def valid_until_date(self) -> dt.date | None:
        """None when the card does not expire (长期) or the field cannot be read."""
        return None if self.long_term else parse_date(self.valid_until)

    def expired(self, today: dt.date | None = None) -> bool:
        """A finding, never an exception: the kiosk decides what an expired card means."""
        until = self.valid_until_date
        return until is not None and until < (today or dt.date.today())

    def problems(self) -> tuple[str, ...]:
        found = []
        if self.birth_date is None:
            found.append("unreadable_birth_date")
        if self.valid_from_date is None:
            found.append("unreadable_valid_from")
        if not self.long_term and self.valid_until_date is None:
            found.append("unreadable_valid_until")
        return tuple(found)

    @classmethod
    def parse(cls, raw: bytes) -> CardText:
        values: dict[str, Any] = {}
        offset = 0
        for name, size in cls.LAYOUT:
            if not name.startswith("_"):
                values[name] = _decode(raw[offset:offset + size])
            offset += size
        return cls(**values)

    def encode(self) -> bytes:
        """The 256 bytes a card holds (the virtual module's cards, hand-built test frames)."""
        out = bytearray()
        for name, size in self.LAYOUT:
            value = self.TYPE if name == "_type" else ("" if name.startswith("_")
                                                       else getattr(self, name))
            out += _encode(value, size)
        assert len(out) == TEXT_LEN, (type(self).__name__, len(out))
        return bytes(out)

    def with_values(self, **changes: Any) -> CardText:
        return replace(self, **changes)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(type={self.TYPE or 'id_card'})"


@dataclass(frozen=True, repr=False)
class ResidentIdText(CardText):
    """居民身份证."""

    LAYOUT: ClassVar[_Layout] = (
        ("name", 30), ("sex_code", 2), ("ethnic_code", 4), ("birth", 16), ("address", 70),
        ("number", 36), ("issuing_authority", 30), ("valid_from", 16), ("valid_until", 16),
        ("_reserved", 36))
    DOCUMENT_TYPE: ClassVar[str] = "id_card"

    ethnic_code: str = field(default="01", repr=False)
    address: str = field(default="", repr=False)
    issuing_authority: str = field(default="", repr=False)


@dataclass(frozen=True, repr=False)
class HmtResidencePermitText(CardText):
    """港澳台居民居住证 (type J)."""

    LAYOUT: ClassVar[_Layout] = (
        ("name", 30), ("sex_code", 2), ("_reserved1", 4), ("birth", 16), ("address", 70),
        ("number", 36), ("issuing_authority", 30), ("valid_from", 16), ("valid_until", 16),
        ("pass_number", 18), ("issue_count", 4), ("_reserved2", 6), ("_type", 2),
        ("_reserved3", 6))
    TYPE: ClassVar[str] = TYPE_HMT
    DOCUMENT_TYPE: ClassVar[str] = "hk_macao_taiwan_residence_permit"

    address: str = field(default="", repr=False)
    issuing_authority: str = field(default="", repr=False)
    pass_number: str = field(default="", repr=False)
    issue_count: str = field(default="", repr=False)


@dataclass(frozen=True, repr=False)
class ForeignResidence2017Text(CardText):
    """外国人永久居留身份证, 2017 (type I). ``name`` is the English name."""

    LAYOUT: ClassVar[_Layout] = (
        ("name", 120), ("sex_code", 2), ("number", 30), ("nationality", 6), ("name_zh", 30),
        ("valid_from", 16), ("valid_until", 16), ("birth", 16), ("card_version", 4),
        ("authority_code", 8), ("_type", 2), ("_reserved", 6))
    TYPE: ClassVar[str] = TYPE_FOREIGN_2017
    DOCUMENT_TYPE: ClassVar[str] = "foreign_permanent_residence_card"

    nationality: str = field(default="", repr=False)
    name_zh: str = field(default="", repr=False)
    card_version: str = field(default="", repr=False)
    authority_code: str = field(default="", repr=False)

    @property
    def name_en(self) -> str:
        return self.name


@dataclass(frozen=True, repr=False)
class ForeignResidence2023Text(CardText):
    """外国人永久居留身份证, 2023 (type Y). ``name`` is the Chinese name; the English name is
    split over two fields (characters 1-35 and 36-46)."""

    LAYOUT: ClassVar[_Layout] = (
        ("name", 30), ("sex_code", 2), ("renewal_count", 4), ("birth", 16),
        ("name_en_1", 70), ("number", 36), ("_reserved", 30), ("valid_from", 16),
        ("valid_until", 16), ("name_en_2", 22), ("nationality", 6), ("_type", 2),
        ("previous_link", 6))
    TYPE: ClassVar[str] = TYPE_FOREIGN_2023
    DOCUMENT_TYPE: ClassVar[str] = "foreign_permanent_residence_card"

    renewal_count: str = field(default="", repr=False)
    name_en_1: str = field(default="", repr=False)
    name_en_2: str = field(default="", repr=False)
    nationality: str = field(default="", repr=False)
    previous_link: str = field(default="", repr=False)

    @property
    def name_en(self) -> str:
        return (self.name_en_1 + self.name_en_2).strip()

    @classmethod
    def with_english_name(cls, name_en: str, **values: Any) -> ForeignResidence2023Text:
        return cls(name_en_1=name_en[:35], name_en_2=name_en[35:46], **values)


LAYOUTS: dict[str, type[CardText]] = {
    TYPE_ID_CARD: ResidentIdText, TYPE_HMT: HmtResidencePermitText,
    TYPE_FOREIGN_2017: ForeignResidence2017Text, TYPE_FOREIGN_2023: ForeignResidence2023Text}

for _cls in LAYOUTS.values():  # a layout that does not add up to 256 is a bug, found at import
    assert sum(size for _, size in _cls.LAYOUT) == TEXT_LEN, _cls.__name__
    assert {n for n, _ in _cls.LAYOUT if not n.startswith("_")} == {f.name for f in fields(_cls)}


def parse_card_text(raw: bytes) -> CardText:
    """The card text of whichever type the type byte says; ValueError if not 256 bytes."""
    if len(raw) != TEXT_LEN:
        raise ValueError(f"card text is {len(raw)} bytes, not {TEXT_LEN}")
    return LAYOUTS[card_type(raw)].parse(raw)
