"""EF.CardAccess: the SecurityInfos a chip shows before any access control (ICAO 9303-11 9.2).

The file is a DER ``SET OF SecurityInfo``; each SecurityInfo is a SEQUENCE that starts
with a protocol OID. The kiosk only cares for PACEInfo::

    PACEInfo ::= SEQUENCE {
        protocol    OBJECT IDENTIFIER,   -- id-PACE-<key agreement>-<mapping>-<cipher>
        version     INTEGER,             -- 2
        parameterId INTEGER OPTIONAL }   -- standardized domain parameters (9303-11 Table 12)

Other SecurityInfos (PACEDomainParameterInfo, ChipAuthenticationInfo, terminal
authentication, proprietary ones) are listed by OID and otherwise skipped. Bytes that
are not this structure raise ``MalformedChipData``; the message names offsets and tags
only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from asn1crypto import core

from drivers.reader.icao.errors import MalformedChipData

Cipher = Literal["3des", "aes"]

ID_PACE = "0.4.0.127.0.7.2.2.4"

# id-PACE-<key agreement>-<mapping>: (key agreement, mapping)
_PACE_FAMILIES: dict[str, tuple[str, str]] = {
    f"{ID_PACE}.1": ("DH", "GM"),
    f"{ID_PACE}.2": ("ECDH", "GM"),
    f"{ID_PACE}.3": ("DH", "IM"),
    f"{ID_PACE}.4": ("ECDH", "IM"),
    f"{ID_PACE}.6": ("ECDH", "CAM"),
}
# The last arc of a PACEInfo OID: (cipher, session key bits)
_PACE_CIPHERS: dict[int, tuple[Cipher, int]] = {
    1: ("3des", 112),
    2: ("aes", 128),
    3: ("aes", 192),
    4: ("aes", 256),
}

# Readable names of the PACE protocol OIDs the kiosk can run.
ID_PACE_ECDH_GM_3DES_CBC_CBC = f"{ID_PACE}.2.1"
ID_PACE_ECDH_GM_AES_CBC_CMAC_128 = f"{ID_PACE}.2.2"
ID_PACE_ECDH_GM_AES_CBC_CMAC_192 = f"{ID_PACE}.2.3"
ID_PACE_ECDH_GM_AES_CBC_CMAC_256 = f"{ID_PACE}.2.4"

# Standardized domain parameters (ICAO 9303-11 Table 12 / BSI TR-03110-3 A.2.1.1).
# 0..2 are the RFC 5114 MODP groups (DH), 3..7 reserved, 8..18 elliptic curves.
DH_PARAMETER_IDS: dict[int, str] = {0: "modp1024_160", 1: "modp2048_224", 2: "modp2048_256"}
EC_PARAMETER_IDS: dict[int, str] = {
    8: "secp192r1",
    9: "brainpoolP192r1",
    10: "secp224r1",
    11: "brainpoolP224r1",
    12: "secp256r1",
    13: "brainpoolP256r1",
    14: "brainpoolP320r1",
    15: "secp384r1",
    16: "brainpoolP384r1",
    17: "brainpoolP512r1",
    18: "secp521r1",
}
# Curve size in bits, to rank otherwise equal offers.
EC_PARAMETER_BITS: dict[int, int] = {8: 192, 9: 192, 10: 224, 11: 224, 12: 256, 13: 256,
                                     14: 320, 15: 384, 16: 384, 17: 512, 18: 521}

PACE_VERSION = 2


# -- ASN.1 ------------------------------------------------------------------------------------
class _SecurityInfo(core.Sequence):
    _fields = [
        ("protocol", core.ObjectIdentifier),
        ("required_data", core.Any),
        ("optional_data", core.Any, {"optional": True}),
    ]


class _SecurityInfos(core.SetOf):
    _child_spec = _SecurityInfo


class _PaceInfo(core.Sequence):
    _fields = [
        ("protocol", core.ObjectIdentifier),
        ("version", core.Integer),
        ("parameter_id", core.Integer, {"optional": True}),
    ]


# -- parsed form ------------------------------------------------------------------------------
@dataclass(frozen=True)
class PaceInfo:
    """One PACEInfo of EF.CardAccess, with what its OID says spelled out."""

    protocol_oid: str
    version: int
    parameter_id: int | None
    key_agreement: str  # "ECDH" or "DH"
    mapping: str  # "GM" (generic), "IM" (integrated) or "CAM" (chip authentication mapping)
    cipher: Cipher
    key_bits: int

    @property
    def unsupported_reason(self) -> str | None:
        """Why the kiosk cannot run this entry, or None if it can."""
        if self.key_agreement != "ECDH":
            return "dh_key_agreement"
        if self.mapping != "GM":
            return f"{self.mapping.lower()}_mapping"
        if self.version != PACE_VERSION:
            return "pace_version"
        if self.parameter_id is None:
            return "proprietary_domain_parameters"
        if self.parameter_id not in EC_PARAMETER_IDS:
            return "unknown_domain_parameters"
        return None

    @property
    def supported(self) -> bool:
        return self.unsupported_reason is None


@dataclass(frozen=True)
class CardAccess:
    """EF.CardAccess as the kiosk reads it."""

    pace: tuple[PaceInfo, ...]
    other_protocols: tuple[str, ...]  # OIDs of every other SecurityInfo, in file order


def _pace_kind(oid: str) -> tuple[str, str, Cipher, int] | None:
    """(key agreement, mapping, cipher, key bits) for a PACEInfo OID, None for any other OID."""
    family, _, last = oid.rpartition(".")
    if family not in _PACE_FAMILIES or not last.isdigit():
        return None
    cipher = _PACE_CIPHERS.get(int(last))
    if cipher is None:
        return None
    return (*_PACE_FAMILIES[family], *cipher)


# asn1crypto parses lazily; any of these escaping from it means the bytes are not DER we know.
_ASN1_ERRORS = (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError,
                UnicodeDecodeError)


def parse_card_access(data: bytes) -> CardAccess:
    """Every PACEInfo of an EF.CardAccess file; malformed bytes raise ``MalformedChipData``.

    Bytes after the SET are ignored: some chips pad the file, as they do the LDS files.
    """
    data = bytes(data)
    if not data or data[0] != 0x31:
        raise MalformedChipData("EF.CardAccess does not start with a SET")
    try:
        infos = _SecurityInfos.load(data)
        pace: list[PaceInfo] = []
        others: list[str] = []
        for index, info in enumerate(infos):
            oid = info["protocol"].dotted
            kind = _pace_kind(oid)
            if kind is None:
                others.append(oid)
                continue
            parsed = _PaceInfo.load(info.dump(), strict=True)
            version = parsed["version"].native
            param = parsed["parameter_id"].native
            if not isinstance(version, int) or (param is not None and not isinstance(param, int)):
                raise MalformedChipData(f"PACEInfo {index} has no integer version")
            pace.append(PaceInfo(oid, version, param, *kind))
    except MalformedChipData:
        raise
    except _ASN1_ERRORS as exc:
        raise MalformedChipData(f"EF.CardAccess is not DER SecurityInfos ({type(exc).__name__})") \
            from None
    return CardAccess(tuple(pace), tuple(others))


def build_card_access(protocol_oid: str, parameter_id: int | None, *,
                      version: int = PACE_VERSION, extra: tuple[bytes, ...] = ()) -> bytes:
    """An EF.CardAccess with one PACEInfo (for the virtual chip and tests).

    ``extra`` are further DER-encoded SecurityInfos to put beside it.
    """
    fields: dict[str, object] = {"protocol": protocol_oid, "version": version}
    if parameter_id is not None:
        fields["parameter_id"] = parameter_id
    pace_info = _PaceInfo(fields)
    infos = _SecurityInfos([_SecurityInfo.load(pace_info.dump())]
                           + [_SecurityInfo.load(bytes(raw)) for raw in extra])
    return infos.dump(force=True)
