"""Chip Authentication (ICAO 9303-11 6.2): DG14, kiosk against the virtual chip, clones, full reads."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from asn1crypto import core, keys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drivers.base import FaultScript
from drivers.camera.synthetic import portrait_jpeg
from drivers.reader.base import CanKey, DocumentRemoved, MrzKey, ReaderError
from drivers.reader.icao import tlv
from drivers.reader.icao.apdu import ApduTrace, CommandApdu, PlainSender, ResponseApdu
from drivers.reader.icao.bac import perform_bac
from drivers.reader.icao.chip_auth import (
    ID_CA_ECDH_3DES_CBC_CBC,
    ID_CA_ECDH_AES_CBC_CMAC_128,
    ID_CA_ECDH_AES_CBC_CMAC_192,
    ID_CA_ECDH_AES_CBC_CMAC_256,
    ID_PK_DH,
    ID_PK_ECDH,
    ASN1ChipAuthenticationInfo,
    ASN1SubjectPublicKeyInfo,
    ChipAuthInfo,
    choose_chip_auth,
    parse_dg14,
    perform_chip_auth,
    public_point,
    read_dg14,
    shared_secret,
)
from drivers.reader.icao.errors import (
    ActiveAuthenticationFailed,
    MalformedChipData,
    PassiveAuthenticationFailed,
    SecureMessagingError,
)
from drivers.reader.icao.files import FID, FileReader, select_applet
from drivers.reader.icao.pace import choose_pace, perform_pace
from drivers.reader.icao.reading import (
    ChipReadState,
    ChipSession,
    ReadOptions,
    read_chip,
)
from drivers.reader.icao.sm import SecureSender
from drivers.reader.icao.trust import TrustStore
from drivers.reader.personas import load_documents
from drivers.reader.vchip.chip import ChipProfile, VirtualChip
from drivers.reader.vchip.chip_auth_key import ChipAuthKey, _explicit_parameters
from drivers.reader.vchip.issuer import build_com
from drivers.reader.vchip.pace_chip import PaceResponder, card_access_for
from drivers.reader.vchip.reader import chip_for, holder_for, issue
from drivers.reader.vchip.reader import test_pki as issuing_state

H = bytes.fromhex
KEY = MrzKey("L898902C", dt.date(1969, 8, 6), dt.date(1994, 6, 23))
CAN = "123456"
DG1 = tlv.encode(0x61, tlv.encode(0x5F1F, b"P<UTO" + b"<" * 83))
ID_CA_DH_3DES = "0.4.0.127.0.7.2.2.3.1.1"
ID_TA = "0.4.0.127.0.7.2.2.2"
ID_AA = "2.23.136.1.1.5"


def _security_infos(*items: bytes) -> bytes:
    """6E { SET OF the given DER SecurityInfos }."""
    return tlv.encode(0x6E, tlv.encode(0x31, b"".join(items)))


def _info(oid: str, version: int = 1, key_id: int | None = None) -> bytes:
    fields: dict[str, object] = {"protocol": oid, "version": version}
    if key_id is not None:
        fields["key_id"] = key_id
    return ASN1ChipAuthenticationInfo(fields).dump()


def _parts(key: ChipAuthKey) -> tuple[bytes, bytes]:
    """(ChipAuthenticationInfo, ChipAuthenticationPublicKeyInfo) of a key, DER."""
    return key.chip_auth_info(), key.public_key_info()


# -- DG14 --------------------------------------------------------------------------------------
@pytest.mark.parametrize("curve", ["brainpoolP256r1", "secp256r1", "brainpoolP320r1", "secp384r1",
                                   "brainpoolP192r1", "secp521r1"])
@pytest.mark.parametrize("explicit", [False, True], ids=["named", "explicit"])
@pytest.mark.parametrize("cipher,bits,oid", [
    ("3des", 112, ID_CA_ECDH_3DES_CBC_CBC), ("aes", 128, ID_CA_ECDH_AES_CBC_CMAC_128),
    ("aes", 192, ID_CA_ECDH_AES_CBC_CMAC_192), ("aes", 256, ID_CA_ECDH_AES_CBC_CMAC_256)])
def test_dg14_round_trip(curve: str, explicit: bool, cipher: str, bits: int, oid: str) -> None:
    key = ChipAuthKey.generate(curve, cipher, bits, key_id=7 if explicit else None,
                               explicit_parameters=explicit)
    dg14 = key.dg14()
    assert dg14[0] == 0x6E
    (info,) = parse_dg14(dg14)
    assert info == ChipAuthInfo(oid, 1, key.key_id, cipher, bits, info.public_key)
    assert (info.public_key.curve, info.public_key.point) == (curve, key.published)
    assert info.public_key.explicit_parameters is explicit
    assert info.uses_kat is (cipher == "3des")


def test_dg14_without_chip_authentication_info_means_3des() -> None:
    key = ChipAuthKey.generate("secp256r1", "aes", 128, key_id=2)
    (info,) = parse_dg14(key.dg14(with_chip_auth_info=False))
    assert (info.protocol_oid, info.cipher, info.key_bits, info.key_id) == (
        ID_CA_ECDH_3DES_CBC_CBC, "3des", 112, 2)


def test_dh_entries_and_other_security_infos_are_listed_not_run() -> None:
    ec_key = ChipAuthKey.generate("brainpoolP256r1", key_id=1)
    dh_spki = {"algorithm": {"algorithm": "1.2.840.10046.2.1",
                             "parameters": core.Sequence.load(H("3006020105020102"))},
               "public_key": core.Integer(12345).dump()}
    dh_pk = tlv.encode(0x30, core.ObjectIdentifier(ID_PK_DH).dump() + _spki_der(dh_spki)
                       + core.Integer(2).dump())
    aa_info = tlv.encode(0x30, core.ObjectIdentifier(ID_AA).dump() + core.Integer(1).dump()
                         + core.ObjectIdentifier("0.4.0.127.0.7.1.1.4.1.3").dump())
    ta_info = tlv.encode(0x30, core.ObjectIdentifier(ID_TA).dump() + core.Integer(1).dump())
    dg14 = _security_infos(_info(ID_CA_DH_3DES, key_id=2), dh_pk, *_parts(ec_key), aa_info,
                           ta_info)
    parsed = read_dg14(dg14)
    assert [i.protocol_oid for i in parsed.chip_auth] == [ID_CA_ECDH_AES_CBC_CMAC_128]
    assert parsed.chip_auth[0].key_id == 1
    assert set(parsed.unsupported) == {(ID_CA_DH_3DES, "dh_key_agreement"),
                                       (ID_PK_DH, "dh_key_agreement")}
    assert parsed.other_protocols == (ID_AA, ID_TA)
    # a DH-only DG14 offers nothing the kiosk runs
    assert parse_dg14(_security_infos(_info(ID_CA_DH_3DES), dh_pk)) == ()


def _spki_der(fields: dict) -> bytes:
    return ASN1SubjectPublicKeyInfo(fields).dump()


def test_key_ids_pair_infos_with_keys_and_the_best_is_chosen() -> None:
    one = ChipAuthKey.generate("secp256r1", "3des", key_id=1)
    two = ChipAuthKey.generate("brainpoolP256r1", "aes", 256, key_id=2)
    dg14 = _security_infos(one.public_key_info(), two.public_key_info(), two.chip_auth_info(),
                           one.chip_auth_info())
    infos = parse_dg14(dg14)
    assert [(i.key_id, i.cipher, i.public_key.curve) for i in infos] == [
        (2, "aes", "brainpoolP256r1"), (1, "3des", "secp256r1")]
    assert choose_chip_auth(infos) is infos[0]
    assert choose_chip_auth(()) is None


@pytest.mark.parametrize("items,reason", [
    (lambda k: [_info(ID_CA_ECDH_AES_CBC_CMAC_128, version=2), k.public_key_info()], "ca_version"),
    (lambda k: [_info(ID_CA_ECDH_AES_CBC_CMAC_128, key_id=9), k.public_key_info()],
     "no_public_key"),
    (lambda k: [_info(ID_CA_ECDH_AES_CBC_CMAC_128)], "no_public_key"),
    (lambda k: [_info("0.4.0.127.0.7.2.2.3.2.9"), k.public_key_info()], "unknown_protocol"),
])
def test_entries_the_kiosk_cannot_run(items, reason: str) -> None:
    key = ChipAuthKey.generate("secp256r1", key_id=1)
    parsed = read_dg14(_security_infos(*items(key)))
    assert parsed.chip_auth == () and parsed.unsupported[0][1] == reason


def _pk_info(params: keys.ECDomainParameters, point: bytes, algorithm: str = "1.2.840.10045.2.1"
             ) -> bytes:
    return tlv.encode(0x30, core.ObjectIdentifier(ID_PK_ECDH).dump() + _spki_der(
        {"algorithm": {"algorithm": algorithm, "parameters": params}, "public_key": point}))


def test_unknown_curves_are_unsupported_and_id_pk_ecdh_as_algorithm_is_accepted() -> None:
    k1 = ec.generate_private_key(ec.SECP256K1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    named = keys.ECDomainParameters(name="named", value="secp256k1")
    assert read_dg14(_security_infos(_pk_info(named, k1))).unsupported == (
        (ID_PK_ECDH, "unknown_curve"),)
    good = ChipAuthKey.generate("brainpoolP256r1")
    params = keys.ECDomainParameters(name="named", value="brainpoolp256r1")
    (info,) = parse_dg14(_security_infos(good.chip_auth_info(),
                                         _pk_info(params, good.published, ID_PK_ECDH)))
    assert info.public_key.point == good.published
    compressed = ec.EllipticCurvePublicKey.from_encoded_point(ec.BrainpoolP256R1(), good.published)
    point = compressed.public_bytes(serialization.Encoding.X962,
                                    serialization.PublicFormat.CompressedPoint)
    (info,) = parse_dg14(_security_infos(good.chip_auth_info(), _pk_info(params, point)))
    assert info.public_key.point == good.published  # kept uncompressed, as the protocol sends it
    # explicit parameters with one coefficient changed: no curve the kiosk knows
    explicit = ChipAuthKey.generate("secp256r1", explicit_parameters=True)
    spki = keys.ECDomainParameters.load(
        keys.ECDomainParameters(name="specified", value=_altered_domain()).dump())
    parsed = read_dg14(_security_infos(explicit.chip_auth_info(),
                                       _pk_info(spki, explicit.published)))
    assert parsed.chip_auth == () and parsed.unsupported[0][1] == "unknown_curve"


def _altered_domain() -> keys.SpecifiedECDomain:
    domain = _explicit_parameters("secp256r1").chosen
    b = bytearray(domain["curve"]["b"].native)
    b[-1] ^= 1
    return keys.SpecifiedECDomain({
        "version": "ecdpVer1", "field_id": domain["field_id"],
        "curve": {"a": domain["curve"]["a"].native, "b": bytes(b)},
        "base": domain["base"].native, "order": domain["order"].native, "cofactor": 1})


def _off_curve_dg14() -> bytes:
    key = ChipAuthKey.generate("secp256r1")
    bad = dataclasses.replace(key, published=key.published[:-1] + bytes([key.published[-1] ^ 1]))
    return bad.dg14()


@pytest.mark.parametrize("raw", [
    b"",
    b"\x6F\x02\x31\x00",  # DG15's tag
    b"\x6E\x03\x30\x01\x00",  # not a SET
    b"\x6E\x04\x31\x02\x02\x00",  # SET of an INTEGER
    b"\x6E\x04\x31\x02\x30\x00",  # empty SecurityInfo
    b"\x6E\x06\x31\x04\x30\x02\x02\x00",  # SecurityInfo without an OID
    b"\x6E\x0A\x31\x08\x30\x08\x06\x04\x04\x00\x7F\x00",  # SEQUENCE longer than the SET
    "off-curve",
    "truncated-key",
    "negative-key-id",
    "version-not-integer",
])
def test_malformed_dg14(raw) -> None:
    key = ChipAuthKey.generate("secp256r1", key_id=1)
    if raw == "off-curve":
        raw = _off_curve_dg14()
    elif raw == "truncated-key":
        pk = key.public_key_info()
        raw = _security_infos(key.chip_auth_info(), tlv.encode(0x30, tlv.parse_one(pk).value[:-8]))
    elif raw == "negative-key-id":
        raw = _security_infos(_info(ID_CA_ECDH_AES_CBC_CMAC_128, key_id=-1), key.public_key_info())
    elif raw == "version-not-integer":
        bad = tlv.encode(0x30, core.ObjectIdentifier(ID_CA_ECDH_AES_CBC_CMAC_128).dump()
                         + core.OctetString(b"\x01").dump())
        raw = _security_infos(bad, key.public_key_info())
    with pytest.raises(MalformedChipData):
        parse_dg14(raw)


_GOOD_DG14 = ChipAuthKey.generate("brainpoolP256r1", key_id=1).dg14()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(
    st.binary(max_size=200),
    st.binary(max_size=120).map(lambda b: b"\x6E" + bytes([len(b)]) + b),
    st.binary(max_size=120).map(lambda b: b"\x6E" + bytes([len(b) + 2, 0x31, len(b)]) + b),
    st.tuples(st.integers(0, len(_GOOD_DG14) - 1), st.integers(0, 255)).map(
        lambda p: _GOOD_DG14[:p[0]] + bytes([p[1]]) + _GOOD_DG14[p[0] + 1:]),
    st.integers(1, len(_GOOD_DG14)).map(lambda n: _GOOD_DG14[:n])))
def test_random_dg14_only_raises_malformed(raw: bytes) -> None:
    try:
        infos = parse_dg14(raw)
    except MalformedChipData:
        return
    assert all(isinstance(i, ChipAuthInfo) for i in infos)


# -- key agreement ------------------------------------------------------------------------------
@pytest.mark.parametrize("curve", ["secp256r1", "brainpoolP224r1"])
def test_both_sides_agree_on_the_secret(curve: str) -> None:
    a, b = 0x1234567, 0x7654321
    pa, pb = public_point(curve, a), public_point(curve, b)
    assert shared_secret(curve, a, pb) == shared_secret(curve, b, pa)


# -- kiosk against the virtual chip --------------------------------------------------------------
def _files(dg14: bytes) -> dict[int, bytes]:
    return {FID["COM"]: build_com([1, 14]), FID["DG1"]: DG1, FID["DG14"]: dg14}


def _bac_chip(key: ChipAuthKey, dg14: bytes | None = None, **profile) -> VirtualChip:
    return VirtualChip(ChipProfile(_files(dg14 or key.dg14()), mrz_key=KEY, chip_auth=key,
                                   **profile))


def _pace_chip(key: ChipAuthKey | None, dg14: bytes) -> VirtualChip:
    files = {**_files(dg14), FID["CARD_ACCESS"]: card_access_for(13)}
    return VirtualChip(ChipProfile(files, access="pace", mrz_key=KEY, can=CAN, chip_auth=key),
                       pace_responder_factory=PaceResponder)


def _bac(chip: VirtualChip, trace: ApduTrace | None = None) -> SecureSender:
    select_applet(PlainSender(chip))
    return SecureSender(chip, perform_bac(chip, KEY), trace)


def _pace(chip: VirtualChip, trace: ApduTrace | None = None) -> SecureSender:
    raw = bytearray()
    FileReader(PlainSender(chip), read_size=128).read_file(FID["CARD_ACCESS"], raw)
    sender = SecureSender(chip, perform_pace(chip, CanKey(CAN), choose_pace(bytes(raw))), trace)
    select_applet(sender)
    return sender


def _read(sender: SecureSender, fid: int) -> bytes:
    return FileReader(sender, read_size=100).read_file(fid, bytearray())


def _headers(trace: ApduTrace) -> list[tuple[int, int, int]]:
    return [(e.ins, e.p1, e.p2) for e in trace.entries]


@pytest.mark.parametrize("curve", ["brainpoolP256r1", "secp256r1", "brainpoolP320r1"])
def test_3des_chip_auth_after_bac_with_mse_set_kat(curve: str) -> None:
    key = ChipAuthKey.generate(curve, "3des", key_id=5)
    chip = _bac_chip(key)
    trace = ApduTrace()
    sender = _bac(chip, trace)
    dg14 = _read(sender, FID["DG14"])
    info = choose_chip_auth(parse_dg14(dg14))
    old_keys = (sender.sm.ks_enc, sender.sm.ks_mac)
    start = trace.count
    sm = perform_chip_auth(sender, chip, info, trace=trace)
    assert _headers(trace)[start:] == [(0x22, 0x41, 0xA6), (0xA4, 0x02, 0x0C)]
    assert sm.cipher == "3des" and sm.ssc == 2 and (sm.ks_enc, sm.ks_mac) != old_keys
    assert (chip._sm.ks_enc, chip._sm.ks_mac) == (sm.ks_enc, sm.ks_mac)
    sender.sm = sm
    assert _read(sender, FID["DG1"]) == DG1
    assert key.agreements == 1 and chip.internal_errors == 0 and chip.session_active


@pytest.mark.parametrize("bits", [128, 192, 256])
def test_aes_chip_auth_after_pace_with_mse_set_at_and_general_authenticate(bits: int) -> None:
    key = ChipAuthKey.generate("brainpoolP256r1", "aes", bits, explicit_parameters=True)
    chip = _pace_chip(key, key.dg14())
    trace = ApduTrace()
    sender = _pace(chip, trace)
    info = choose_chip_auth(parse_dg14(_read(sender, FID["DG14"])))
    assert (info.cipher, info.key_bits, info.key_id) == ("aes", bits, None)
    start = trace.count
    sm = perform_chip_auth(sender, chip, info, trace=trace)
    assert _headers(trace)[start:] == [(0x22, 0x41, 0xA4), (0x86, 0x00, 0x00), (0xA4, 0x02, 0x0C)]
    assert len(sm.ks_enc) == bits // 8
    sender.sm = sm
    assert _read(sender, FID["DG1"]) == DG1
    assert _read(sender, FID["COM"]) == chip.profile.files[FID["COM"]]
    assert chip.internal_errors == 0


def test_aes_chip_auth_after_bac_switches_the_cipher() -> None:
    key = ChipAuthKey.generate("secp256r1", "aes", 128, key_id=3)
    chip = _bac_chip(key)
    sender = _bac(chip)
    sm = perform_chip_auth(sender, chip, parse_dg14(_read(sender, FID["DG14"]))[0])
    assert sm.cipher == "aes" and chip._sm.cipher == "aes"
    sender.sm = sm
    assert _read(sender, FID["DG1"]) == DG1


def test_the_answer_that_carries_the_key_is_under_the_old_keys() -> None:
    """The chip switches after the protected 9000, so the old session must verify it."""
    key = ChipAuthKey.generate("secp256r1", "3des")
    chip = _bac_chip(key)
    sender = _bac(chip)
    info = parse_dg14(_read(sender, FID["DG14"]))[0]
    ephemeral = public_point("secp256r1", 99)
    answer = sender.send(CommandApdu(0x00, 0x22, 0x41, 0xA6, tlv.encode(0x91, ephemeral)))
    assert answer == ResponseApdu(b"", 0x9000)  # unwrapped with the BAC keys
    with pytest.raises(SecureMessagingError):  # and the BAC keys are gone now
        sender.send(CommandApdu(0x00, 0xA4, 0x02, 0x0C, b"\x01\x1e"))
    assert info.public_key.point == key.published


@pytest.mark.parametrize("access", ["bac", "pace"])
def test_a_cloned_chip_fails(access: str) -> None:
    genuine = ChipAuthKey.generate("brainpoolP256r1", "3des" if access == "bac" else "aes")
    clone = dataclasses.replace(genuine, private=genuine.private + 1)
    chip = _bac_chip(clone, genuine.dg14()) if access == "bac" else _pace_chip(clone, genuine.dg14())
    sender = _bac(chip) if access == "bac" else _pace(chip)
    info = choose_chip_auth(parse_dg14(_read(sender, FID["DG14"])))
    with pytest.raises(ActiveAuthenticationFailed) as failure:
        perform_chip_auth(sender, chip, info)
    assert str(failure.value) == "chip_auth_failed"
    assert not chip.session_active and chip.internal_errors == 0


def test_generate_clone_publishes_a_key_it_does_not_hold() -> None:
    clone = ChipAuthKey.generate("secp256r1", "3des", clone=True)
    assert public_point("secp256r1", clone.private) != clone.published
    chip = _bac_chip(clone)
    sender = _bac(chip)
    with pytest.raises(ActiveAuthenticationFailed):
        perform_chip_auth(sender, chip, parse_dg14(_read(sender, FID["DG14"]))[0])


def _info_for(key: ChipAuthKey, **changes) -> ChipAuthInfo:
    return dataclasses.replace(parse_dg14(key.dg14())[0], **changes)


@pytest.mark.parametrize("case", ["no-ca-on-chip", "wrong-cipher", "wrong-key-id", "kat-for-aes"])
def test_refusals_are_failures(case: str) -> None:
    key = ChipAuthKey.generate("secp256r1", "aes", 128, key_id=1)
    chip = _bac_chip(None if case == "no-ca-on-chip" else key, key.dg14())
    sender = _bac(chip)
    info = _info_for(key)
    if case == "wrong-cipher":
        info = _info_for(key, protocol_oid=ID_CA_ECDH_AES_CBC_CMAC_256, key_bits=256)
    elif case == "wrong-key-id":
        info = _info_for(key, key_id=2)
    elif case in ("kat-for-aes", "no-ca-on-chip"):
        info = _info_for(key, protocol_oid=ID_CA_ECDH_3DES_CBC_CBC, cipher="3des", key_bits=112)
    with pytest.raises(ActiveAuthenticationFailed):
        perform_chip_auth(sender, chip, info)
    # a refusal is protected with the old keys: the BAC session still reads
    assert _read(sender, FID["DG1"]) == DG1
    assert chip.internal_errors == 0


def test_an_unprotected_answer_under_the_new_keys_is_no_proof() -> None:
    key = ChipAuthKey.generate("secp256r1", "3des")
    chip = _bac_chip(key)
    sender = _bac(chip)
    info = parse_dg14(_read(sender, FID["DG14"]))[0]

    class Channel:
        """Passes everything on but answers the check command with a bare 9000."""

        def transmit(self, apdu: bytes) -> bytes:
            return b"\x90\x00" if apdu[1] == 0xA4 else chip.transmit(apdu)

    with pytest.raises(ActiveAuthenticationFailed):
        perform_chip_auth(SecureSender(Channel(), sender.sm), Channel(), info)


def test_a_key_not_on_its_curve_is_malformed() -> None:
    key = ChipAuthKey.generate("secp256r1", "3des")
    chip = _bac_chip(key)
    sender = _bac(chip)
    info = _info_for(key)
    point = info.public_key.point  # flip y's lowest bit: for this x only y and p-y lie on it
    bad = dataclasses.replace(info.public_key, point=point[:-1] + bytes([point[-1] ^ 1]))
    with pytest.raises(MalformedChipData):
        perform_chip_auth(sender, chip, dataclasses.replace(info, public_key=bad))


def test_chip_auth_needs_a_session() -> None:
    key = ChipAuthKey.generate("secp256r1", "3des")
    chip = _bac_chip(key)
    select_applet(PlainSender(chip))
    answer = chip.transmit(CommandApdu(0x00, 0x22, 0x41, 0xA6,
                                       tlv.encode(0x91, public_point("secp256r1", 5))).encode())
    assert answer == b"\x6D\x00" and key.agreements == 0


# -- the chip's responder ---------------------------------------------------------------------------
def _sw(key: ChipAuthKey, cla: int, ins: int, p1: int, p2: int, data: bytes) -> int:
    response, secret = key.respond(CommandApdu(cla, ins, p1, p2, data))
    assert secret is None or response.ok
    return response.sw


def test_responder_refuses_out_of_order_and_bad_commands() -> None:
    key = ChipAuthKey.generate("secp256r1", "aes", key_id=4)
    point = public_point("secp256r1", 42)
    oid = core.ObjectIdentifier(key.protocol_oid).contents
    set_at = tlv.encode(0x80, oid)
    ga = tlv.encode(0x7C, tlv.encode(0x80, point))
    assert _sw(key, 0, 0x86, 0, 0, ga) == 0x6985  # no MSE:SET AT yet
    assert _sw(key, 0, 0x22, 0x41, 0xA6, tlv.encode(0x91, point)) == 0x6985  # KAT is 3DES only
    assert _sw(key, 0, 0x22, 0xC1, 0xA4, set_at) == 0x6A86
    assert _sw(key, 0, 0x22, 0x41, 0xA4, tlv.encode(0x80, oid[:-1] + b"\x01")) == 0x6A80
    assert _sw(key, 0, 0x22, 0x41, 0xA4, set_at + tlv.encode(0x84, b"\x05")) == 0x6A88
    assert _sw(key, 0, 0x22, 0x41, 0xA4, set_at + tlv.encode(0x83, b"\x01")) == 0x6A80
    assert _sw(key, 0, 0x22, 0x41, 0xA4, b"\x80\x05") == 0x6A80  # truncated
    assert _sw(key, 0, 0x22, 0x41, 0xA4, set_at + tlv.encode(0x84, b"\x04")) == 0x9000
    assert key.in_progress
    assert _sw(key, 0x10, 0x86, 0, 0, ga) == 0x6985 and not key.in_progress  # chained
    assert _sw(key, 0, 0x22, 0x41, 0xA4, set_at) == 0x9000
    assert _sw(key, 0, 0x86, 0, 0, tlv.encode(0x7C, tlv.encode(0x81, point))) == 0x6A80
    assert _sw(key, 0, 0x22, 0x41, 0xA4, set_at) == 0x9000
    assert _sw(key, 0, 0x86, 0, 0, tlv.encode(0x7C, tlv.encode(0x80, point[:-1] + b"\x00"))) \
        == 0x6A80  # off the curve
    assert _sw(key, 0, 0x22, 0x41, 0xA4, set_at) == 0x9000
    response, secret = key.respond(CommandApdu(0, 0x86, 0, 0, ga, le=256))
    assert response == ResponseApdu(b"\x7C\x00", 0x9000)
    assert secret == shared_secret("secp256r1", 42, key.published)
    assert _sw(key, 0, 0x86, 0, 0, ga) == 0x6985  # the run is over
    assert _sw(key, 0, 0xB0, 0, 0, b"") == 0x6D00


_KAT_KEY = ChipAuthKey.generate("secp256r1", "3des")
_commands = st.builds(
    CommandApdu,
    cla=st.sampled_from([0x00, 0x10]), ins=st.sampled_from([0x22, 0x86, 0x88]),
    p1=st.sampled_from([0x00, 0x41]), p2=st.sampled_from([0x00, 0xA4, 0xA6]),
    data=st.one_of(st.binary(max_size=80),
                   st.sampled_from([0x7C, 0x80, 0x84, 0x91]).flatmap(
                       lambda t: st.binary(max_size=70).map(lambda b: bytes([t, len(b)]) + b))),
    le=st.sampled_from([None, 256]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_commands, max_size=6), st.sampled_from(["3des", "aes"]))
def test_responder_answers_anything_with_a_status_word(commands, cipher: str) -> None:
    key = ChipAuthKey.generate("secp256r1", cipher) if cipher == "aes" else _KAT_KEY
    for command in commands:
        response, secret = key.respond(command)
        assert isinstance(response, ResponseApdu)
        assert secret is None or response.ok


# -- a whole read --------------------------------------------------------------------------------
PERSONA = load_documents()["passport_mrz"]
PERSONA_KEY = MrzKey(PERSONA.fields["document_number"], PERSONA.fields["birth_date"],
                     PERSONA.fields["expiry_date"])


def _store() -> TrustStore:
    store = TrustStore.empty()
    store.add_certificate(issuing_state("CN").csca_certificate_der())
    return store


def _persona_chip(faults: FaultScript | None = None, **chip) -> VirtualChip:
    doc = dataclasses.replace(PERSONA, chip={**PERSONA.chip, "chip_auth": True, **chip})
    return chip_for(doc, faults or FaultScript(), max_read=231, extended_length=False,
                    country="CN")


def _options(**changes) -> ReadOptions:
    return ReadOptions(trust_store=_store(), **changes)


@pytest.mark.parametrize("chip_access,access", [("bac", "bac"), ("pace", "pace-mrz")])
def test_full_read_runs_chip_authentication(chip_access: str, access: str) -> None:
    chip = _persona_chip(chip_access=chip_access)
    result, session = read_chip(chip, PERSONA_KEY, _options())
    assert result.access == access and result.chip_auth == "passed"
    assert result.passive is not None and result.passive.verdict == "valid"
    assert 14 in result.passive.data_groups_checked and FID["DG14"] in result.files
    assert result.active == "passed"  # active authentication ran under the new keys
    steps = [s.step for s in session.steps]
    assert steps.index("chip_authentication") < steps.index("passive_authentication") \
        < steps.index("active_authentication")
    assert all(s.ok for s in session.steps)
    assert chip.profile.chip_auth.agreements == 1 and chip.internal_errors == 0


def test_full_read_of_a_cloned_chip_fails() -> None:
    chip = _persona_chip()
    genuine = chip.profile.chip_auth
    chip.profile.chip_auth = dataclasses.replace(genuine, private=genuine.private + 1)
    session = ChipSession(chip, _options(), ChipReadState())
    with pytest.raises(ActiveAuthenticationFailed) as failure:
        session.read(PERSONA_KEY)
    assert failure.value.code == "document_not_genuine"
    last = session.steps[-1]
    assert (last.step, last.ok, last.detail) == ("chip_authentication", False,
                                                 "ActiveAuthenticationFailed")
    assert "passive_authentication" not in [s.step for s in session.steps]


def test_full_read_outcomes_without_chip_authentication() -> None:
    result, _ = read_chip(_persona_chip(chip_auth=False), PERSONA_KEY, _options())
    assert result.chip_auth == "not_supported" and result.active == "passed"
    chip = _persona_chip()
    result, session = read_chip(chip, PERSONA_KEY, _options(chip_authentication=False))
    assert result.chip_auth == "skipped" and chip.profile.chip_auth.agreements == 0
    assert "chip_authentication" not in [s.step for s in session.steps]


def _issued_chip(dg14: bytes, chip_key: ChipAuthKey | None) -> VirtualChip:
    files = issue(holder_for(PERSONA), portrait_jpeg("chip-auth", sex="F"), issuing_state("CN"),
                  dg14=dg14)
    return VirtualChip(ChipProfile(files, mrz_key=PERSONA_KEY, chip_auth=chip_key))


def test_a_malformed_but_signed_dg14_is_no_offer() -> None:
    result, session = read_chip(_issued_chip(b"\x6E\x04\x31\x02\x02\x00", None), PERSONA_KEY,
                                _options())
    assert result.chip_auth == "not_supported" and result.passive.verdict == "valid"
    (step,) = [s for s in session.steps if s.step == "chip_authentication"]
    assert (step.ok, step.detail) == (False, "MalformedChipData")


def test_a_dg14_with_the_forgers_own_key_passes_ca_but_not_passive_authentication() -> None:
    genuine, forger = ChipAuthKey.generate(), ChipAuthKey.generate()
    chip = _issued_chip(genuine.dg14(), forger)
    chip.profile.files[FID["DG14"]] = forger.dg14()
    session = ChipSession(chip, _options(), ChipReadState())
    with pytest.raises(PassiveAuthenticationFailed) as failure:
        session.read(PERSONA_KEY)
    assert failure.value.reason == "dg_hash_mismatch"
    assert [s.ok for s in session.steps if s.step == "chip_authentication"] == [True]


def test_full_read_resumes_after_the_document_is_lifted_during_chip_authentication() -> None:
    trace = ApduTrace()
    read_chip(_persona_chip(), PERSONA_KEY, _options(), trace=trace)
    at = next(i for i, e in enumerate(trace.entries) if (e.ins, e.p1) == (0x22, 0x41)) + 1
    faults = FaultScript({"remove_at_apdu": at})
    chip = _persona_chip(faults)
    state = ChipReadState()
    with pytest.raises(DocumentRemoved):
        read_chip(chip, PERSONA_KEY, _options(), state=state)
    chip.power_on()
    result, session = read_chip(chip, PERSONA_KEY, _options(), state=state)
    assert result.resumed and result.chip_auth == "passed"
    assert not any(s.step.startswith("read_") for s in session.steps)  # nothing read again


def test_reader_errors_only_from_chip_auth_on_a_hostile_channel() -> None:
    """Whatever the chip answers to the CA commands, the kiosk raises a typed reader error."""
    key = ChipAuthKey.generate("secp256r1", "aes")
    for garbage in (b"", b"\x7C", b"\x99\x02\x90\x00", b"\x6A\x80", b"\x90\x00"):
        chip = _bac_chip(key)
        sender = _bac(chip)
        info = parse_dg14(_read(sender, FID["DG14"]))[0]

        class Channel:
            def transmit(self, apdu: bytes, garbage=garbage, chip=chip) -> bytes:
                real = chip.transmit(apdu)
                return garbage if apdu[1] == 0x86 else real

        with pytest.raises(ReaderError):
            perform_chip_auth(SecureSender(Channel(), sender.sm), Channel(), info)
