"""LDS parsing: ICAO 9303 specimen MRZs, round trips through the test issuer, DG2/DG11/DG12/COM."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from drivers.camera.synthetic import portrait_jpeg
from drivers.reader.icao import lds, tlv
from drivers.reader.icao.errors import MalformedChipData
from drivers.reader.icao.mrz import mrz_key_seed_text
from drivers.reader.vchip.issuer import (
    ChipHolder,
    build_com,
    build_data_groups,
    build_dg2,
    build_mrz,
)

TD3_SPECIMEN = ("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"
                "L898902C36UTO7408122F1204159ZE184226B<<<<<10")
TD1_SPECIMEN = ("I<UTOD231458907<<<<<<<<<<<<<<<"
                "7408122F1204159UTO<<<<<<<<<<<6"
                "ERIKSSON<<ANNA<MARIA<<<<<<<<<<")
TD2_SPECIMEN = ("I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<"
                "D231458907UTO7408122F1204159<<<<<<<6")
TD1_LONG_NUMBER = ("I<UTOD23145890<7349<<<<<<<<<<<"
                   "3407127M9507122UTO<<<<<<<<<<<2"
                   "STEVENSON<<PETER<JOHN<<<<<<<<<")


def holder(**changes) -> ChipHolder:
    base = {"document_code": "P", "issuing_state": "CHN", "document_number": "E12345678",
            "primary_identifier": "LI", "secondary_identifier": "MING", "nationality": "CHN",
            "birth_date": dt.date(1985, 3, 4), "sex": "M", "expiry_date": dt.date(2031, 6, 30)}
    base.update(changes)
    return ChipHolder(**base)


# --- MRZ -----------------------------------------------------------------------------


def test_td3_specimen() -> None:
    mrz = lds.parse_mrz(TD3_SPECIMEN)
    assert (mrz.format, mrz.document_code, mrz.issuing_state) == ("TD3", "P", "UTO")
    assert mrz.document_number == "L898902C3"
    assert (mrz.primary_identifier, mrz.secondary_identifier) == ("ERIKSSON", "ANNA MARIA")
    assert mrz.nationality == "UTO"
    assert mrz.birth_date == dt.date(1974, 8, 12)
    assert mrz.expiry_date == dt.date(2012, 4, 15)
    assert mrz.sex == "F"
    assert mrz.optional_data == "ZE184226B"
    assert mrz.check_digits_ok


def test_td3_specimen_with_line_breaks() -> None:
    assert lds.parse_mrz(TD3_SPECIMEN[:44] + "\n" + TD3_SPECIMEN[44:] + "\n").check_digits_ok


@pytest.mark.parametrize("text, fmt", [(TD1_SPECIMEN, "TD1"), (TD2_SPECIMEN, "TD2")])
def test_td1_td2_specimens(text: str, fmt: str) -> None:
    mrz = lds.parse_mrz(text)
    assert mrz.format == fmt
    assert (mrz.document_code, mrz.issuing_state, mrz.nationality) == ("I", "UTO", "UTO")
    assert mrz.document_number == "D23145890"
    assert (mrz.primary_identifier, mrz.secondary_identifier) == ("ERIKSSON", "ANNA MARIA")
    assert (mrz.birth_date, mrz.expiry_date, mrz.sex) == (dt.date(1974, 8, 12), dt.date(2012, 4, 15), "F")
    assert mrz.optional_data == ""
    assert mrz.check_digits_ok


def test_td1_long_document_number() -> None:
    mrz = lds.parse_mrz(TD1_LONG_NUMBER)
    assert mrz.document_number == "D23145890734"
    assert mrz.optional_data == ""
    assert mrz.check_digits_ok
    assert (mrz.birth_date, mrz.sex, mrz.expiry_date) == (dt.date(1934, 7, 12), "M", dt.date(2095, 7, 12))
    assert mrz_key_seed_text(mrz.document_number, mrz.birth_date, mrz.expiry_date).startswith(
        "D231458907349")


@pytest.mark.parametrize("position, char", [(44 + 9, "7"), (44 + 19, "3"), (44 + 27, "1"),
                                            (44 + 42, "2"), (44 + 43, "1"), (44 + 0, "M")])
def test_wrong_check_digit_is_reported_not_raised(position: int, char: str) -> None:
    altered = TD3_SPECIMEN[:position] + char + TD3_SPECIMEN[position + 1:]
    assert not lds.parse_mrz(altered).check_digits_ok


@pytest.mark.parametrize("bad", [
    TD3_SPECIMEN[:-1],  # wrong length
    TD3_SPECIMEN.replace("ANNA", "Anna"),  # lower case
    TD3_SPECIMEN.replace("7408122", "7413122"),  # month 13
    TD3_SPECIMEN.replace("7408122", "7402302"),  # 30 February
    TD3_SPECIMEN.replace("1204159", "12041<9"),  # filler in a date
    TD3_SPECIMEN.replace("2F1", "2Q1"),  # sex
    "",
])
def test_malformed_mrz_raises(bad: str) -> None:
    with pytest.raises(MalformedChipData):
        lds.parse_mrz(bad)


def test_birth_century_follows_today() -> None:
    text = build_mrz(holder(birth_date=dt.date(2019, 5, 1)))
    assert lds.parse_mrz(text, today=dt.date(2025, 1, 1)).birth_date == dt.date(2019, 5, 1)
    assert lds.parse_mrz(text, today=dt.date(2018, 1, 1)).birth_date == dt.date(1919, 5, 1)


def test_repr_hides_personal_data() -> None:
    text = repr(lds.parse_mrz(TD3_SPECIMEN))
    assert "ERIKSSON" not in text and "L898902C3" not in text and "1974" not in text


_word = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=8)
_names = st.lists(_word, min_size=1, max_size=2).map(" ".join)
_birth = st.dates(min_value=dt.date.today().replace(day=1, month=1) - dt.timedelta(days=98 * 365),
                  max_value=dt.date.today())
_expiry = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31))
_alnum = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=9)


@settings(max_examples=150, deadline=None)
@given(fmt=st.sampled_from(["TD1", "TD2", "TD3"]), primary=_names, secondary=_names,
       number=_alnum, extra=st.text(alphabet="0123456789", max_size=5), birth=_birth,
       expiry=_expiry, sex=st.sampled_from(["M", "F", "X"]),
       personal=st.one_of(st.none(), st.text(alphabet="0123456789ABC", min_size=1, max_size=6)))
def test_build_parse_round_trip(fmt, primary, secondary, number, extra, birth, expiry, sex,
                                personal) -> None:
    long_number = number + extra if fmt != "TD3" and len(number) == 9 else number
    h = holder(mrz_format=fmt, document_code="P" if fmt == "TD3" else "ID",
               primary_identifier=primary, secondary_identifier=secondary,
               document_number=long_number, birth_date=birth, expiry_date=expiry, sex=sex,
               personal_number=personal)
    text = build_mrz(h)
    assert len(text) == {"TD1": 90, "TD2": 72, "TD3": 88}[fmt]
    mrz = lds.parse_mrz(text)
    assert mrz.check_digits_ok
    assert mrz.format == fmt
    assert mrz.document_number == long_number
    assert (mrz.birth_date, mrz.expiry_date, mrz.sex) == (birth, expiry, sex)
    assert (mrz.issuing_state, mrz.nationality) == ("CHN", "CHN")
    width = {"TD1": 30, "TD2": 31, "TD3": 39}[fmt]
    if len(primary) + 2 + len(secondary) <= width:
        assert (mrz.primary_identifier, mrz.secondary_identifier) == (primary, secondary)
    if personal and fmt in ("TD1", "TD3"):
        assert mrz.optional_data == personal


def test_transliteration_and_td3_long_number() -> None:
    mrz = lds.parse_mrz(build_mrz(holder(primary_identifier="Müller-Lüdenscheidt",
                                         secondary_identifier="Zoë Ann")))
    assert (mrz.primary_identifier, mrz.secondary_identifier) == ("MULLER LUDENSCHEIDT", "ZOE ANN")
    with pytest.raises(ValueError):
        build_mrz(holder(document_number="E123456789"))


def test_dg1_round_trip() -> None:
    groups = build_data_groups(holder(), portrait_jpeg("dg1"))
    mrz = lds.parse_dg1(groups[1])
    assert groups[1][:1] == b"\x61" and mrz.document_number == "E12345678" and mrz.check_digits_ok


# --- DG2 -----------------------------------------------------------------------------


def _decodes(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return image.size


@pytest.mark.parametrize("photo_format, mime", [("jpeg", "image/jpeg"), ("jp2", "image/jp2")])
def test_dg2_round_trip(photo_format: str, mime: str) -> None:
    photo = portrait_jpeg("dg2", sex="F")
    face = lds.parse_dg2(build_dg2(photo, sex="F", photo_format=photo_format))
    assert face.mime == mime
    assert (face.width, face.height) == (358, 441) == _decodes(face.data)
    if photo_format == "jpeg":
        assert face.data == photo
    assert "data" not in repr(face)


@pytest.mark.parametrize("photo_format", ["jpeg", "jp2"])
def test_dg2_padded_to_20k_still_decodes(photo_format: str) -> None:
    dg2 = build_dg2(portrait_jpeg("pad"), photo_format=photo_format, pad_dg2_to=20_000)
    assert len(dg2) == 20_000
    assert _decodes(lds.parse_dg2(dg2).data) == (358, 441)


def test_dg2_padded_beyond_one_jpeg_segment() -> None:
    dg2 = build_dg2(portrait_jpeg("pad"), pad_dg2_to=150_000)
    assert len(dg2) == 150_000 and _decodes(lds.parse_dg2(dg2).data) == (358, 441)


def _bare_dg2(block: bytes, tag: int = 0x5F2E) -> bytes:
    template = tlv.encode_constructed(0x7F60, tlv.encode_constructed(0xA1, tlv.encode(0x80, b"\x01\x01")),
                                      tlv.encode(tag, block))
    return tlv.encode(0x75, tlv.encode_constructed(0x7F61, tlv.encode(0x02, b"\x01"), template))


@pytest.mark.parametrize("tag", [0x5F2E, 0x7F2E])
def test_dg2_bare_jpeg_fallback(tag: int) -> None:
    photo = portrait_jpeg("bare", size=(120, 150))
    face = lds.parse_dg2(_bare_dg2(photo, tag))
    assert (face.mime, face.width, face.height, face.data) == ("image/jpeg", 120, 150, photo)


def test_dg2_bare_jp2_fallback() -> None:
    jp2 = lds.parse_dg2(build_dg2(portrait_jpeg("bare"), photo_format="jp2")).data
    face = lds.parse_dg2(_bare_dg2(jp2))
    assert (face.mime, face.width, face.height) == ("image/jp2", 358, 441)


@pytest.mark.parametrize("block", [b"FAC\x00010\x00", b"GIF89a", b"\xff\xd8garbage", b""])
def test_dg2_bad_blocks_are_malformed(block: bytes) -> None:
    with pytest.raises(MalformedChipData):
        lds.parse_dg2(_bare_dg2(block))


# --- DG11, DG12, COM -----------------------------------------------------------------


def test_dg11_chinese_round_trip() -> None:
    h = holder(full_name_national="李明", personal_number="11010119850304123X",
               permanent_address="北京市<朝阳区建国路88号")
    details = lds.parse_dg11(build_data_groups(h, portrait_jpeg("dg11"))[11])
    assert details.full_name == "李明"
    assert details.personal_number == "11010119850304123X"
    assert details.permanent_address == "北京市朝阳区建国路88号"
    assert details.full_birth_date is None and details.other_names == ()
    text = repr(details)
    assert "李明" not in text and "1101" not in text and "full_name" in text


def test_dg11_all_fields_by_hand() -> None:
    others = tlv.encode_constructed(0xA0, tlv.encode(0x02, b"\x02"),
                                    tlv.encode(0x5F0F, b"SMITH<<JOHN"), tlv.encode(0x5F0F, b"SMITH<<J"))
    raw = tlv.encode_constructed(
        0x6B, tlv.encode(0x5C, bytes.fromhex("5F0E5F0F5F2B5F115F425F125F135F14")),
        tlv.encode(0x5F0E, "ÅSTRÖM<<ANNA<MARIA".encode()), others,
        tlv.encode(0x5F2B, b"19740812"), tlv.encode(0x5F11, b"ZENITH<UTOPIA"),
        tlv.encode(0x5F42, b"123 MAPLE RD<ANYTOWN<UTOPIA"), tlv.encode(0x5F12, b"+1 555 0100"),
        tlv.encode(0x5F13, b"ENGINEER"), tlv.encode(0x5F14, b"DR"))
    d = lds.parse_dg11(raw)
    assert d.full_name == "ÅSTRÖM ANNA MARIA"
    assert d.other_names == ("SMITH JOHN", "SMITH J")
    assert d.full_birth_date == dt.date(1974, 8, 12)
    assert (d.place_of_birth, d.permanent_address) == ("ZENITH UTOPIA", "123 MAPLE RD ANYTOWN UTOPIA")
    assert (d.telephone, d.profession, d.title) == ("+1 555 0100", "ENGINEER", "DR")


def test_dg11_bcd_and_partial_dates() -> None:
    bcd = tlv.encode_constructed(0x6B, tlv.encode(0x5F2B, bytes.fromhex("19740812")))
    assert lds.parse_dg11(bcd).full_birth_date == dt.date(1974, 8, 12)
    partial = tlv.encode_constructed(0x6B, tlv.encode(0x5F2B, b"19740000"))
    assert lds.parse_dg11(partial).full_birth_date is None
    with pytest.raises(MalformedChipData):
        lds.parse_dg11(tlv.encode_constructed(0x6B, tlv.encode(0x5F2B, b"19741332")))


def test_dg12_round_trip() -> None:
    h = holder(issuing_authority="公安部出入境管理局", date_of_issue=dt.date(2021, 6, 30))
    groups = build_data_groups(h, portrait_jpeg("dg12"))
    details = lds.parse_dg12(groups[12])
    assert details.issuing_authority == "公安部出入境管理局"
    assert details.date_of_issue == dt.date(2021, 6, 30)
    assert 11 not in groups


def test_com_lists_data_groups() -> None:
    com = lds.parse_com(build_com([1, 2, 11, 12, 14, 15]))
    assert com == lds.EfCom("0107", "040000", (1, 2, 11, 12, 14, 15))
    raw = tlv.encode_constructed(0x60, tlv.encode(0x5F01, b"0108"), tlv.encode(0x5F36, b"040000"),
                                 tlv.encode(0x5C, bytes.fromhex(
                                     "61 75 63 76 65 66 67 68 69 6A 6B 6C 6D 6E 6F 70 77")))
    assert lds.parse_com(raw).data_groups == tuple(range(1, 17))


def test_tag_mapping() -> None:
    assert [lds.dg_number_for_tag(t) for t in (0x61, 0x75, 0x63, 0x76, 0x6B, 0x70)] == [1, 2, 3, 4, 11, 16]
    assert all(lds.dg_number_for_tag(lds.tag_for_dg(n)) == n for n in range(1, 17))
    assert lds.fid_for_dg(11) == 0x010B
    with pytest.raises(MalformedChipData):
        lds.dg_number_for_tag(0x77)
    with pytest.raises(ValueError):
        lds.tag_for_dg(17)


# --- TLV -----------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, 127, 128, 255, 256, 70_000])
def test_tlv_lengths_round_trip(size: int) -> None:
    raw = tlv.encode(0x5F2E, b"\xaa" * size)
    element = tlv.parse_one(raw, allow_trailing=False)
    assert (element.tag, len(element.value), tlv.element_length(raw)) == (0x5F2E, size, len(raw))


def test_tlv_nested_find_and_errors() -> None:
    raw = tlv.encode_constructed(0x75, tlv.encode_constructed(0x7F61, tlv.encode(0x02, b"\x01")))
    assert tlv.find_nested(raw, 0x75, 0x7F61, 0x02).value == b"\x01"
    assert tlv.find_nested(raw, 0x75, 0x7F60) is None
    for bad in (b"", b"\x75", b"\x75\x05\x00", b"\x5f", b"\x75\x85\x00\x00\x00\x00\x01\x00",
                b"\x75\x80\x00\x00", b"\x7f\xff\xff\xff\x01\x00"):
        with pytest.raises(MalformedChipData):
            tlv.parse_one(bad)
    with pytest.raises(MalformedChipData):
        tlv.parse_one(raw + b"\x00", allow_trailing=False)
    with pytest.raises(MalformedChipData):
        tlv.parse_one(raw).children()[0].children()[0].children()
