"""Active Authentication: RSA (ISO/IEC 9796-2 scheme 1) and ECDSA, genuine chips and clones."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib

import pytest
from asn1crypto import core, keys
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec
from ecdsa import curves as ec_curves
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drivers.reader.base import CanKey, MrzKey
from drivers.reader.icao import tlv
from drivers.reader.icao.active_auth import (
    ISO9796_TRAILERS,
    parse_dg15,
    perform_active_auth,
    signature_algorithm_of,
    verify_iso9796_2,
)
from drivers.reader.icao.apdu import CommandApdu, PlainSender, ResponseApdu
from drivers.reader.icao.errors import ActiveAuthenticationFailed, MalformedChipData
from drivers.reader.icao.files import FileReader, select_applet
from drivers.reader.icao.pace import pace_parameters, perform_pace
from drivers.reader.icao.sm import SecureSender
from drivers.reader.vchip.active_auth_key import ActiveAuthKey
from drivers.reader.vchip.chip import ChipProfile, VirtualChip
from drivers.reader.vchip.pace_chip import PaceResponder, card_access_for


class ChipStandIn:
    """An ApduSender that answers INTERNAL AUTHENTICATE with ``sign``."""

    def __init__(self, sign, sw: int = 0x9000) -> None:
        self.sign = sign
        self.sw = sw
        self.commands: list[CommandApdu] = []

    def send(self, command: CommandApdu) -> ResponseApdu:
        self.commands.append(command)
        if self.sw != 0x9000:
            return ResponseApdu(b"", self.sw)
        return ResponseApdu(self.sign(command.data), 0x9000)


@functools.cache
def _key(kind: str, bits: int = 1024, curve: str = "secp256r1", hash_name: str | None = None
         ) -> ActiveAuthKey:
    return ActiveAuthKey.generate(kind, bits=bits, curve=curve, hash_name=hash_name)


GENUINE = [
    ("rsa", 1024, "secp256r1", None),
    ("rsa", 2048, "secp256r1", None),
    ("rsa", 2048, "secp256r1", "sha256"),
    ("rsa", 1024, "secp256r1", "sha224"),
    ("rsa", 1536, "secp256r1", "sha384"),
    ("rsa", 2048, "secp256r1", "sha512"),
    ("ec", 0, "secp256r1", None),
    ("ec", 0, "brainpoolP256r1", None),
    ("ec", 0, "secp384r1", None),
]


@pytest.mark.parametrize("kind,bits,curve,hash_name", GENUINE)
def test_genuine_chip_passes(kind, bits, curve, hash_name) -> None:
    key = _key(kind, bits, curve, hash_name)
    chip = ChipStandIn(key.sign)
    perform_active_auth(chip, key.dg15())
    (command,) = chip.commands
    assert (command.cla, command.ins, command.p1, command.p2, len(command.data), command.ne) == (
        0x00, 0x88, 0x00, 0x00, 8, 256)


@pytest.mark.parametrize("kind,bits,curve,hash_name", GENUINE)
def test_clone_fails(kind, bits, curve, hash_name) -> None:
    genuine = _key(kind, bits, curve, hash_name)
    clone = ActiveAuthKey.generate(kind, bits=bits or 1024, curve=curve, hash_name=hash_name)
    with pytest.raises(ActiveAuthenticationFailed) as info:
        perform_active_auth(ChipStandIn(clone.sign), genuine.dg15())
    assert str(info.value) == "active_auth_failed"


def test_rsa_trailers_follow_iso_10118_3() -> None:
    """SHA-384 is 36CC and SHA-512 35CC (ISO/IEC 10118-3 hash identifiers), SHA-1 implicit BC."""
    assert ISO9796_TRAILERS[0x34CC] == "sha256"
    assert ISO9796_TRAILERS[0x36CC] == "sha384"
    assert ISO9796_TRAILERS[0x35CC] == "sha512"
    for hash_name, trailer in [("sha1", b"\xBC"), ("sha384", b"\x36\xCC"), ("sha512", b"\x35\xCC")]:
        key = _key("rsa", 2048 if hash_name == "sha512" else 1536 if hash_name == "sha384" else 1024,
                   "secp256r1", None if hash_name == "sha1" else hash_name)
        public = key.private.public_key().public_numbers()
        signature = key.sign(b"12345678")
        representative = pow(int.from_bytes(signature, "big"), public.e, public.n)
        recovered = representative.to_bytes((public.n.bit_length() + 7) // 8, "big")
        assert recovered[0] == 0x6A and recovered.endswith(trailer)


def _rsa_numbers(key: ActiveAuthKey):
    private = key.private.private_numbers()
    return private.public_numbers.n, private.public_numbers.e, private.d


def test_rsa_full_recovery_and_min_signature_are_accepted() -> None:
    key = _key("rsa", 1024)
    n, e, d = _rsa_numbers(key)
    k = (n.bit_length() + 7) // 8
    challenge = bytes(range(8))
    # full recovery: 4B BB .. BA || challenge || SHA-1(challenge) || BC
    body = challenge + hashlib.sha1(challenge).digest() + b"\xBC"
    representative = b"\x4B" + b"\xBB" * (k - len(body) - 2) + b"\xBA" + body
    signature = pow(int.from_bytes(representative, "big"), d, n)
    assert verify_iso9796_2(n, e, challenge, signature.to_bytes(k, "big"))
    assert not verify_iso9796_2(n, e, bytes(8), signature.to_bytes(k, "big"))
    # a signer may send n - s instead of s
    partial = key.sign(challenge)
    other = (n - int.from_bytes(partial, "big")).to_bytes(k, "big")
    assert verify_iso9796_2(n, e, challenge, partial)
    assert verify_iso9796_2(n, e, challenge, other)


@pytest.mark.parametrize("mangle", [
    lambda rep: rep[:-1] + b"\xBD",  # unknown trailer
    lambda rep: rep[:-2] + b"\x39\xCC",  # unknown hash identifier
    lambda rep: b"\x2A" + rep[1:],  # header bits not 01
    lambda rep: b"\x6C" + rep[1:],  # padding nibble neither A nor B
    lambda rep: rep[:40] + bytes([rep[40] ^ 1]) + rep[41:],  # M1 changed
])
def test_rsa_representative_checks(mangle) -> None:
    key = _key("rsa", 1024)
    n, e, d = _rsa_numbers(key)
    k = (n.bit_length() + 7) // 8
    rep = pow(int.from_bytes(key.sign(b"abcdefgh"), "big"), e, n).to_bytes(k, "big")
    forged = pow(int.from_bytes(mangle(rep), "big"), d, n).to_bytes(k, "big")
    assert not verify_iso9796_2(n, e, b"abcdefgh", forged)


def test_ec_hash_from_active_authentication_info() -> None:
    key = _key("ec", 0, "secp384r1", "sha384")
    der = _aa_info("0.4.0.127.0.7.1.1.4.1.4")  # { id-AA, 1, ecdsa-plain-SHA384 }
    assert signature_algorithm_of(der) == "0.4.0.127.0.7.1.1.4.1.4"
    perform_active_auth(ChipStandIn(key.sign), key.dg15(),
                        signature_algorithm=signature_algorithm_of(der))
    with pytest.raises(ActiveAuthenticationFailed):  # signed SHA-384, checked as SHA-256
        perform_active_auth(ChipStandIn(key.sign), key.dg15())
    with pytest.raises(MalformedChipData):
        perform_active_auth(ChipStandIn(key.sign), key.dg15(), signature_algorithm="1.2.3.4")


class _AaInfo(core.Sequence):
    _fields = [("protocol", core.ObjectIdentifier), ("version", core.Integer),
               ("signature_algorithm", core.ObjectIdentifier)]


def _aa_info(algorithm: str) -> bytes:
    return _AaInfo({"protocol": "2.23.136.1.1.5", "version": 1,
                 "signature_algorithm": algorithm}).dump()


def test_ec_der_signature_is_accepted() -> None:
    key = _key("ec")
    perform_active_auth(ChipStandIn(lambda c: key.private.sign(c, ec.ECDSA(hashes.SHA256()))),
                        key.dg15())


def test_ec_key_with_explicit_domain_parameters() -> None:
    """Some documents spell brainpoolP256r1 out in DG15 instead of naming it."""
    key = _key("ec", 0, "brainpoolP256r1")
    curve = ec_curves.BRAINPOOLP256r1
    c = curve.curve
    size = 32
    point = key.private.public_key().public_bytes(serialization.Encoding.X962,
                                                  serialization.PublicFormat.UncompressedPoint)
    spki = keys.PublicKeyInfo({
        "algorithm": {"algorithm": "ec", "parameters": keys.ECDomainParameters(
            name="specified", value={
                "version": "ecdpVer1",
                "field_id": {"field_type": "prime_field", "parameters": c.p()},
                "curve": {"a": c.a().to_bytes(size, "big"), "b": c.b().to_bytes(size, "big")},
                "base": curve.generator.to_bytes("uncompressed"),
                "order": curve.order, "cofactor": 1})},
        "public_key": point}).dump()
    dg15 = tlv.encode(0x6F, spki)
    assert parse_dg15(dg15).kind == "ec"
    perform_active_auth(ChipStandIn(key.sign), dg15)
    with pytest.raises(ActiveAuthenticationFailed):
        perform_active_auth(ChipStandIn(ActiveAuthKey.generate("ec", curve="brainpoolP256r1").sign),
                            dg15)


@pytest.mark.parametrize("sw", [0x6D00, 0x6982, 0x6A80])
def test_chip_refusing_the_challenge_fails(sw: int) -> None:
    key = _key("ec")
    with pytest.raises(ActiveAuthenticationFailed):
        perform_active_auth(ChipStandIn(key.sign, sw), key.dg15())


@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_tampered_signature_fails(kind: str) -> None:
    key = _key(kind)

    def sign(challenge: bytes) -> bytes:
        signature = bytearray(key.sign(challenge))
        signature[len(signature) // 2] ^= 0x40
        return bytes(signature)
    with pytest.raises(ActiveAuthenticationFailed):
        perform_active_auth(ChipStandIn(sign), key.dg15())


def _dsa_dg15() -> bytes:
    private = dsa.generate_private_key(1024)
    return tlv.encode(0x6F, private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo))


@pytest.mark.parametrize("dg15", [
    b"",
    b"\x6E\x03\x30\x01\x00",  # wrong tag
    b"\x6F\x05\x30\x03\x02\x01",  # truncated
    b"\x6F\x03\x04\x01\x00",  # not an SPKI
    b"\x6F\x02\x30\x00",  # empty SEQUENCE
    "truncated-spki",
    "dsa",
    "rsa-even-exponent",
])
def test_malformed_dg15(dg15) -> None:
    if dg15 == "truncated-spki":
        raw = _key("rsa").dg15()
        dg15 = tlv.encode(0x6F, tlv.parse_one(raw).value[:-5])
    elif dg15 == "dsa":
        dg15 = _dsa_dg15()
    elif dg15 == "rsa-even-exponent":
        dg15 = tlv.encode(0x6F, keys.PublicKeyInfo({
            "algorithm": {"algorithm": "rsa"},
            "public_key": keys.RSAPublicKey({"modulus": (1 << 1023) + 1, "public_exponent": 4}),
        }).dump())
    with pytest.raises(MalformedChipData):
        parse_dg15(dg15)
    with pytest.raises(MalformedChipData):
        perform_active_auth(ChipStandIn(lambda c: b"\x00" * 64), dg15)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=200),
                 st.binary(max_size=120).map(lambda b: b"\x6F" + bytes([len(b)]) + b),
                 st.binary(max_size=120).map(lambda b: b"\x6F" + bytes([len(b) + 2, 0x30, len(b)]) + b)))
def test_random_dg15_only_raises_malformed(raw: bytes) -> None:
    try:
        parse_dg15(raw)
    except MalformedChipData:
        pass


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["rsa", "ec"]), st.binary(max_size=300))
def test_random_signatures_fail_typed(kind: str, signature: bytes) -> None:
    key = _key(kind)
    with pytest.raises(ActiveAuthenticationFailed):
        perform_active_auth(ChipStandIn(lambda c: signature), key.dg15())


# -- through the virtual chip ---------------------------------------------------------------------
def _aa_chip(dg15_key: ActiveAuthKey, chip_key: ActiveAuthKey, access: str = "none") -> VirtualChip:
    files = {0x010F: dg15_key.dg15()}
    if access == "pace":
        files[0x011C] = card_access_for()
    profile = ChipProfile(files=files, access=access, mrz_key=MRZ, can="123456",
                          active_auth=chip_key.sign)
    return VirtualChip(profile, pace_responder_factory=PaceResponder if access == "pace" else None)


MRZ = MrzKey("T22000129", dt.date(1964, 8, 12), dt.date(2010, 10, 31))


@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_virtual_chip_genuine_and_clone(kind: str) -> None:
    genuine = _key(kind)
    chip = _aa_chip(genuine, genuine)
    perform_active_auth(PlainSender(chip), genuine.dg15())
    clone = _aa_chip(genuine, ActiveAuthKey.generate(kind))
    with pytest.raises(ActiveAuthenticationFailed):
        perform_active_auth(PlainSender(clone), genuine.dg15())
    assert chip.internal_errors == clone.internal_errors == 0


def test_virtual_chip_active_auth_after_pace() -> None:
    key = _key("ec")
    chip = _aa_chip(key, key, access="pace")
    with pytest.raises(ActiveAuthenticationFailed):  # before access control the chip says 6982
        perform_active_auth(PlainSender(chip), key.dg15())
    sm = perform_pace(chip, CanKey("123456"), pace_parameters(13))
    sender = SecureSender(chip, sm)
    select_applet(sender)
    raw = bytearray()
    FileReader(sender).read_file(0x010F, raw)
    perform_active_auth(sender, bytes(raw))
    assert chip.internal_errors == 0
