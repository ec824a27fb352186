"""PACE with elliptic-curve generic mapping, the kiosk's side (ICAO 9303-11 4.4, BSI TR-03110).

The exchange::

    MSE:SET AT          00 22 C1 A4  80 <protocol OID> 83 <password ref> 84 <parameter id>
    GENERAL AUTHENTICATE 10 86 00 00  7C{}               -> 7C{80 z}    z = E(K_pi, s)
    GENERAL AUTHENTICATE 10 86 00 00  7C{81 PK_map,PCD}  -> 7C{82 PK_map,PICC}
                                      G' = s*G + SK_map,PCD * PK_map,PICC
    GENERAL AUTHENTICATE 10 86 00 00  7C{83 PK_PCD}      -> 7C{84 PK_PICC}   (keys on G')
                                      K = x(SK_PCD * PK_PICC); KSenc = KDF(K,1), KSmac = KDF(K,2)
    GENERAL AUTHENTICATE 00 86 00 00  7C{85 T_PCD}       -> 7C{86 T_PICC}
                                      T = MAC(KSmac, 7F49{06 OID, 86 other side's PK})

The point arithmetic (the mapped generator is no standard curve's) is the ``ecdsa``
package's; hashing, ciphers and MACs are ``drivers.reader.icao.crypto``'s.

Error mapping:
* the chip answers 6300 / 63Cx to a GENERAL AUTHENTICATE, or its token does not
  verify → ``AccessKeyRejected`` (the MRZ or CAN is wrong);
* parameters the kiosk cannot run, or MSE:SET AT refused as unknown → ``AccessControlUnsupported``;
* a point from the chip that is not on the curve, is the identity, maps the generator
  to the identity or repeats the kiosk's own key, or a nonce of the wrong size →
  ``SecureMessagingError``: no password produces these, so it is a broken or hostile
  chip, not a typing mistake, and no session can be opened;
* a response that is not the 7C template → ``MalformedChipData``; any other status
  word → ``StatusWordError``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from asn1crypto import core
from ecdsa import curves as ec_curves
from ecdsa.ellipticcurve import INFINITY, PointJacobi

from drivers.reader.base import CanKey, MrzKey
from drivers.reader.icao import crypto, tlv
from drivers.reader.icao.apdu import CommandApdu, PlainSender, ResponseApdu
from drivers.reader.icao.card_access import (
    EC_PARAMETER_BITS,
    ID_PACE,
    Cipher,
    parse_card_access,
)
from drivers.reader.icao.errors import (
    AccessControlUnsupported,
    AccessKeyRejected,
    MalformedChipData,
    SecureMessagingError,
    StatusWordError,
)
from drivers.reader.icao.mrz import mrz_key_seed_text
from drivers.reader.icao.sm import SecureMessaging

if TYPE_CHECKING:
    from drivers.reader.icao.apdu import CardChannel

Rng = Callable[[int], bytes]

PASSWORD_MRZ = 1
PASSWORD_CAN = 2

# Standardized domain parameter ID -> the curve (ICAO 9303-11 Table 12). All have cofactor 1,
# so any point on the curve other than the identity generates the whole group.
_CURVES = {
    8: ec_curves.NIST192p,
    9: ec_curves.BRAINPOOLP192r1,
    10: ec_curves.NIST224p,
    11: ec_curves.BRAINPOOLP224r1,
    12: ec_curves.NIST256p,
    13: ec_curves.BRAINPOOLP256r1,
    14: ec_curves.BRAINPOOLP320r1,
    15: ec_curves.NIST384p,
    16: ec_curves.BRAINPOOLP384r1,
    17: ec_curves.BRAINPOOLP512r1,
    18: ec_curves.NIST521p,
}

_CIPHER_ARC = {("3des", 112): 1, ("aes", 128): 2, ("aes", 192): 3, ("aes", 256): 4}
_BLOCK = {"3des": 8, "aes": 16}

TAG_DYNAMIC_AUTH = 0x7C
TAG_PUBLIC_KEY = 0x7F49


@dataclass(frozen=True)
class PaceParameters:
    """What one PACE run uses: protocol OID, curve (parameter id) and session cipher."""

    protocol_oid: str
    parameter_id: int
    cipher: Cipher
    key_bits: int


def pace_protocol_oid(cipher: Cipher, key_bits: int) -> str:
    """id-PACE-ECDH-GM-<cipher> for a session cipher and key size."""
    arc = _CIPHER_ARC.get((cipher, key_bits))
    if arc is None:
        raise AccessControlUnsupported(f"no PACE cipher suite {cipher}-{key_bits}")
    return f"{ID_PACE}.2.{arc}"


def pace_parameters(parameter_id: int, cipher: Cipher = "aes", key_bits: int = 128) -> PaceParameters:
    """PaceParameters for ECDH generic mapping on a standardized curve."""
    if parameter_id not in _CURVES:
        raise AccessControlUnsupported(f"PACE domain parameters {parameter_id} not supported")
    return PaceParameters(pace_protocol_oid(cipher, key_bits), parameter_id, cipher, key_bits)


def choose_pace(card_access: bytes) -> PaceParameters | None:
    """The best PACEInfo of EF.CardAccess the kiosk can run, or None if there is none.

    Only ECDH generic mapping, version 2, on a standardized curve qualifies. Among those,
    AES beats 3DES, a longer key beats a shorter one, a larger curve a smaller one, and
    on a tie the chip's own order wins. Malformed files raise ``MalformedChipData``.
    """
    best: tuple[tuple[int, int, int, int], PaceParameters] | None = None
    for index, info in enumerate(parse_card_access(card_access).pace):
        if not info.supported or info.parameter_id not in _CURVES:
            continue
        params = PaceParameters(info.protocol_oid, info.parameter_id, info.cipher, info.key_bits)
        rank = (info.cipher == "aes", info.key_bits, EC_PARAMETER_BITS[info.parameter_id], -index)
        if best is None or rank > best[0]:
            best = (rank, params)
    return best[1] if best else None


def pace_password(key: MrzKey | CanKey) -> tuple[bytes, int]:
    """The password π as PACE hashes it, with its reference for MSE:SET AT.

    MRZ: SHA-1 of the MRZ information (number, birth date, expiry with check digits), 1.
    CAN: the digits as ISO 8859-1 characters, 2.
    """
    if isinstance(key, MrzKey):
        text = mrz_key_seed_text(key.document_number, key.birth_date, key.expiry_date)
        return hashlib.sha1(text.encode("ascii")).digest(), PASSWORD_MRZ
    if isinstance(key, CanKey):
        can = key.can.strip().replace(" ", "")
        try:
            return can.encode("latin-1"), PASSWORD_CAN
        except UnicodeEncodeError:
            raise AccessKeyRejected("the CAN has characters no chip accepts") from None
    raise TypeError(f"not a PACE access key: {type(key).__name__}")


def password_key(password: bytes, params: PaceParameters) -> bytes:
    """K_pi = KDF(π, 3): the key the chip encrypts its nonce under."""
    return crypto.derive_key(password, 3, params.cipher, params.key_bits)


def session_keys(shared_secret: bytes, params: PaceParameters) -> tuple[bytes, bytes]:
    """(KSenc, KSmac) from the x coordinate of the agreed point."""
    return (crypto.derive_key(shared_secret, 1, params.cipher, params.key_bits),
            crypto.derive_key(shared_secret, 2, params.cipher, params.key_bits))


def public_key_data_object(protocol_oid: str, point: bytes) -> bytes:
    """7F49 {06 OID, 86 uncompressed point}: what the authentication tokens are MACs over."""
    oid = core.ObjectIdentifier(protocol_oid).dump()
    return tlv.encode(TAG_PUBLIC_KEY, oid + tlv.encode(0x86, point))


def authentication_token(params: PaceParameters, ks_mac: bytes, other_public_key: bytes) -> bytes:
    """T = MAC(KSmac, 7F49{OID, PK of the other side}): CMAC-AES or the 3DES retail MAC, 8 bytes.

    3DES MACs are over ISO 9797-1 padding method 2 data (9303-11 9.7.2 / 9.8); AES CMAC
    pads internally.
    """
    data = public_key_data_object(params.protocol_oid, other_public_key)
    if params.cipher == "3des":
        data = crypto.pad(data, 8)
    return crypto.mac(params.cipher, ks_mac, data)


class InvalidPoint(ValueError):
    """A public key that is not a point of the group (or is its identity)."""


class PaceGroup:
    """The curve of a standardized domain parameter ID, with the few operations PACE needs."""

    def __init__(self, parameter_id: int) -> None:
        curve = _CURVES.get(parameter_id)
        if curve is None:
            raise AccessControlUnsupported(f"PACE domain parameters {parameter_id} not supported")
        self.parameter_id = parameter_id
        self.curve = curve.curve
        self.generator: PointJacobi = curve.generator
        self.order: int = curve.order
        self.field_bytes = (self.curve.p().bit_length() + 7) // 8

    def random_scalar(self, rng: Rng) -> int:
        """A private key in [1, n-1]: rejection sampling over the order's bit length."""
        size = (self.order.bit_length() + 7) // 8
        mask = (1 << self.order.bit_length()) - 1
        for _ in range(256):
            candidate = int.from_bytes(rng(size), "big") & mask
            if 0 < candidate < self.order:
                return candidate
        raise RuntimeError("random source gave no usable private key")

    def encode(self, point: PointJacobi) -> bytes:
        """Uncompressed: 04 || X || Y, each the field's length."""
        return point.to_bytes("uncompressed")

    def decode(self, data: bytes) -> PointJacobi:
        """An uncompressed point, checked to lie on the curve; else ``InvalidPoint``."""
        data = bytes(data)
        if len(data) != 1 + 2 * self.field_bytes or data[0] != 0x04:
            raise InvalidPoint("not an uncompressed point of this curve")
        x = int.from_bytes(data[1:1 + self.field_bytes], "big")
        y = int.from_bytes(data[1 + self.field_bytes:], "big")
        p = self.curve.p()
        if not (x < p and y < p and self.curve.contains_point(x, y)):
            raise InvalidPoint("point not on the curve")
        return PointJacobi(self.curve, x, y, 1, self.order)

    def public_key(self, private: int, base: PointJacobi | None = None) -> PointJacobi:
        return (base if base is not None else self.generator) * private

    def map_generator(self, nonce: bytes, private_map: int, other_map: PointJacobi) -> PointJacobi:
        """Generic mapping: G' = s*G + H with H = SK_map * PK_map,other."""
        shared = other_map * private_map
        if shared == INFINITY:
            raise InvalidPoint("mapping point is the identity")
        mapped = self.generator * (int.from_bytes(nonce, "big") % self.order) + shared
        if mapped == INFINITY:
            raise InvalidPoint("mapped generator is the identity")
        return mapped

    def shared_secret(self, private: int, other: PointJacobi) -> bytes:
        """The x coordinate of SK * PK_other, as the field's length of bytes."""
        shared = other * private
        if shared == INFINITY:
            raise InvalidPoint("agreed point is the identity")
        return shared.to_affine().x().to_bytes(self.field_bytes, "big")


def group_for(params: PaceParameters) -> PaceGroup:
    if params.protocol_oid != pace_protocol_oid(params.cipher, params.key_bits):
        raise AccessControlUnsupported("PACE protocol does not match its cipher")
    return PaceGroup(params.parameter_id)


# -- the kiosk's side -------------------------------------------------------------------------
def mse_set_at(params: PaceParameters, password_ref: int) -> CommandApdu:
    oid = core.ObjectIdentifier(params.protocol_oid).contents
    data = (tlv.encode(0x80, oid) + tlv.encode(0x83, bytes([password_ref]))
            + tlv.encode(0x84, bytes([params.parameter_id])))
    return CommandApdu(0x00, 0x22, 0xC1, 0xA4, data)


def general_authenticate(tag: int | None, value: bytes, *, last: bool) -> CommandApdu:
    """10 86 00 00 (00 86 for the last step) with 7C {tag value}; Le 256."""
    inner = tlv.encode(tag, value) if tag is not None else b""
    return CommandApdu(0x00 if last else 0x10, 0x86, 0x00, 0x00,
                       tlv.encode(TAG_DYNAMIC_AUTH, inner), le=256)


def dynamic_auth_data(data: bytes, tag: int) -> bytes:
    """The value of ``tag`` inside a 7C template; anything else is ``MalformedChipData``."""
    outer = tlv.parse_one(data, expect=TAG_DYNAMIC_AUTH)
    if not outer.constructed:
        raise MalformedChipData("7C template is not constructed")
    return outer.require(tag).value


def _check_mse(resp: ResponseApdu) -> None:
    sw = resp.sw
    if sw == 0x9000 or (sw & 0xFFF0 == 0x63C0 and sw & 0x0F):
        return  # 63Cx: a warning with x tries left; go on
    if sw == 0x63C0:
        raise AccessKeyRejected("password blocked (63C0)")
    if sw in (0x6A80, 0x6A81, 0x6A86, 0x6A88, 0x6D00, 0x6E00):
        raise AccessControlUnsupported(f"MSE:SET AT answered {sw:04X}")
    raise StatusWordError(sw, "MSE:SET AT")


def _exchange(sender: PlainSender, tag: int | None, value: bytes, answer_tag: int, *,
              step: int, last: bool = False) -> bytes:
    resp = sender.send(general_authenticate(tag, value, last=last))
    if resp.sw == 0x6300 or resp.sw & 0xFFF0 == 0x63C0:
        raise AccessKeyRejected(f"GENERAL AUTHENTICATE step {step} answered {resp.sw:04X}")
    if resp.sw != 0x9000:
        raise StatusWordError(resp.sw, "GENERAL AUTHENTICATE", f"PACE step {step} answered "
                              f"{resp.sw:04X}")
    return dynamic_auth_data(resp.data, answer_tag)


def _chip_point(group: PaceGroup, data: bytes, what: str) -> PointJacobi:
    try:
        return group.decode(data)
    except InvalidPoint as exc:
        raise SecureMessagingError(f"PACE: chip's {what} rejected: {exc}") from None


def perform_pace(channel: CardChannel, key: MrzKey | CanKey, params: PaceParameters, *,
                 trace=None, rng: Rng = os.urandom) -> SecureMessaging:
    """Run PACE-GM over ``channel``; returns the kiosk's secure messaging (SSC 0).

    ``rng`` gives the ephemeral private keys (mapping key, then agreement key).
    """
    group = group_for(params)
    password, reference = pace_password(key)
    k_pi = password_key(password, params)
    sender = PlainSender(channel, trace=trace)
    _check_mse(sender.send(mse_set_at(params, reference)))

    encrypted = _exchange(sender, None, b"", 0x80, step=1)
    block = _BLOCK[params.cipher]
    if not encrypted or len(encrypted) % block:
        raise SecureMessagingError(f"PACE: encrypted nonce of {len(encrypted)} bytes")
    nonce = crypto.decrypt(params.cipher, k_pi, encrypted)

    map_private = group.random_scalar(rng)
    map_public = group.encode(group.public_key(map_private))
    chip_map = _chip_point(group, _exchange(sender, 0x81, map_public, 0x82, step=2),
                           "mapping key")
    try:
        mapped = group.map_generator(nonce, map_private, chip_map)
    except InvalidPoint as exc:
        raise SecureMessagingError(f"PACE: {exc}") from None

    eph_private = group.random_scalar(rng)
    eph_public = group.encode(group.public_key(eph_private, mapped))
    chip_eph_raw = _exchange(sender, 0x83, eph_public, 0x84, step=3)
    chip_eph = _chip_point(group, chip_eph_raw, "ephemeral key")
    chip_eph_raw = group.encode(chip_eph)
    if chip_eph_raw == eph_public:
        raise SecureMessagingError("PACE: chip echoed the kiosk's ephemeral key")
    try:
        shared = group.shared_secret(eph_private, chip_eph)
    except InvalidPoint as exc:
        raise SecureMessagingError(f"PACE: {exc}") from None
    ks_enc, ks_mac = session_keys(shared, params)

    token = authentication_token(params, ks_mac, chip_eph_raw)
    chip_token = _exchange(sender, 0x85, token, 0x86, step=4, last=True)
    expected = authentication_token(params, ks_mac, eph_public)
    if not hmac.compare_digest(chip_token, expected):
        raise AccessKeyRejected("PACE: the chip's authentication token does not verify")
    return SecureMessaging(ks_enc, ks_mac, 0, params.cipher)
