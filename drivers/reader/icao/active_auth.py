"""Active Authentication (ICAO 9303-11 6.1): the chip proves it holds DG15's private key.

The kiosk sends INTERNAL AUTHENTICATE (00 88 00 00) with an 8-byte random challenge and
checks the answer against the public key of DG15 (``6F { SubjectPublicKeyInfo }``):

* RSA: ISO/IEC 9796-2 digital signature scheme 1 with message recovery. The recovered
  representative is ``header || M1 || H(M1 || challenge) || trailer``; the trailer is
  BC (SHA-1) or xxCC with the ISO/IEC 10118-3 hash identifier xx: 33 SHA-1, 38 SHA-224,
  34 SHA-256, 36 SHA-384, 35 SHA-512.
* ECDSA: the plain r || s signature (BSI TR-03111) over the challenge, SHA-256 unless
  DG14's ActiveAuthenticationInfo names another hash (pass its OID as
  ``signature_algorithm``). A DER ECDSA-Sig-Value is accepted too.

A signature that does not verify, or a chip that refuses the command, is a clone:
``ActiveAuthenticationFailed("active_auth_failed")``. A DG15 the kiosk cannot parse is
``MalformedChipData``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable
from dataclasses import dataclass

from asn1crypto import core, keys
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.hazmat.primitives.serialization import load_der_public_key
from ecdsa import curves as ec_curves

from drivers.reader.icao import tlv
from drivers.reader.icao.apdu import ApduSender, CommandApdu
from drivers.reader.icao.errors import ActiveAuthenticationFailed, MalformedChipData

Rng = Callable[[int], bytes]

CHALLENGE_LENGTH = 8
REASON = "active_auth_failed"

# ISO/IEC 9796-2 trailers: BC = implicit SHA-1, else (hash id << 8) | CC.
ISO9796_TRAILERS: dict[int, str] = {
    0x33CC: "sha1",
    0x38CC: "sha224",
    0x34CC: "sha256",
    0x36CC: "sha384",
    0x35CC: "sha512",
}
ISO9796_TRAILER_FOR = {name: trailer for trailer, name in ISO9796_TRAILERS.items()}

# Signature algorithm OIDs an ActiveAuthenticationInfo may name (TR-03111 plain ECDSA, X9.62).
_ECDSA_PLAIN = "0.4.0.127.0.7.1.1.4.1"
SIGNATURE_HASHES: dict[str, str] = {
    f"{_ECDSA_PLAIN}.1": "sha1",
    f"{_ECDSA_PLAIN}.2": "sha224",
    f"{_ECDSA_PLAIN}.3": "sha256",
    f"{_ECDSA_PLAIN}.4": "sha384",
    f"{_ECDSA_PLAIN}.5": "sha512",
    "1.2.840.10045.4.1": "sha1",
    "1.2.840.10045.4.3.1": "sha224",
    "1.2.840.10045.4.3.2": "sha256",
    "1.2.840.10045.4.3.3": "sha384",
    "1.2.840.10045.4.3.4": "sha512",
}
_CRYPTOGRAPHY_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256,
    "sha384": hashes.SHA384, "sha512": hashes.SHA512}

# Curves cryptography can verify on, with their ecdsa-package twins for matching explicit
# domain parameters (some documents spell the curve out instead of naming it).
_EXPLICIT_CURVES = (
    (ec_curves.NIST192p, ec.SECP192R1),
    (ec_curves.NIST224p, ec.SECP224R1),
    (ec_curves.NIST256p, ec.SECP256R1),
    (ec_curves.NIST384p, ec.SECP384R1),
    (ec_curves.NIST521p, ec.SECP521R1),
    (ec_curves.BRAINPOOLP256r1, ec.BrainpoolP256R1),
    (ec_curves.BRAINPOOLP384r1, ec.BrainpoolP384R1),
    (ec_curves.BRAINPOOLP512r1, ec.BrainpoolP512R1),
)


@dataclass(frozen=True)
class ActiveAuthPublicKey:
    """DG15's key: RSA (modulus, exponent) or an EC key cryptography can verify with."""

    kind: str  # "rsa" or "ec"
    rsa_modulus: int = 0
    rsa_exponent: int = 0
    ec_key: ec.EllipticCurvePublicKey | None = None

    @property
    def bits(self) -> int:
        if self.kind == "rsa":
            return self.rsa_modulus.bit_length()
        assert self.ec_key is not None
        return self.ec_key.curve.key_size


_ASN1_ERRORS = (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError,
                UnicodeDecodeError)


def parse_dg15(dg15: bytes) -> ActiveAuthPublicKey:
    """The public key inside DG15; ``MalformedChipData`` for anything else."""
    spki = tlv.parse_one(dg15, expect=0x6F).value
    try:
        info = keys.PublicKeyInfo.load(spki, strict=True)
        algorithm = info["algorithm"]["algorithm"].native
        if algorithm == "rsa":
            numbers = info["public_key"].parsed
            n, e = numbers["modulus"].native, numbers["public_exponent"].native
            if not (isinstance(n, int) and isinstance(e, int)) or n < 2 ** 511 or e < 3 \
                    or n % 2 == 0 or e % 2 == 0:
                raise MalformedChipData("DG15 holds an unusable RSA key")
            return ActiveAuthPublicKey("rsa", rsa_modulus=n, rsa_exponent=e)
        if algorithm == "ec":
            return ActiveAuthPublicKey("ec", ec_key=_ec_key(info, spki))
    except MalformedChipData:
        raise
    except _ASN1_ERRORS as exc:
        raise MalformedChipData(f"DG15 is not a SubjectPublicKeyInfo ({type(exc).__name__})") \
            from None
    raise MalformedChipData(f"DG15 key algorithm {algorithm} not supported")


def _ec_key(info: keys.PublicKeyInfo, spki: bytes) -> ec.EllipticCurvePublicKey:
    params = info["algorithm"]["parameters"]
    if params.name == "named":
        try:
            key = load_der_public_key(spki)
        except (ValueError, UnsupportedAlgorithm):
            raise MalformedChipData("DG15 EC key on an unknown or invalid curve") from None
        if not isinstance(key, ec.EllipticCurvePublicKey):
            raise MalformedChipData("DG15 EC key did not load as one")
        return key
    if params.name != "specified":
        raise MalformedChipData("DG15 EC key without domain parameters")
    spec = params.chosen
    field = spec["field_id"]
    if field["field_type"].native != "prime_field":
        raise MalformedChipData("DG15 EC key over a binary field")
    p = field["parameters"].native
    a = int.from_bytes(spec["curve"]["a"].native, "big")
    b = int.from_bytes(spec["curve"]["b"].native, "big")
    order = spec["order"].native
    base = bytes(spec["base"].native)
    for theirs, cryptography_curve in _EXPLICIT_CURVES:
        c = theirs.curve
        if (c.p(), c.a() % c.p(), c.b(), theirs.order) == (p, a % p, b, order) \
                and base == theirs.generator.to_bytes("uncompressed"):
            point = bytes(info["public_key"].native)
            try:
                return ec.EllipticCurvePublicKey.from_encoded_point(cryptography_curve(), point)
            except ValueError:
                raise MalformedChipData("DG15 EC point not on its curve") from None
    raise MalformedChipData("DG15 EC key on curve parameters the kiosk does not know")


# -- verification -----------------------------------------------------------------------------
def verify_iso9796_2(modulus: int, exponent: int, challenge: bytes, signature: bytes) -> bool:
    """ISO/IEC 9796-2 scheme 1 verification of ``signature`` over M2 = ``challenge``."""
    k = (modulus.bit_length() + 7) // 8
    s = int.from_bytes(signature, "big")
    if not signature or len(signature) > k or not 0 < s < modulus:
        return False
    m = pow(s, exponent, modulus)
    if m & 0x0F != 0x0C:
        m = modulus - m  # the signer may send min(s, n - s)
    if m & 0x0F != 0x0C:
        return False
    f = m.to_bytes(k, "big")
    if f[-1] == 0xBC:
        hash_name, trailer_len = "sha1", 1
    else:
        named = ISO9796_TRAILERS.get(int.from_bytes(f[-2:], "big"))
        if named is None:
            return False
        hash_name, trailer_len = named, 2
    digest_len = hashlib.new(hash_name).digest_size
    if f[0] & 0xC0 != 0x40:
        return False
    partial = bool(f[0] & 0x20)
    # Padding: nibbles B up to a closing A; the recovered message starts after it.
    start = None
    if f[0] & 0x0F == 0x0A:
        start = 1
    elif f[0] & 0x0F == 0x0B:
        for i in range(1, k):
            if f[i] == 0xBA:
                start = i + 1
                break
            if f[i] != 0xBB:
                return False
    end = k - trailer_len - digest_len
    if start is None or end < start:
        return False
    recovered, digest = f[start:end], f[end:k - trailer_len]
    if partial:
        expected = hashlib.new(hash_name, recovered + challenge).digest()
    else:
        if not hmac.compare_digest(recovered, challenge):
            return False
        expected = hashlib.new(hash_name, recovered).digest()
    return hmac.compare_digest(digest, expected)


def verify_ecdsa(key: ec.EllipticCurvePublicKey, challenge: bytes, signature: bytes,
                 hash_name: str = "sha256") -> bool:
    """Plain r || s (or DER) ECDSA over the challenge."""
    size = (key.curve.key_size + 7) // 8
    if len(signature) == 2 * size:
        r = int.from_bytes(signature[:size], "big")
        s = int.from_bytes(signature[size:], "big")
        der = encode_dss_signature(r, s)
    else:
        try:
            r, s = decode_dss_signature(signature)
        except ValueError:
            return False
        der = signature
    if r <= 0 or s <= 0:
        return False
    try:
        key.verify(der, challenge, ec.ECDSA(_CRYPTOGRAPHY_HASHES[hash_name]()))
    except InvalidSignature:
        return False
    return True


def perform_active_auth(sender: ApduSender, dg15: bytes, *, rng: Rng = os.urandom,
                        signature_algorithm: str | None = None) -> None:
    """Challenge the chip and verify its answer; raise unless it holds DG15's private key.

    ``signature_algorithm`` is the OID of DG14's ActiveAuthenticationInfo, for EC keys.
    """
    key = parse_dg15(dg15)
    hash_name = "sha256"
    if signature_algorithm is not None:
        hash_name = SIGNATURE_HASHES.get(signature_algorithm, "")
        if not hash_name:
            raise MalformedChipData("ActiveAuthenticationInfo names an unknown algorithm")
    challenge = bytes(rng(CHALLENGE_LENGTH))
    response = sender.send(CommandApdu(0x00, 0x88, 0x00, 0x00, challenge, le=256))
    if not response.ok or not response.data:
        raise ActiveAuthenticationFailed(REASON)
    if key.kind == "rsa":
        good = verify_iso9796_2(key.rsa_modulus, key.rsa_exponent, challenge, response.data)
    else:
        assert key.ec_key is not None
        good = verify_ecdsa(key.ec_key, challenge, response.data, hash_name)
    if not good:
        raise ActiveAuthenticationFailed(REASON)


def signature_algorithm_of(active_auth_info: bytes) -> str:
    """The signatureAlgorithm OID of a DER ActiveAuthenticationInfo (DG14 entry 2.23.136.1.1.5)."""
    try:
        info = _ActiveAuthenticationInfo.load(active_auth_info, strict=True)
        return info["signature_algorithm"].dotted
    except _ASN1_ERRORS:
        raise MalformedChipData("ActiveAuthenticationInfo is malformed") from None


class _ActiveAuthenticationInfo(core.Sequence):
    _fields = [
        ("protocol", core.ObjectIdentifier),
        ("version", core.Integer),
        ("signature_algorithm", core.ObjectIdentifier),
    ]
