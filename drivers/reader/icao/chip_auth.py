"""Chip Authentication, version 1 with ECDH (ICAO 9303-11 6.2, BSI TR-03110): the kiosk's side.

DG14 (``6E { SET OF SecurityInfo }``) publishes the chip's static key agreement key in a
ChipAuthenticationPublicKeyInfo and, usually, how to use it in a ChipAuthenticationInfo::

    ChipAuthenticationInfo ::= SEQUENCE {
        protocol  OBJECT IDENTIFIER,   -- id-CA-ECDH-3DES-CBC-CBC / id-CA-ECDH-AES-CBC-CMAC-nnn
        version   INTEGER,             -- 1
        keyId     INTEGER OPTIONAL }
    ChipAuthenticationPublicKeyInfo ::= SEQUENCE {
        protocol                    OBJECT IDENTIFIER,   -- id-PK-ECDH
        chipAuthenticationPublicKey SubjectPublicKeyInfo,
        keyId                       INTEGER OPTIONAL }

The kiosk makes an ephemeral key on the chip's curve and sends its public point through
the secure channel BAC or PACE opened:

    3DES:  MSE:SET KAT          00 22 41 A6  91 <ephemeral point> [84 <key id>]
    AES:   MSE:SET AT           00 22 41 A4  80 <protocol OID>    [84 <key id>]
           GENERAL AUTHENTICATE 00 86 00 00  7C { 80 <ephemeral point> }  -> 7C { }

Both sides then hold K = x(SK_ephemeral * PK_chip) = x(SK_chip * PK_ephemeral), and secure
messaging restarts with KSenc = KDF(K, 1), KSmac = KDF(K, 2) and SSC 0. The answer to the
command that carried the ephemeral key is still protected with the old keys. Nothing
else proves success: only a chip holding the private key can protect the next answer,
so ``perform_chip_auth`` sends one cheap command under the new keys and calls a chip
that cannot answer it a clone.

Error mapping:
* the chip refuses MSE or GENERAL AUTHENTICATE, or cannot protect the answer to the
  check command under the new keys → ``ActiveAuthenticationFailed("chip_auth_failed")``;
* DG14 bytes that are not SecurityInfos, or a CA key that is not a point of its curve
  → ``MalformedChipData``; entries the kiosk cannot run (DH, other versions, unknown
  curves) are listed in ``Dg14.unsupported`` and otherwise ignored.

ECDH is ``cryptography``'s; for the three standardized Brainpool curves it lacks
(192, 224 and 320 bits) it is the ``ecdsa`` package's.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import ecdsa
from asn1crypto import core, keys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from ecdsa import curves as ec_curves

from drivers.reader.icao import crypto, tlv
from drivers.reader.icao.apdu import (
    ApduSender,
    ApduTrace,
    CardChannel,
    CommandApdu,
    ResponseApdu,
    exchange,
)
from drivers.reader.icao.crypto import Cipher
from drivers.reader.icao.errors import (
    ActiveAuthenticationFailed,
    MalformedChipData,
    SecureMessagingError,
)
from drivers.reader.icao.sm import SecureMessaging

log = logging.getLogger("drivers.reader.icao")

Rng = Callable[[int], bytes]

REASON = "chip_auth_failed"
CA_VERSION = 1
TAG_DG14 = 0x6E

ID_PK = "0.4.0.127.0.7.2.2.1"
ID_PK_DH = f"{ID_PK}.1"
ID_PK_ECDH = f"{ID_PK}.2"
ID_CA = "0.4.0.127.0.7.2.2.3"
ID_CA_DH = f"{ID_CA}.1"
ID_CA_ECDH = f"{ID_CA}.2"
ID_CA_ECDH_3DES_CBC_CBC = f"{ID_CA_ECDH}.1"
ID_CA_ECDH_AES_CBC_CMAC_128 = f"{ID_CA_ECDH}.2"
ID_CA_ECDH_AES_CBC_CMAC_192 = f"{ID_CA_ECDH}.3"
ID_CA_ECDH_AES_CBC_CMAC_256 = f"{ID_CA_ECDH}.4"
ID_EC_PUBLIC_KEY = "1.2.840.10045.2.1"
ID_DH_PUBLIC_NUMBER = "1.2.840.10046.2.1"

# The last arc of id-CA-(EC)DH-<cipher>: (cipher, session key bits)
_CA_CIPHERS: dict[int, tuple[Cipher, int]] = {
    1: ("3des", 112),
    2: ("aes", 128),
    3: ("aes", 192),
    4: ("aes", 256),
}
_CA_ARC = {suite: arc for arc, suite in _CA_CIPHERS.items()}

INS_MSE = 0x22
INS_GENERAL_AUTHENTICATE = 0x86
P1P2_SET_KAT = (0x41, 0xA6)
P1P2_SET_AT = (0x41, 0xA4)
TAG_DYNAMIC_AUTH = 0x7C
TAG_MECHANISM = 0x80
TAG_KEY_REFERENCE = 0x84
TAG_KAT_EPHEMERAL = 0x91
TAG_GA_EPHEMERAL = 0x80


# -- curves and key agreement -------------------------------------------------------------------
class _Curve(NamedTuple):
    ecdsa_curve: ec_curves.Curve
    cryptography_curve: type[ec.EllipticCurve] | None  # None: cryptography lacks it


# The standardized curves of ICAO 9303-11 Table 12, by the names card_access uses.
CURVES: dict[str, _Curve] = {
    "secp192r1": _Curve(ec_curves.NIST192p, ec.SECP192R1),
    "brainpoolP192r1": _Curve(ec_curves.BRAINPOOLP192r1, None),
    "secp224r1": _Curve(ec_curves.NIST224p, ec.SECP224R1),
    "brainpoolP224r1": _Curve(ec_curves.BRAINPOOLP224r1, None),
    "secp256r1": _Curve(ec_curves.NIST256p, ec.SECP256R1),
    "brainpoolP256r1": _Curve(ec_curves.BRAINPOOLP256r1, ec.BrainpoolP256R1),
    "brainpoolP320r1": _Curve(ec_curves.BRAINPOOLP320r1, None),
    "secp384r1": _Curve(ec_curves.NIST384p, ec.SECP384R1),
    "brainpoolP384r1": _Curve(ec_curves.BRAINPOOLP384r1, ec.BrainpoolP384R1),
    "brainpoolP512r1": _Curve(ec_curves.BRAINPOOLP512r1, ec.BrainpoolP512R1),
    "secp521r1": _Curve(ec_curves.NIST521p, ec.SECP521R1),
}
_BY_LOWER_NAME = {name.lower(): name for name in CURVES}


class InvalidPoint(ValueError):
    """Bytes that are not an uncompressed point of the curve (or are its identity)."""


def _curve(name: str) -> _Curve:
    try:
        return CURVES[name]
    except KeyError:
        raise ValueError(f"no curve {name!r}") from None


def field_bytes(curve: str) -> int:
    """Length of one coordinate: the size of the x coordinate K is made of."""
    return (_curve(curve).ecdsa_curve.curve.p().bit_length() + 7) // 8


def random_private_key(curve: str, rng: Rng = os.urandom) -> int:
    """A private key in [1, n-1], by rejection sampling over the order's bit length."""
    order = _curve(curve).ecdsa_curve.order
    size, mask = (order.bit_length() + 7) // 8, (1 << order.bit_length()) - 1
    for _ in range(256):
        candidate = int.from_bytes(rng(size), "big") & mask
        if 0 < candidate < order:
            return candidate
    raise RuntimeError("random source gave no usable private key")


def public_point(curve: str, private: int) -> bytes:
    """04 || X || Y of private * G."""
    spec = _curve(curve)
    if spec.cryptography_curve is not None:
        key = ec.derive_private_key(private, spec.cryptography_curve())
        return key.public_key().public_bytes(serialization.Encoding.X962,
                                              serialization.PublicFormat.UncompressedPoint)
    signing = ecdsa.SigningKey.from_secret_exponent(private, spec.ecdsa_curve)
    return signing.get_verifying_key().to_string("uncompressed")


def decode_point(curve: str, data: bytes, *, uncompressed_only: bool = True) -> bytes:
    """The point checked to lie on the curve, re-encoded uncompressed; else ``InvalidPoint``."""
    spec = _curve(curve)
    data = bytes(data)
    size = field_bytes(curve)
    if uncompressed_only and (len(data) != 1 + 2 * size or data[0] != 0x04):
        raise InvalidPoint("not an uncompressed point of this curve")
    try:
        if spec.cryptography_curve is not None:
            key = ec.EllipticCurvePublicKey.from_encoded_point(spec.cryptography_curve(), data)
            return key.public_bytes(serialization.Encoding.X962,
                                    serialization.PublicFormat.UncompressedPoint)
        if not data or data[0] not in (0x02, 0x03, 0x04):
            raise InvalidPoint("not an encoded point")
        verifying = ecdsa.VerifyingKey.from_string(data, curve=spec.ecdsa_curve)
        return verifying.to_string("uncompressed")
    except InvalidPoint:
        raise
    except (ValueError, ecdsa.errors.MalformedPointError, AssertionError):
        raise InvalidPoint("point not on the curve") from None


def shared_secret(curve: str, private: int, other_point: bytes) -> bytes:
    """K: the x coordinate of private * other, the field's length of bytes."""
    spec = _curve(curve)
    point = decode_point(curve, other_point)
    if spec.cryptography_curve is not None:
        key = ec.derive_private_key(private, spec.cryptography_curve())
        other = ec.EllipticCurvePublicKey.from_encoded_point(spec.cryptography_curve(), point)
        return key.exchange(ec.ECDH(), other)
    agreement = ecdsa.ECDH(curve=spec.ecdsa_curve)
    agreement.load_private_key(ecdsa.SigningKey.from_secret_exponent(private, spec.ecdsa_curve))
    agreement.load_received_public_key_bytes(point)
    try:
        return agreement.generate_sharedsecret_bytes()
    except ecdsa.ecdh.InvalidSharedSecretError:
        raise InvalidPoint("agreed point is the identity") from None


def session_keys(secret: bytes, cipher: Cipher, key_bits: int) -> tuple[bytes, bytes]:
    """(KSenc, KSmac) = (KDF(K, 1), KDF(K, 2)) for the CA cipher."""
    return (crypto.derive_key(secret, crypto.ENC, cipher, key_bits),
            crypto.derive_key(secret, crypto.MAC, cipher, key_bits))


def chip_auth_oid(cipher: Cipher, key_bits: int) -> str:
    """id-CA-ECDH-<cipher> for a session cipher and key size."""
    arc = _CA_ARC.get((cipher, key_bits))
    if arc is None:
        raise ValueError(f"no chip authentication cipher suite {cipher}-{key_bits}")
    return f"{ID_CA_ECDH}.{arc}"


# -- ASN.1 ------------------------------------------------------------------------------------
class ASN1AlgorithmIdentifier(core.Sequence):
    _fields = [
        ("algorithm", core.ObjectIdentifier),
        ("parameters", core.Any, {"optional": True}),
    ]


class ASN1SubjectPublicKeyInfo(core.Sequence):
    """SubjectPublicKeyInfo without asn1crypto's algorithm table, so id-PK-ECDH loads too."""

    _fields = [
        ("algorithm", ASN1AlgorithmIdentifier),
        ("public_key", core.OctetBitString),
    ]


class ASN1ChipAuthenticationInfo(core.Sequence):
    _fields = [
        ("protocol", core.ObjectIdentifier),
        ("version", core.Integer),
        ("key_id", core.Integer, {"optional": True}),
    ]


class ASN1ChipAuthenticationPublicKeyInfo(core.Sequence):
    _fields = [
        ("protocol", core.ObjectIdentifier),
        ("public_key", ASN1SubjectPublicKeyInfo),
        ("key_id", core.Integer, {"optional": True}),
    ]


class ASN1SecurityInfos(core.SetOf):
    """SET OF SecurityInfo; each a SEQUENCE that starts with its protocol OID."""

    _child_spec = core.Sequence


# asn1crypto parses lazily; any of these escaping from it means the bytes are not DER we know.
_ASN1_ERRORS = (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError,
                UnicodeDecodeError)


# -- parsed form ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChipAuthPublicKey:
    """A ChipAuthenticationPublicKeyInfo: the curve (by name) and the uncompressed point."""

    curve: str
    point: bytes
    key_id: int | None = None
    explicit_parameters: bool = False  # DG14 spelt the curve out instead of naming it


@dataclass(frozen=True)
class ChipAuthInfo:
    """One Chip Authentication the kiosk can run: protocol, cipher and the chip's key."""

    protocol_oid: str
    version: int
    key_id: int | None
    cipher: Cipher
    key_bits: int
    public_key: ChipAuthPublicKey

    @property
    def uses_kat(self) -> bool:
        """3DES runs MSE:SET KAT; AES needs MSE:SET AT and GENERAL AUTHENTICATE."""
        return self.cipher == "3des"


@dataclass(frozen=True)
class Dg14:
    """DG14 as the kiosk reads it for Chip Authentication."""

    chip_auth: tuple[ChipAuthInfo, ...]
    unsupported: tuple[tuple[str, str], ...]  # (protocol OID, reason) of entries it cannot run
    other_protocols: tuple[str, ...]  # OIDs of every other SecurityInfo, in file order

    @property
    def offers_chip_auth(self) -> bool:
        return bool(self.chip_auth)


def _key_id(value: object, what: str) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or value < 0:
        raise MalformedChipData(f"{what} has a bad keyId")
    return value


def _explicit_curve(params: keys.SpecifiedECDomain) -> str | None:
    """The known curve whose parameters these are, or None."""
    field_id = params["field_id"]
    if field_id["field_type"].native != "prime_field":
        return None
    p = field_id["parameters"].native
    a = int.from_bytes(params["curve"]["a"].native, "big")
    b = int.from_bytes(params["curve"]["b"].native, "big")
    order = params["order"].native
    cofactor = params["cofactor"].native
    base = bytes(params["base"].native)
    if not isinstance(p, int) or cofactor not in (None, 1):
        return None
    for name, spec in CURVES.items():
        c, generator = spec.ecdsa_curve.curve, spec.ecdsa_curve.generator
        if (c.p(), c.a() % c.p(), c.b() % c.p(), spec.ecdsa_curve.order) != (p, a % p, b % p, order):
            continue
        if base in (generator.to_bytes("uncompressed"), generator.to_bytes("compressed")):
            return name
    return None


def _public_key(info: ASN1ChipAuthenticationPublicKeyInfo) -> ChipAuthPublicKey | str:
    """The parsed key, or the reason the kiosk cannot use it."""
    spki = info["public_key"]
    algorithm = spki["algorithm"]["algorithm"].dotted
    if algorithm in (ID_DH_PUBLIC_NUMBER, ID_PK_DH):
        return "dh_key_agreement"
    if algorithm not in (ID_EC_PUBLIC_KEY, ID_PK_ECDH):
        return "unknown_key_algorithm"
    raw_params = spki["algorithm"]["parameters"]
    if isinstance(raw_params, core.Void) or raw_params.native is None:
        return "implicit_domain_parameters"
    params = keys.ECDomainParameters.load(raw_params.dump(), strict=True)
    explicit = params.name == "specified"
    if explicit:
        curve = _explicit_curve(params.chosen)
    elif params.name == "named":
        curve = _BY_LOWER_NAME.get(str(params.chosen.native).lower())
    else:
        return "implicit_domain_parameters"
    if curve is None:
        return "unknown_curve"
    try:
        point = decode_point(curve, bytes(spki["public_key"].native), uncompressed_only=False)
    except InvalidPoint:
        raise MalformedChipData("DG14 chip authentication key is not a point of its curve") \
            from None
    return ChipAuthPublicKey(curve, point, _key_id(info["key_id"].native, "PK info"), explicit)


def _ca_suite(oid: str) -> tuple[Cipher, int] | None:
    family, _, last = oid.rpartition(".")
    if family != ID_CA_ECDH or not last.isdigit():
        return None
    return _CA_CIPHERS.get(int(last))


def read_dg14(raw: bytes) -> Dg14:
    """Every Chip Authentication DG14 offers, paired with its key; ``MalformedChipData`` if broken.

    A ChipAuthenticationInfo names its key by keyId; without one it takes the only key.
    A DG14 with keys but no ChipAuthenticationInfo is a first-generation document: its
    keys imply id-CA-ECDH-3DES-CBC-CBC, version 1.
    """
    body = tlv.parse_one(raw, expect=TAG_DG14).value
    if not body or body[0] != 0x31:
        raise MalformedChipData("DG14 does not hold a SET of SecurityInfos")
    try:
        return _read_security_infos(body)
    except MalformedChipData:
        raise
    except _ASN1_ERRORS as exc:
        raise MalformedChipData(f"DG14 is not DER SecurityInfos ({type(exc).__name__})") from None


def _read_security_infos(body: bytes) -> Dg14:
    infos: list[tuple[str, ASN1ChipAuthenticationInfo]] = []
    keys_found: list[ChipAuthPublicKey] = []
    unsupported: list[tuple[str, str]] = []
    others: list[str] = []
    for index, item in enumerate(ASN1SecurityInfos.load(body)):  # padding after the SET is fine
        if len(item) < 1 or not isinstance(item[0], core.ObjectIdentifier):
            raise MalformedChipData(f"SecurityInfo {index} does not start with an OID")
        oid = item[0].dotted
        if oid in (ID_PK_ECDH, ID_PK_DH):
            parsed = ASN1ChipAuthenticationPublicKeyInfo.load(item.dump(), strict=True)
            key = _public_key(parsed) if oid == ID_PK_ECDH else "dh_key_agreement"
            if isinstance(key, str):
                unsupported.append((oid, key))
            else:
                keys_found.append(key)
        elif oid.startswith(ID_CA + "."):
            infos.append((oid, ASN1ChipAuthenticationInfo.load(item.dump(), strict=True)))
        else:
            others.append(oid)
    chip_auth: list[ChipAuthInfo] = []
    for oid, info in infos:
        result = _pair(oid, info, keys_found)
        if isinstance(result, str):
            unsupported.append((oid, result))
        else:
            chip_auth.append(result)
    if not infos:
        chip_auth = [ChipAuthInfo(ID_CA_ECDH_3DES_CBC_CBC, CA_VERSION, key.key_id, "3des", 112, key)
                     for key in keys_found]
    return Dg14(tuple(chip_auth), tuple(unsupported), tuple(others))


def _pair(oid: str, info: ASN1ChipAuthenticationInfo,
          keys_found: list[ChipAuthPublicKey]) -> ChipAuthInfo | str:
    """The runnable entry for one ChipAuthenticationInfo, or why it cannot run."""
    version = info["version"].native
    if not isinstance(version, int):
        raise MalformedChipData("ChipAuthenticationInfo has no integer version")
    key_id = _key_id(info["key_id"].native, "ChipAuthenticationInfo")
    if oid.startswith(ID_CA_DH + "."):
        return "dh_key_agreement"
    suite = _ca_suite(oid)
    if suite is None:
        return "unknown_protocol"
    if version != CA_VERSION:
        return "ca_version"
    if key_id is not None:
        matching = [k for k in keys_found if k.key_id == key_id]
    else:
        matching = keys_found if len(keys_found) == 1 else [k for k in keys_found if k.key_id is None]
    if len(matching) != 1:
        return "no_public_key" if not matching else "ambiguous_public_key"
    key = matching[0]
    return ChipAuthInfo(oid, version, key_id if key_id is not None else key.key_id, *suite, key)


def parse_dg14(raw: bytes) -> tuple[ChipAuthInfo, ...]:
    """The Chip Authentications of DG14 the kiosk can run (ECDH only), in file order."""
    return read_dg14(raw).chip_auth


def choose_chip_auth(infos: tuple[ChipAuthInfo, ...] | list[ChipAuthInfo]) -> ChipAuthInfo | None:
    """AES before 3DES, longer keys first, then the chip's own order; None if there is none."""
    best: tuple[tuple[bool, int, int], ChipAuthInfo] | None = None
    for index, info in enumerate(infos):
        rank = (info.cipher == "aes", info.key_bits, -index)
        if best is None or rank > best[0]:
            best = (rank, info)
    return best[1] if best else None


# -- the kiosk's side -------------------------------------------------------------------------
def _key_reference(key_id: int | None) -> bytes:
    if key_id is None:
        return b""
    return tlv.encode(TAG_KEY_REFERENCE, key_id.to_bytes(max(1, (key_id.bit_length() + 7) // 8),
                                                         "big"))


def mse_set_kat(ephemeral: bytes, key_id: int | None) -> CommandApdu:
    """MSE:SET KAT 00 22 41 A6: 91 ephemeral public key, 84 key id if DG14 gives one."""
    return CommandApdu(0x00, INS_MSE, *P1P2_SET_KAT,
                       tlv.encode(TAG_KAT_EPHEMERAL, ephemeral) + _key_reference(key_id))


def mse_set_at(protocol_oid: str, key_id: int | None) -> CommandApdu:
    """MSE:SET AT 00 22 41 A4: 80 protocol OID, 84 key id if DG14 gives one."""
    oid = core.ObjectIdentifier(protocol_oid).contents
    return CommandApdu(0x00, INS_MSE, *P1P2_SET_AT,
                       tlv.encode(TAG_MECHANISM, oid) + _key_reference(key_id))


def general_authenticate(ephemeral: bytes) -> CommandApdu:
    """GENERAL AUTHENTICATE 00 86 00 00: 7C { 80 ephemeral public key }."""
    return CommandApdu(0x00, INS_GENERAL_AUTHENTICATE, 0x00, 0x00,
                       tlv.encode(TAG_DYNAMIC_AUTH, tlv.encode(TAG_GA_EPHEMERAL, ephemeral)),
                       le=256)


def _refused(response: ResponseApdu, command: str) -> None:
    """A chip that will not run the CA its signed DG14 announces cannot prove it is genuine."""
    if not response.ok:
        log.info("chip authentication: %s answered %04X", command, response.sw)
        raise ActiveAuthenticationFailed(REASON)


def confirm_command() -> CommandApdu:
    """SELECT EF.COM without FCI: cheap, and harmless after every file is read."""
    return CommandApdu(0x00, 0xA4, 0x02, 0x0C, b"\x01\x1e")


def _confirm(channel: CardChannel, sm: SecureMessaging, trace: ApduTrace | None) -> None:
    """One command under the new keys; only a chip with the private key protects its answer."""
    raw = exchange(channel, sm.wrap(confirm_command()).encode(), trace)
    response = ResponseApdu.parse(raw)
    if not response.data:  # a bare status word is no proof, whatever it says
        log.info("chip authentication: unprotected %04X under the new keys", response.sw)
        raise ActiveAuthenticationFailed(REASON)
    try:
        sm.unwrap(response)
    except SecureMessagingError as exc:
        log.info("chip authentication: answer under the new keys rejected (%s)", exc)
        raise ActiveAuthenticationFailed(REASON) from None


def perform_chip_auth(sender: ApduSender, channel: CardChannel, info: ChipAuthInfo, *,
                      rng: Rng = os.urandom, trace: ApduTrace | None = None) -> SecureMessaging:
    """Run Chip Authentication and return the new secure messaging (SSC after the check).

    ``sender`` is the secure channel BAC or PACE opened, ``channel`` the raw channel the
    check command under the new keys travels over. Raises ``ActiveAuthenticationFailed``
    when the chip is not the one DG14 describes.
    """
    if info.version != CA_VERSION or _ca_suite(info.protocol_oid) != (info.cipher, info.key_bits):
        raise ValueError("not a chip authentication the kiosk runs")
    curve = info.public_key.curve
    private = random_private_key(curve, rng)
    ephemeral = public_point(curve, private)
    try:
        secret = shared_secret(curve, private, info.public_key.point)
    except InvalidPoint:
        raise MalformedChipData("DG14 chip authentication key is not a point of its curve") \
            from None
    if info.uses_kat:
        _refused(sender.send(mse_set_kat(ephemeral, info.key_id)), "MSE:SET KAT")
    else:
        _refused(sender.send(mse_set_at(info.protocol_oid, info.key_id)), "MSE:SET AT")
        response = sender.send(general_authenticate(ephemeral))
        _refused(response, "GENERAL AUTHENTICATE")
        if response.data:
            template = tlv.parse_one(response.data, expect=TAG_DYNAMIC_AUTH)
            if not template.constructed:
                raise MalformedChipData("GENERAL AUTHENTICATE answer is not a 7C template")
    ks_enc, ks_mac = session_keys(secret, info.cipher, info.key_bits)
    sm = SecureMessaging(ks_enc, ks_mac, 0, info.cipher)
    _confirm(channel, sm, trace)
    log.info("chip authentication passed (%s, %s)", info.cipher, curve)
    return sm
