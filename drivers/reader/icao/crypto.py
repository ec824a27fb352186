"""The symmetric cryptography of ICAO 9303-11: key derivation, padding, CBC and the two MACs.

Only the ``cryptography`` package is used. 3DES keys are two-key (16 bytes, K1 K2 K1);
an 8-byte key means single DES (TripleDES with K||K||K), as the retail MAC needs.
"""

from __future__ import annotations

import hashlib
from typing import Literal

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives import cmac
from cryptography.hazmat.primitives.ciphers import Cipher as _Cipher
from cryptography.hazmat.primitives.ciphers import algorithms, modes

from drivers.reader.icao.errors import SecureMessagingError

Cipher = Literal["3des", "aes"]

ENC, MAC, PACE = 1, 2, 3  # KDF counters of ICAO 9303-11 9.7.1
MAC_LENGTH = 8


def block_size(cipher: Cipher) -> int:
    """8 for 3DES, 16 for AES: padding, SSC and IV sizes follow it."""
    return 8 if cipher == "3des" else 16


def adjust_parity(key: bytes) -> bytes:
    """Set each byte's low bit for odd parity, as DES keys require and ICAO examples show."""
    out = bytearray()
    for b in key:
        high = b & 0xFE
        out.append(high | (bin(high).count("1") + 1) % 2)
    return bytes(out)


def derive_key(seed: bytes, counter: int, cipher: Cipher, key_bits: int = 128) -> bytes:
    """ICAO 9303-11 KDF: hash of seed || 32-bit counter, cut to the key size the cipher needs."""
    d = seed + counter.to_bytes(4, "big")
    if cipher == "3des":
        return adjust_parity(hashlib.sha1(d).digest()[:16])
    if key_bits == 128:
        return hashlib.sha1(d).digest()[:16]
    if key_bits in (192, 256):
        return hashlib.sha256(d).digest()[:key_bits // 8]
    raise ValueError(f"no AES-{key_bits}")


def pad(data: bytes, block: int) -> bytes:
    """ISO/IEC 9797-1 padding method 2: 0x80 then zeros to a whole block."""
    padded = data + b"\x80"
    return padded + b"\x00" * (-len(padded) % block)


def unpad(data: bytes) -> bytes:
    """Undo padding method 2; SecureMessagingError when it is absent or longer than a block."""
    stripped = data.rstrip(b"\x00")
    if not stripped or stripped[-1] != 0x80 or len(data) - len(stripped) >= 16:
        raise SecureMessagingError("bad padding")
    return stripped[:-1]


def _three_keys(key: bytes) -> bytes:
    """K1 K2 K1 spelt out (24 bytes): the library deprecates the 16-byte form."""
    if len(key) == 8:
        return key * 3
    if len(key) == 16:
        return key + key[:8]
    return key


def _algorithm(cipher: Cipher, key: bytes) -> TripleDES | algorithms.AES:
    """The cryptography algorithm object for a cipher name."""
    if cipher == "3des":
        return TripleDES(_three_keys(key))
    if cipher == "aes":
        return algorithms.AES(key)
    raise ValueError(f"unknown cipher {cipher!r}")


def _cbc(cipher: Cipher, key: bytes, iv: bytes | None) -> _Cipher:
    """A CBC cipher object with a zero IV unless one is given."""
    return _Cipher(_algorithm(cipher, key), modes.CBC(iv or bytes(block_size(cipher))))


def encrypt(cipher: Cipher, key: bytes, data: bytes, iv: bytes | None = None) -> bytes:
    """CBC encryption of whole blocks (the caller pads), zero IV by default."""
    if len(data) % block_size(cipher):
        raise ValueError("data is not a whole number of blocks")
    enc = _cbc(cipher, key, iv).encryptor()
    return enc.update(data) + enc.finalize()


def decrypt(cipher: Cipher, key: bytes, data: bytes, iv: bytes | None = None) -> bytes:
    """CBC decryption; SecureMessagingError when the chip sent a partial block."""
    if not data or len(data) % block_size(cipher):
        raise SecureMessagingError("cryptogram is not a whole number of blocks")
    dec = _cbc(cipher, key, iv).decryptor()
    return dec.update(data) + dec.finalize()


def _retail_mac(key: bytes, data: bytes) -> bytes:
    """ISO 9797-1 MAC algorithm 3: single-DES CBC with K1, then 3DES on the last block."""
    if not data or len(data) % 8:
        raise ValueError("retail MAC needs padded data")
    k1 = key[:8]
    iv = bytes(8)
    if len(data) > 8:
        iv = encrypt("3des", k1, data[:-8])[-8:]
    return encrypt("3des", key[:16], data[-8:], iv)


def mac(cipher: Cipher, key: bytes, data: bytes) -> bytes:
    """8-byte MAC: retail MAC for 3DES, truncated CMAC for AES; the caller pads as ICAO says."""
    if cipher == "3des":
        return _retail_mac(key, data)
    c = cmac.CMAC(_algorithm(cipher, key))
    c.update(data)
    return c.finalize()[:MAC_LENGTH]
