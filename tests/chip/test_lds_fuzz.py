"""Hostile bytes: the LDS parsers and passive authentication raise only their own errors."""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drivers.camera.synthetic import portrait_jpeg
from drivers.reader.icao import lds, tlv
from drivers.reader.icao.errors import MalformedChipData, PassiveAuthenticationFailed
from drivers.reader.icao.sod import parse_sod
from drivers.reader.icao.trust import TrustStore, verify_passive
from drivers.reader.vchip.issuer import ChipHolder, TestPki, issue_document

# CHIP_FUZZ_EXAMPLES=20000 for a longer hunt; 200 keeps the suite fast
FUZZ = settings(max_examples=int(os.environ.get("CHIP_FUZZ_EXAMPLES", "200")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow])

HOLDER = ChipHolder(document_code="ID", issuing_state="CHN", document_number="E1234567890",
                    primary_identifier="WANG", secondary_identifier="FANG", nationality="CHN",
                    birth_date=dt.date(1990, 1, 31), sex="F", expiry_date=dt.date(2032, 1, 1),
                    full_name_national="王芳", permanent_address="上海市<浦东新区",
                    issuing_authority="上海市公安局", date_of_issue=dt.date(2022, 1, 1),
                    mrz_format="TD1")


@functools.lru_cache(maxsize=1)
def chip() -> tuple[dict[int, bytes], TrustStore]:
    pki = TestPki.generate("CN")
    files = issue_document(HOLDER, portrait_jpeg("fuzz", size=(60, 74)), pki)
    store = TrustStore.empty()
    store.add_certificate(pki.csca_certificate_der())
    store.add_crl(pki.crl_der())
    return files, store


PARSERS: dict[int, Callable[[bytes], object]] = {
    lds.FID_COM: lds.parse_com, 0x0101: lds.parse_dg1, 0x0102: lds.parse_dg2,
    0x010B: lds.parse_dg11, 0x010C: lds.parse_dg12, lds.FID_SOD: parse_sod}


def _parse_quietly(fid: int, raw: bytes) -> None:
    try:
        PARSERS[fid](raw)
    except (MalformedChipData, PassiveAuthenticationFailed):
        pass


def _mutate(raw: bytes, data: st.DataObject) -> bytes:
    """One of: truncate, flip bytes, insert, delete, or rewrite a length byte."""
    kind = data.draw(st.sampled_from(["truncate", "flip", "insert", "delete", "length"]))
    if not raw:
        return raw
    at = data.draw(st.integers(0, len(raw) - 1))
    if kind == "truncate":
        return raw[:at]
    if kind == "flip":
        count = data.draw(st.integers(1, 4))
        out = bytearray(raw)
        for _ in range(count):
            pos = data.draw(st.integers(0, len(raw) - 1))
            out[pos] = data.draw(st.integers(0, 255))
        return bytes(out)
    if kind == "insert":
        return raw[:at] + data.draw(st.binary(min_size=1, max_size=8)) + raw[at:]
    if kind == "delete":
        return raw[:at] + raw[at + data.draw(st.integers(1, 8)):]
    # a wrong length: rewrite the length octet(s) of the outer or an inner TLV
    header = tlv.element_length(raw) - len(tlv.parse_one(raw).value)
    pos = data.draw(st.integers(1, max(1, header - 1)))
    out = bytearray(raw)
    out[pos] = data.draw(st.sampled_from([0x00, 0x7F, 0x80, 0x81, 0x82, 0x84, 0x85, 0xFF,
                                          (out[pos] + 1) % 256, (out[pos] - 1) % 256]))
    return bytes(out)


@FUZZ
@given(fid=st.sampled_from(sorted(PARSERS)), raw=st.binary(max_size=300))
def test_random_bytes(fid: int, raw: bytes) -> None:
    _parse_quietly(fid, raw)


@FUZZ
@given(fid=st.sampled_from(sorted(PARSERS)), tag=st.sampled_from([0x60, 0x61, 0x75, 0x6B, 0x6C, 0x77]),
       body=st.binary(max_size=200))
def test_right_tag_random_body(fid: int, tag: int, body: bytes) -> None:
    _parse_quietly(fid, tlv.encode(tag, body))


@FUZZ
@given(fid=st.sampled_from(sorted(PARSERS)), data=st.data())
def test_mutated_valid_files(fid: int, data: st.DataObject) -> None:
    files, _ = chip()
    _parse_quietly(fid, _mutate(files[fid], data))


@FUZZ
@given(size=st.integers(0, 200), fid=st.sampled_from(sorted(PARSERS)))
def test_truncated_valid_files(size: int, fid: int) -> None:
    raw = chip()[0][fid]
    _parse_quietly(fid, raw[:size])
    _parse_quietly(fid, raw[:max(0, len(raw) - size)])


@FUZZ
@given(text=st.text(alphabet="ABCXYZ0189<\n é", min_size=0, max_size=95))
def test_mrz_text(text: str) -> None:
    try:
        lds.parse_mrz(text)
    except MalformedChipData:
        pass


@FUZZ
@given(data=st.data(), target=st.sampled_from(["sod", "dg"]))
def test_verify_passive_mutated(data: st.DataObject, target: str) -> None:
    files, store = chip()
    groups = {lds.dg_number_for_tag(raw[0]): raw for fid, raw in files.items()
              if fid not in (lds.FID_COM, lds.FID_SOD)}
    sod_raw = files[lds.FID_SOD]
    if target == "sod":
        sod_raw = _mutate(sod_raw, data)
    else:
        n = data.draw(st.sampled_from(sorted(groups)))
        groups[n] = _mutate(groups[n], data)
    try:
        result = verify_passive(sod_raw, groups, store,
                                allow_unknown_csca=data.draw(st.booleans()))
    except PassiveAuthenticationFailed as failure:
        assert failure.reason in {"dg_hash_mismatch", "bad_signature", "signer_expired",
                                  "signer_revoked", "unknown_csca", "chain_invalid",
                                  "malformed_sod"}
    else:
        assert result.verdict in ("valid", "no_csca")


@FUZZ
@given(raw=st.binary(max_size=400), groups=st.dictionaries(st.integers(-2, 20), st.binary(max_size=20),
                                                            max_size=3))
def test_verify_passive_random(raw: bytes, groups: dict[int, bytes]) -> None:
    try:
        verify_passive(raw, groups, chip()[1])
    except PassiveAuthenticationFailed:
        pass
    try:
        verify_passive(tlv.encode(0x77, raw), groups, chip()[1])
    except PassiveAuthenticationFailed:
        pass
