"""The virtual chip's Active Authentication key: DG15 for the issuer, ``sign`` for the chip.

``ActiveAuthKey.generate("ec")`` (P-256, plain r || s ECDSA with SHA-256) or
``generate("rsa")`` (ISO/IEC 9796-2 scheme 1, partial recovery, SHA-1 by default).
A cloned document is a chip whose key is not the one in its DG15::

    genuine = ActiveAuthKey.generate("ec")
    files[0x010F] = genuine.dg15()
    profile.active_auth = ActiveAuthKey.generate("ec").sign   # a clone
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from drivers.reader.icao import tlv
from drivers.reader.icao.active_auth import ISO9796_TRAILER_FOR

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256,
    "sha384": hashes.SHA384, "sha512": hashes.SHA512}
_CURVES: dict[str, type[ec.EllipticCurve]] = {
    "secp256r1": ec.SECP256R1, "secp384r1": ec.SECP384R1, "secp521r1": ec.SECP521R1,
    "brainpoolP256r1": ec.BrainpoolP256R1, "brainpoolP384r1": ec.BrainpoolP384R1,
    "brainpoolP512r1": ec.BrainpoolP512R1}


@dataclass
class ActiveAuthKey:
    """A private key as a chip keeps it; ``hash_name`` is the signature's hash."""

    private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey = field(repr=False)
    hash_name: str = "sha256"
    rng: Callable[[int], bytes] = field(default=os.urandom, repr=False)

    @classmethod
    def generate(cls, kind: str = "ec", *, bits: int = 1024, curve: str = "secp256r1",
                 hash_name: str | None = None) -> ActiveAuthKey:
        """A fresh key: ``kind`` "ec" (``curve``) or "rsa" (``bits``, 1024 as most passports)."""
        if kind == "ec":
            return cls(ec.generate_private_key(_CURVES[curve]()), hash_name or "sha256")
        if kind == "rsa":
            return cls(rsa.generate_private_key(public_exponent=65537, key_size=bits),
                       hash_name or "sha1")
        raise ValueError(f"no active authentication key of kind {kind!r}")

    @property
    def kind(self) -> str:
        return "rsa" if isinstance(self.private, rsa.RSAPrivateKey) else "ec"

    def dg15(self) -> bytes:
        """DG15: 6F { SubjectPublicKeyInfo }."""
        spki = self.private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        return tlv.encode(0x6F, spki)

    def sign(self, challenge: bytes) -> bytes:
        """The chip's answer to INTERNAL AUTHENTICATE."""
        if isinstance(self.private, rsa.RSAPrivateKey):
            return self._sign_iso9796_2(bytes(challenge))
        der = self.private.sign(bytes(challenge), ec.ECDSA(_HASHES[self.hash_name]()))
        r, s = decode_dss_signature(der)
        size = (self.private.curve.key_size + 7) // 8
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")

    def _sign_iso9796_2(self, challenge: bytes) -> bytes:
        """Scheme 1, partial recovery: 6A || M1 || H(M1 || challenge) || trailer, to the d."""
        assert isinstance(self.private, rsa.RSAPrivateKey)
        numbers = self.private.private_numbers()
        n, d = numbers.public_numbers.n, numbers.d
        k = (n.bit_length() + 7) // 8
        if self.hash_name == "sha1":
            trailer = b"\xBC"
        else:
            trailer = ISO9796_TRAILER_FOR[self.hash_name].to_bytes(2, "big")
        digest_len = hashlib.new(self.hash_name).digest_size
        m1 = self.rng(k - 1 - digest_len - len(trailer))
        digest = hashlib.new(self.hash_name, m1 + challenge).digest()
        representative = int.from_bytes(b"\x6A" + m1 + digest + trailer, "big")
        return pow(representative, d, n).to_bytes(k, "big")
