"""The virtual chip's Chip Authentication key: DG14 for the issuer, ``respond`` for the chip.

``ChipAuthKey.generate()`` makes a static ECDH key (brainpoolP256r1, AES-128 by default).
The issuer writes ``dg14()`` (ChipAuthenticationInfo + ChipAuthenticationPublicKeyInfo in
``6E { SET OF SecurityInfo }``); the chip hands the CA commands that arrive under secure
messaging to ``respond``, which answers them and, once it knows the terminal's ephemeral
key, returns the shared secret the chip's new session keys come from::

    MSE:SET KAT  00 22 41 A6  91 <PK>  [84 key id]    -> 9000, secret      (3DES only)
    MSE:SET AT   00 22 41 A4  80 <OID> [84 key id]    -> 9000
    GENERAL AUTHENTICATE 00 86 00 00  7C { 80 <PK> }  -> 7C 00 9000, secret

A cloned chip (``clone=True``) publishes the genuine key in DG14 but computes with
another private key, so its session keys differ from the terminal's and the first
command under them fails.

Status words: 6A80 bad data (wrong OID, undecodable template, a point not on the curve),
6A86 wrong P1/P2, 6A88 unknown key id, 6985 out of order (GENERAL AUTHENTICATE without
MSE:SET AT, or SET KAT with an AES key), 6D00 any other instruction.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from asn1crypto import core, keys

from drivers.reader.icao import tlv
from drivers.reader.icao.apdu import CommandApdu, ResponseApdu
from drivers.reader.icao.chip_auth import (
    CA_VERSION,
    CURVES,
    ID_EC_PUBLIC_KEY,
    ID_PK_ECDH,
    INS_GENERAL_AUTHENTICATE,
    INS_MSE,
    P1P2_SET_AT,
    P1P2_SET_KAT,
    TAG_DG14,
    TAG_DYNAMIC_AUTH,
    TAG_GA_EPHEMERAL,
    TAG_KAT_EPHEMERAL,
    TAG_KEY_REFERENCE,
    TAG_MECHANISM,
    ASN1ChipAuthenticationInfo,
    ASN1ChipAuthenticationPublicKeyInfo,
    ASN1SecurityInfos,
    InvalidPoint,
    Rng,
    chip_auth_oid,
    field_bytes,
    public_point,
    random_private_key,
    session_keys,
    shared_secret,
)
from drivers.reader.icao.crypto import Cipher
from drivers.reader.icao.errors import MalformedChipData
from drivers.reader.icao.sm import ChipSecureMessaging

SW_OK = 0x9000
SW_WRONG_DATA = 0x6A80
SW_WRONG_P1P2 = 0x6A86
SW_NO_REFERENCE = 0x6A88
SW_SEQUENCE = 0x6985
SW_INS = 0x6D00


class _Refusal(Exception):
    def __init__(self, sw: int) -> None:
        super().__init__(f"{sw:04X}")
        self.sw = sw


def _named_parameters(curve: str) -> keys.ECDomainParameters:
    return keys.ECDomainParameters(name="named", value=curve.lower())


def _explicit_parameters(curve: str) -> keys.ECDomainParameters:
    """The curve spelt out (prime field, a, b, G, n, h), as many issuers write DG14."""
    spec = CURVES[curve].ecdsa_curve
    size = field_bytes(curve)
    c = spec.curve
    domain = keys.SpecifiedECDomain({
        "version": "ecdpVer1",
        "field_id": {"field_type": "prime_field", "parameters": core.Integer(c.p())},
        "curve": {"a": (c.a() % c.p()).to_bytes(size, "big"), "b": c.b().to_bytes(size, "big")},
        "base": spec.generator.to_bytes("uncompressed"),
        "order": spec.order,
        "cofactor": 1,
    })
    return keys.ECDomainParameters(name="specified", value=domain)


@dataclass
class ChipAuthKey:
    """A static ECDH key as a chip keeps it, and the CA state of the current session.

    ``private`` is what the chip computes with; ``published`` the point DG14 shows (the
    same key's, unless the chip is a clone).
    """

    curve: str
    private: int = field(repr=False)
    published: bytes
    cipher: Cipher = "aes"
    key_bits: int = 128
    key_id: int | None = None
    explicit_parameters: bool = False
    refusals: int = 0  # commands answered with an error, for tests
    agreements: int = 0  # shared secrets handed to the chip
    _set_at: bool = field(default=False, repr=False)

    @classmethod
    def generate(cls, curve: str = "brainpoolP256r1", cipher: Cipher = "aes", key_bits: int = 128,
                 key_id: int | None = None, *, clone: bool = False,
                 explicit_parameters: bool = False, rng: Rng = os.urandom) -> ChipAuthKey:
        """A fresh key on ``curve``; ``clone`` publishes it but computes with another one."""
        if curve not in CURVES:
            raise ValueError(f"no curve {curve!r}")
        if cipher == "3des":
            key_bits = 112
        chip_auth_oid(cipher, key_bits)  # ValueError for a suite CA does not have
        genuine = random_private_key(curve, rng)
        private = random_private_key(curve, rng) if clone else genuine
        return cls(curve, private, public_point(curve, genuine), cipher, key_bits, key_id,
                   explicit_parameters)

    @property
    def protocol_oid(self) -> str:
        return chip_auth_oid(self.cipher, self.key_bits)

    @property
    def in_progress(self) -> bool:
        """An MSE:SET AT was accepted and its GENERAL AUTHENTICATE is awaited."""
        return self._set_at

    def reset(self) -> None:
        """Forget a half-done run (the chip left the field or dropped its session)."""
        self._set_at = False

    # -- DG14 -----------------------------------------------------------------------------
    def public_key_info(self) -> bytes:
        """ChipAuthenticationPublicKeyInfo: id-PK-ECDH, SubjectPublicKeyInfo, keyId."""
        params = (_explicit_parameters(self.curve) if self.explicit_parameters
                  else _named_parameters(self.curve))
        fields: dict[str, object] = {
            "protocol": ID_PK_ECDH,
            "public_key": {"algorithm": {"algorithm": ID_EC_PUBLIC_KEY, "parameters": params},
                           "public_key": self.published},
        }
        if self.key_id is not None:
            fields["key_id"] = self.key_id
        return ASN1ChipAuthenticationPublicKeyInfo(fields).dump(force=True)

    def chip_auth_info(self) -> bytes:
        """ChipAuthenticationInfo: the protocol (cipher), version 1, keyId."""
        fields: dict[str, object] = {"protocol": self.protocol_oid, "version": CA_VERSION}
        if self.key_id is not None:
            fields["key_id"] = self.key_id
        return ASN1ChipAuthenticationInfo(fields).dump(force=True)

    def dg14_security_infos(self, *, with_chip_auth_info: bool = True,
                            extra: tuple[bytes, ...] = ()) -> bytes:
        """The DER SET OF SecurityInfo. Without the ChipAuthenticationInfo (a first-generation
        document) a reader must assume 3DES; ``extra`` are further DER SecurityInfos."""
        items = ([self.chip_auth_info()] if with_chip_auth_info else []) + [self.public_key_info()]
        items += [bytes(raw) for raw in extra]
        return ASN1SecurityInfos([core.Sequence.load(raw) for raw in items]).dump(force=True)

    def dg14(self, **kwargs) -> bytes:
        """DG14: 6E { SecurityInfos }."""
        return tlv.encode(TAG_DG14, self.dg14_security_infos(**kwargs))

    # -- the chip's side ------------------------------------------------------------------
    def chip_session(self, secret: bytes) -> ChipSecureMessaging:
        """The chip's secure messaging after CA: keys from the secret, SSC 0."""
        ks_enc, ks_mac = session_keys(secret, self.cipher, self.key_bits)
        return ChipSecureMessaging(ks_enc, ks_mac, 0, self.cipher)

    def respond(self, command: CommandApdu) -> tuple[ResponseApdu, bytes | None]:
        """Answer one (unwrapped) CA command; the secret comes with the command that ends CA.

        Never raises for anything a terminal can send.
        """
        try:
            if command.ins == INS_MSE:
                return self._mse(command)
            if command.ins == INS_GENERAL_AUTHENTICATE:
                return self._general_authenticate(command)
            raise _Refusal(SW_INS)
        except _Refusal as refusal:
            return self._refuse(refusal.sw)
        except (MalformedChipData, InvalidPoint):
            return self._refuse(SW_WRONG_DATA)

    def _refuse(self, sw: int) -> tuple[ResponseApdu, None]:
        self._set_at = False
        self.refusals += 1
        return ResponseApdu(b"", sw), None

    def _fields(self, data: bytes, required: int) -> dict[int, bytes]:
        """The data objects of an MSE command: ``required`` and an optional key reference."""
        found: dict[int, bytes] = {}
        for item in tlv.parse_all(data):
            if item.tag not in (required, TAG_KEY_REFERENCE) or item.tag in found:
                raise _Refusal(SW_WRONG_DATA)
            found[item.tag] = item.value
        if required not in found:
            raise _Refusal(SW_WRONG_DATA)
        reference = found.get(TAG_KEY_REFERENCE)
        if reference is not None and (self.key_id is None or not reference
                                      or int.from_bytes(reference, "big") != self.key_id):
            raise _Refusal(SW_NO_REFERENCE)
        return found

    def _mse(self, command: CommandApdu) -> tuple[ResponseApdu, bytes | None]:
        self._set_at = False
        p1p2 = (command.p1, command.p2)
        if p1p2 == P1P2_SET_KAT:
            if self.cipher != "3des":
                raise _Refusal(SW_SEQUENCE)  # ICAO allows SET KAT for 3DES sessions only
            terminal = self._fields(command.data, TAG_KAT_EPHEMERAL)[TAG_KAT_EPHEMERAL]
            return ResponseApdu(b"", SW_OK), self._agree(terminal)
        if p1p2 == P1P2_SET_AT:
            oid = self._fields(command.data, TAG_MECHANISM)[TAG_MECHANISM]
            if oid != core.ObjectIdentifier(self.protocol_oid).contents:
                raise _Refusal(SW_WRONG_DATA)
            self._set_at = True
            return ResponseApdu(b"", SW_OK), None
        raise _Refusal(SW_WRONG_P1P2)

    def _general_authenticate(self, command: CommandApdu) -> tuple[ResponseApdu, bytes | None]:
        if not self._set_at:
            raise _Refusal(SW_SEQUENCE)
        self._set_at = False
        if (command.p1, command.p2) != (0x00, 0x00):
            raise _Refusal(SW_WRONG_P1P2)
        if command.cla & 0x10:
            raise _Refusal(SW_SEQUENCE)  # CA is one step: no command chaining
        template = tlv.parse_one(command.data, expect=TAG_DYNAMIC_AUTH, allow_trailing=False)
        if not template.constructed:
            raise _Refusal(SW_WRONG_DATA)
        children = template.children()
        if len(children) != 1 or children[0].tag != TAG_GA_EPHEMERAL:
            raise _Refusal(SW_WRONG_DATA)
        secret = self._agree(children[0].value)
        return ResponseApdu(tlv.encode(TAG_DYNAMIC_AUTH, b""), SW_OK), secret

    def _agree(self, terminal_point: bytes) -> bytes:
        secret = shared_secret(self.curve, self.private, terminal_point)
        self.agreements += 1
        return secret
