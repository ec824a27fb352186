"""Parsers for the LDS files the kiosk reads: EF.COM, DG1 (MRZ), DG2 (face), DG11, DG12.

ICAO 9303-10 (logical data structure) and 9303-3..7 (the MRZ). Every structural
problem raises ``MalformedChipData`` and nothing else; the values themselves are
personal data, so the dataclasses' reprs name fields, never their contents.
"""

from __future__ import annotations

import datetime as dt
import io
import struct
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Literal

from drivers.reader.icao import tlv
from drivers.reader.icao.errors import MalformedChipData
from drivers.reader.icao.mrz import check_digit

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

# Data-group number -> tag of its file (9303-10 table 36); COM and SOD have their own.
_DG_TAGS = {1: 0x61, 2: 0x75, 3: 0x63, 4: 0x76, 5: 0x65, 6: 0x66, 7: 0x67, 8: 0x68,
            9: 0x69, 10: 0x6A, 11: 0x6B, 12: 0x6C, 13: 0x6D, 14: 0x6E, 15: 0x6F, 16: 0x70}
_TAG_DGS = {tag: dg for dg, tag in _DG_TAGS.items()}
TAG_COM = 0x60
TAG_SOD = 0x77
FID_COM = 0x011E
FID_SOD = 0x011D


def dg_number_for_tag(tag: int) -> int:
    """DG number of a file tag (0x75 -> 2); an unknown tag is malformed chip data."""
    try:
        return _TAG_DGS[tag]
    except (KeyError, TypeError):
        raise MalformedChipData(f"tag {tag!r} is not a data group") from None


def tag_for_dg(n: int) -> int:
    """File tag of DG ``n`` (2 -> 0x75); ValueError for a number outside 1..16 (a caller bug)."""
    try:
        return _DG_TAGS[n]
    except (KeyError, TypeError):
        raise ValueError(f"no data group {n!r}") from None


def fid_for_dg(n: int) -> int:
    """Short file identifier of DG ``n`` (0x0101..0x0110)."""
    tag_for_dg(n)
    return 0x0100 + n


def _safe_repr(obj: DataclassInstance) -> str:
    present = [f.name for f in fields(obj) if getattr(obj, f.name) not in (None, "", ())]
    return f"{type(obj).__name__}(present={present})"


# --- EF.COM ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EfCom:
    """Versions as stored ("0107", "040000") and the DG numbers the chip says it holds."""

    lds_version: str
    unicode_version: str
    data_groups: tuple[int, ...]


def _ascii(value: bytes, what: str) -> str:
    try:
        return value.decode("ascii")
    except UnicodeDecodeError:
        raise MalformedChipData(f"{what} is not ASCII") from None


def parse_com(raw: bytes) -> EfCom:
    """60 { 5F01 LDS version, 5F36 Unicode version, 5C tag list }; unknown tags are skipped."""
    com = tlv.parse_one(raw, expect=TAG_COM)
    lds = com.find(0x5F01)
    uni = com.find(0x5F36)
    tags = com.require(0x5C).value
    groups = tuple(sorted({_TAG_DGS[t] for t in tags if t in _TAG_DGS}))
    return EfCom(lds_version=_ascii(lds.value, "LDS version") if lds else "",
                 unicode_version=_ascii(uni.value, "Unicode version") if uni else "",
                 data_groups=groups)


# --- DG1: the machine-readable zone ---------------------------------------------------

MrzFormat = Literal["TD1", "TD2", "TD3"]
MrzSex = Literal["M", "F", "X"]


@dataclass(frozen=True, repr=False)
class MachineReadableZone:
    """The MRZ fields, fillers removed; ``check_digits_ok`` is for the caller to judge."""

    format: MrzFormat
    document_code: str
    issuing_state: str
    document_number: str
    primary_identifier: str
    secondary_identifier: str
    nationality: str
    birth_date: dt.date
    sex: MrzSex
    expiry_date: dt.date | None
    optional_data: str
    check_digits_ok: bool

    def __repr__(self) -> str:
        return (f"MachineReadableZone(format={self.format}, code={self.document_code}, "
                f"state={self.issuing_state}, check_digits_ok={self.check_digits_ok})")


_MRZ_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<")
_FORMATS: dict[int, MrzFormat] = {90: "TD1", 72: "TD2", 88: "TD3"}
_SEXES: dict[str, MrzSex] = {"M": "M", "F": "F", "X": "X", "<": "X"}  # '<': unspecified


def _mrz_date(text: str, *, expiry: bool, today: dt.date) -> dt.date:
    if not text.isdigit():
        raise MalformedChipData("MRZ date is not six digits")
    yy, mm, dd = int(text[:2]), int(text[2:4]), int(text[4:])
    century = 2000 if expiry or yy <= today.year % 100 else 1900
    try:
        return dt.date(century + yy, mm, dd)
    except ValueError:
        raise MalformedChipData("MRZ date is not a calendar date") from None


def _check_ok(field_text: str, digit: str) -> bool:
    """A field of fillers may carry '<' (or 0) as its check digit (9303-3 4.9)."""
    if digit == "<":
        return set(field_text) <= {"<"}
    return check_digit(field_text) == digit


def _names(text: str) -> tuple[str, str]:
    primary, _, secondary = text.partition("<<")
    return primary.replace("<", " ").strip(), secondary.replace("<", " ").strip()


def _clean(text: str) -> str:
    return text.replace("<", "")


def _long_number(number: str, digit: str, optional: str) -> tuple[str, str, str]:
    """TD1/TD2 overflow: a '<' check digit means the number continues in the optional data,
    ended by its check digit (computed over the whole number). Returns the number,
    its check digit and the optional data left over."""
    if digit != "<" or not optional or optional[0] == "<":
        return number, digit, optional
    end = optional.find("<")
    end = len(optional) if end < 0 else end
    if end < 2:
        raise MalformedChipData("TD1/TD2 document number overflow without its check digit")
    rest, real_digit = optional[:end - 1], optional[end - 1]
    return number + rest, real_digit, optional[end:]


def parse_mrz(text: str, *, today: dt.date | None = None) -> MachineReadableZone:
    """Split a TD1 (3x30), TD2 (2x36) or TD3 (2x44) MRZ; line breaks are ignored."""
    mrz = "".join(str(text).split())
    fmt = _FORMATS.get(len(mrz))
    if fmt is None:
        raise MalformedChipData(f"MRZ has {len(mrz)} characters")
    if not set(mrz) <= _MRZ_CHARS:
        raise MalformedChipData("MRZ has characters outside A-Z 0-9 <")
    today = today or dt.date.today()
    if fmt == "TD1":
        l1, l2, l3 = mrz[:30], mrz[30:60], mrz[60:]
        code, state, number, num_cd, opt1 = l1[:2], l1[2:5], l1[5:14], l1[14], l1[15:30]
        birth, birth_cd, sex, expiry, exp_cd = l2[:6], l2[6], l2[7], l2[8:14], l2[14]
        nationality, opt2, composite = l2[15:18], l2[18:29], l2[29]
        names = l3
        composite_text = l1[5:30] + l2[:7] + l2[8:15] + l2[18:29]
        number, num_cd, opt1 = _long_number(number, num_cd, opt1)
        optional_ok = True
        optional = "<".join(p for p in (opt1.strip("<"), opt2.strip("<")) if p)
    else:
        width = 36 if fmt == "TD2" else 44
        l1, l2 = mrz[:width], mrz[width:]
        code, state, names = l1[:2], l1[2:5], l1[5:]
        number, num_cd, nationality = l2[:9], l2[9], l2[10:13]
        birth, birth_cd, sex, expiry, exp_cd = l2[13:19], l2[19], l2[20], l2[21:27], l2[27]
        opt_end = width - 2 if fmt == "TD3" else width - 1
        opt, composite = l2[28:opt_end], l2[width - 1]
        composite_text = l2[:10] + l2[13:20] + l2[21:width - 1]
        optional_ok = fmt == "TD2" or _check_ok(opt, l2[42])
        if fmt == "TD2":
            number, num_cd, opt = _long_number(number, num_cd, opt)
        optional = opt.strip("<")
    checks_ok = (optional_ok and _check_ok(number, num_cd) and _check_ok(birth, birth_cd)
                 and _check_ok(expiry, exp_cd) and check_digit(composite_text) == composite)
    mrz_sex = _SEXES.get(sex)
    if mrz_sex is None:
        raise MalformedChipData("MRZ sex is not M, F, X or <")
    primary, secondary = _names(names)
    return MachineReadableZone(
        format=fmt, document_code=_clean(code), issuing_state=_clean(state),
        document_number=_clean(number), primary_identifier=primary,
        secondary_identifier=secondary, nationality=_clean(nationality),
        birth_date=_mrz_date(birth, expiry=False, today=today),
        sex=mrz_sex,
        expiry_date=None if set(expiry) == {"<"} else _mrz_date(expiry, expiry=True, today=today),
        optional_data=optional, check_digits_ok=checks_ok)


def parse_dg1(raw: bytes) -> MachineReadableZone:
    """61 { 5F1F MRZ characters }."""
    dg1 = tlv.parse_one(raw, expect=_DG_TAGS[1])
    return parse_mrz(_ascii(dg1.require(0x5F1F).value, "MRZ"))


# --- DG2: the face -------------------------------------------------------------------

ImageMime = Literal["image/jpeg", "image/jp2"]


@dataclass(frozen=True)
class FaceImage:
    """The first facial image of DG2, as stored (no re-encoding)."""

    mime: ImageMime
    data: bytes = field(repr=False)
    width: int
    height: int


_JPEG_MAGIC = b"\xff\xd8"
_JP2_MAGIC = bytes.fromhex("0000000C6A5020200D0A870A")
_J2K_MAGIC = bytes.fromhex("FF4FFF51")
_FAC_HEADER = struct.Struct(">4s4sIH")  # 'FAC\0', version, record length, number of faces
_FACE_INFO = struct.Struct(">IHBBB3s2s3s3s")  # block length, feature points, gender ...
_FEATURE_POINT_SIZE = 8
_IMAGE_INFO = struct.Struct(">BBHHBBHH")  # face type, data type, width, height, ...
_IMAGE_DATA_TYPES: dict[int, ImageMime] = {0: "image/jpeg", 1: "image/jp2"}


def _sniff(data: bytes) -> ImageMime | None:
    if data.startswith(_JPEG_MAGIC):
        return "image/jpeg"
    if data.startswith((_JP2_MAGIC, _J2K_MAGIC)):
        return "image/jp2"
    return None


def _image_size(data: bytes) -> tuple[int, int]:
    """Size from the image's own header, for blocks that are a bare image."""
    from PIL import Image  # the chip code does not otherwise need Pillow

    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except Exception:  # Pillow raises many types for hostile bytes; any of them means "bad image"
        raise MalformedChipData("DG2 image header unreadable") from None


def _parse_iso19794_5(block: bytes) -> FaceImage:
    """ISO/IEC 19794-5:2005 facial record: headers, skip feature points, first image."""
    if len(block) < _FAC_HEADER.size + _FACE_INFO.size:
        raise MalformedChipData("DG2 facial record truncated")
    faces = _FAC_HEADER.unpack_from(block, 0)[3]
    if faces < 1:
        raise MalformedChipData("DG2 facial record holds no face")
    pos = _FAC_HEADER.size
    face_length, points = _FACE_INFO.unpack_from(block, pos)[:2]
    face_end = pos + face_length
    pos += _FACE_INFO.size + points * _FEATURE_POINT_SIZE
    if face_end > len(block) or pos + _IMAGE_INFO.size > face_end:
        raise MalformedChipData("DG2 facial information runs past the record")
    _, data_type, width, height = _IMAGE_INFO.unpack_from(block, pos)[:4]
    data = block[pos + _IMAGE_INFO.size:face_end]
    mime = _IMAGE_DATA_TYPES.get(data_type)
    if mime is None:
        raise MalformedChipData(f"DG2 image data type {data_type} unsupported")
    if not data:
        raise MalformedChipData("DG2 image is empty")
    return FaceImage(mime=mime, data=data, width=width, height=height)


def parse_dg2(raw: bytes) -> FaceImage:
    """75 { 7F61 { 02 count, 7F60 { A1 header, 5F2E/7F2E record } } } -> the first face."""
    group = tlv.parse_one(raw, expect=_DG_TAGS[2]).require(0x7F61)
    template = group.require(0x7F60)
    block = template.find(0x5F2E) or template.find(0x7F2E)
    if block is None:
        raise MalformedChipData("DG2 biometric data block missing")
    data = block.value
    if data.startswith(b"FAC\x00"):
        return _parse_iso19794_5(data)
    mime = _sniff(data)
    if mime is None:
        raise MalformedChipData("DG2 block is neither an ISO 19794-5 record nor an image")
    width, height = _image_size(data)
    return FaceImage(mime=mime, data=data, width=width, height=height)


# --- DG11 / DG12: additional details --------------------------------------------------


def _text(value: bytes) -> str:
    """UTF-8 as 9303 LDS 1.7 says; Latin-1 for older chips that wrote 8859-1."""
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


def _has_cjk(text: str) -> bool:
    return any("\u2e80" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af"
               or "\uf900" <= ch <= "\ufaff" for ch in text)


def _fields_text(value: bytes) -> str:
    """'<' separates name parts and address lines: joined with spaces, or without for CJK."""
    text = _text(value)
    parts = [p.strip() for p in text.split("<") if p.strip()]
    return ("" if _has_cjk(text) else " ").join(parts)


def _full_date(value: bytes) -> dt.date | None:
    """YYYYMMDD as ASCII (or 4-byte BCD on some chips); 00 month/day means unknown -> None."""
    if len(value) == 4:
        digits = value.hex()
    else:
        digits = _ascii(value, "date")
    if len(digits) != 8 or not digits.isdigit():
        raise MalformedChipData("date is not YYYYMMDD")
    year, month, day = int(digits[:4]), int(digits[4:6]), int(digits[6:])
    if month == 0 or day == 0:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise MalformedChipData("date is not a calendar date") from None


def _opt(parent: tlv.Tlv, tag: int, convert=_fields_text):
    found = parent.find(tag)
    return None if found is None or not found.value else convert(found.value)


def _repeated(parent: tlv.Tlv, tag: int) -> tuple[str, ...]:
    """Values of ``tag`` whether inside A0 { 02 count, ... } or directly in the group."""
    holders = [parent] + [c for c in parent.children() if c.tag == 0xA0 and c.constructed]
    return tuple(_fields_text(c.value) for h in holders for c in h.children() if c.tag == tag)


@dataclass(frozen=True, repr=False)
class AdditionalPersonalDetails:
    """DG11. Personal data: the repr names present fields only."""

    full_name: str | None = None
    other_names: tuple[str, ...] = ()
    personal_number: str | None = None
    full_birth_date: dt.date | None = None
    place_of_birth: str | None = None
    permanent_address: str | None = None
    telephone: str | None = None
    profession: str | None = None
    title: str | None = None

    def __repr__(self) -> str:
        return _safe_repr(self)


def parse_dg11(raw: bytes) -> AdditionalPersonalDetails:
    """6B { 5C tag list, 5F0E name, A0 { 02, 5F0F other names }, 5F10 ..., 5F42 address }."""
    dg = tlv.parse_one(raw, expect=_DG_TAGS[11])
    return AdditionalPersonalDetails(
        full_name=_opt(dg, 0x5F0E), other_names=_repeated(dg, 0x5F0F),
        personal_number=_opt(dg, 0x5F10, lambda v: _text(v).replace("<", "").strip()),
        full_birth_date=_opt(dg, 0x5F2B, _full_date), place_of_birth=_opt(dg, 0x5F11),
        permanent_address=_opt(dg, 0x5F42), telephone=_opt(dg, 0x5F12),
        profession=_opt(dg, 0x5F13), title=_opt(dg, 0x5F14))


@dataclass(frozen=True, repr=False)
class AdditionalDocumentDetails:
    """DG12: who issued the document and when."""

    issuing_authority: str | None = None
    date_of_issue: dt.date | None = None
    other_persons: tuple[str, ...] = ()
    endorsements: str | None = None
    tax_exit_requirements: str | None = None

    def __repr__(self) -> str:
        return _safe_repr(self)


def parse_dg12(raw: bytes) -> AdditionalDocumentDetails:
    """6C { 5C tag list, 5F19 authority, 5F26 date of issue, A0 { 5F1A }, 5F1B, 5F1C ... }."""
    dg = tlv.parse_one(raw, expect=_DG_TAGS[12])
    return AdditionalDocumentDetails(
        issuing_authority=_opt(dg, 0x5F19), date_of_issue=_opt(dg, 0x5F26, _full_date),
        other_persons=_repeated(dg, 0x5F1A), endorsements=_opt(dg, 0x5F1B),
        tax_exit_requirements=_opt(dg, 0x5F1C))
