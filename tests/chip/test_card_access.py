"""EF.CardAccess: PACEInfo parsing, the kiosk's choice of protocol, and hostile bytes."""

from __future__ import annotations

import pytest
from asn1crypto import core
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drivers.reader.icao.card_access import (
    EC_PARAMETER_IDS,
    ID_PACE,
    ID_PACE_ECDH_GM_3DES_CBC_CBC,
    ID_PACE_ECDH_GM_AES_CBC_CMAC_128,
    ID_PACE_ECDH_GM_AES_CBC_CMAC_256,
    build_card_access,
    parse_card_access,
)
from drivers.reader.icao.errors import MalformedChipData
from drivers.reader.icao.pace import PaceParameters, choose_pace

# ICAO 9303-11 Appendix G: one PACEInfo, ECDH-GM-AES-128 on brainpoolP256r1.
ICAO_CARD_ACCESS = bytes.fromhex("31143012060A04007F0007020204020202010202010D")


def _seq(*values: core.Asn1Value) -> bytes:
    body = b"".join(v.dump() for v in values)
    return b"\x30" + _len(body) + body


def _set(*items: bytes) -> bytes:
    body = b"".join(items)
    return b"\x31" + _len(body) + body


def _len(body: bytes) -> bytes:
    n = len(body)
    if n < 0x80:
        return bytes([n])
    return bytes([0x81, n]) if n < 0x100 else b"\x82" + n.to_bytes(2, "big")


def test_icao_example_parses() -> None:
    parsed = parse_card_access(ICAO_CARD_ACCESS)
    assert parsed.other_protocols == ()
    (info,) = parsed.pace
    assert info.protocol_oid == "0.4.0.127.0.7.2.2.4.2.2"
    assert (info.version, info.parameter_id) == (2, 13)
    assert (info.key_agreement, info.mapping, info.cipher, info.key_bits) == ("ECDH", "GM", "aes", 128)
    assert info.supported


def test_build_reproduces_the_icao_file() -> None:
    assert build_card_access(ID_PACE_ECDH_GM_AES_CBC_CMAC_128, 13) == ICAO_CARD_ACCESS


@pytest.mark.parametrize("parameter_id", sorted(EC_PARAMETER_IDS))
@pytest.mark.parametrize("suffix,cipher,bits", [(1, "3des", 112), (2, "aes", 128),
                                               (3, "aes", 192), (4, "aes", 256)])
def test_build_and_choose_round_trip(parameter_id: int, suffix: int, cipher: str, bits: int) -> None:
    oid = f"{ID_PACE}.2.{suffix}"
    assert choose_pace(build_card_access(oid, parameter_id)) == PaceParameters(
        oid, parameter_id, cipher, bits)


@pytest.mark.parametrize("oid,parameter_id,version,reason", [
    (f"{ID_PACE}.1.2", 0, 2, "dh_key_agreement"),  # id-PACE-DH-GM-AES-CBC-CMAC-128
    (f"{ID_PACE}.1.1", 2, 2, "dh_key_agreement"),  # id-PACE-DH-GM-3DES-CBC-CBC
    (f"{ID_PACE}.4.2", 13, 2, "im_mapping"),  # ECDH integrated mapping
    (f"{ID_PACE}.6.2", 13, 2, "cam_mapping"),  # chip authentication mapping
    (f"{ID_PACE}.2.2", 13, 1, "pace_version"),
    (f"{ID_PACE}.2.2", None, 2, "proprietary_domain_parameters"),
    (f"{ID_PACE}.2.2", 31, 2, "unknown_domain_parameters"),
])
def test_entries_the_kiosk_cannot_run(oid, parameter_id, version, reason) -> None:
    raw = build_card_access(oid, parameter_id, version=version)
    (info,) = parse_card_access(raw).pace
    assert info.unsupported_reason == reason
    assert not info.supported
    assert choose_pace(raw) is None


def test_other_security_infos_are_listed_and_skipped() -> None:
    ca_info = _seq(core.ObjectIdentifier("0.4.0.127.0.7.2.2.3.2.2"), core.Integer(1))
    domain = _seq(core.ObjectIdentifier(f"{ID_PACE}.2"),
                  core.Sequence.load(_seq(core.ObjectIdentifier("0.4.0.127.0.7.1.2"))),
                  core.Integer(13))
    terminal = _seq(core.ObjectIdentifier("0.4.0.127.0.7.2.2.2"), core.Integer(2))
    raw = build_card_access(ID_PACE_ECDH_GM_AES_CBC_CMAC_128, 12, extra=(ca_info, domain, terminal))
    parsed = parse_card_access(raw)
    assert len(parsed.pace) == 1
    assert set(parsed.other_protocols) == {"0.4.0.127.0.7.2.2.3.2.2", f"{ID_PACE}.2",
                                           "0.4.0.127.0.7.2.2.2"}


def test_choose_prefers_aes_then_key_size_then_curve() -> None:
    entries = [
        _seq(core.ObjectIdentifier(f"{ID_PACE}.1.4"), core.Integer(2), core.Integer(2)),  # DH
        _seq(core.ObjectIdentifier(ID_PACE_ECDH_GM_3DES_CBC_CBC), core.Integer(2), core.Integer(17)),
        _seq(core.ObjectIdentifier(ID_PACE_ECDH_GM_AES_CBC_CMAC_128), core.Integer(2), core.Integer(16)),
        _seq(core.ObjectIdentifier(ID_PACE_ECDH_GM_AES_CBC_CMAC_256), core.Integer(2), core.Integer(12)),
        _seq(core.ObjectIdentifier(ID_PACE_ECDH_GM_AES_CBC_CMAC_256), core.Integer(2), core.Integer(15)),
    ]
    raw = _set(*entries)
    assert len(parse_card_access(raw).pace) == 5
    assert choose_pace(raw) == PaceParameters(ID_PACE_ECDH_GM_AES_CBC_CMAC_256, 15, "aes", 256)


def test_padding_after_the_set_is_tolerated() -> None:
    assert choose_pace(ICAO_CARD_ACCESS + b"\x00" * 10) is not None


def test_empty_set_has_no_pace() -> None:
    assert parse_card_access(b"\x31\x00").pace == ()
    assert choose_pace(b"\x31\x00") is None


@pytest.mark.parametrize("raw", [
    b"",
    b"\x30\x00",  # a SEQUENCE, not a SET
    ICAO_CARD_ACCESS[:-3],  # truncated
    bytes.fromhex("3180"),  # indefinite length
    _set(b"\x04\x01\x00"),  # a SET of OCTET STRING
    _set(_seq(core.ObjectIdentifier(ID_PACE_ECDH_GM_AES_CBC_CMAC_128), core.OctetString(b"\x02"))),
    _set(_seq(core.ObjectIdentifier(ID_PACE_ECDH_GM_AES_CBC_CMAC_128))),  # no version
    _set(_seq(core.Integer(2), core.Integer(2))),  # no OID
])
def test_malformed_files_raise_typed_errors(raw: bytes) -> None:
    with pytest.raises(MalformedChipData):
        parse_card_access(raw)
    with pytest.raises(MalformedChipData):
        choose_pace(raw)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=120))
def test_random_bytes_only_raise_malformed(raw: bytes) -> None:
    try:
        choose_pace(raw)
    except MalformedChipData:
        pass


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_mutated_files_only_raise_malformed(data: st.DataObject) -> None:
    raw = bytearray(build_card_access(ID_PACE_ECDH_GM_AES_CBC_CMAC_128, 13))
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(raw) - 1))
        raw[pos] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(1, len(raw)))
    try:
        parse_card_access(bytes(raw[:cut]))
    except MalformedChipData:
        pass
