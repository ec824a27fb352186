"""Basic Access Control (ICAO 9303-11 section 4.3): MRZ key, mutual authentication, session keys.

The helpers that both ends compute (the cryptogram and the session) are public so
the virtual chip answers with exactly the arithmetic the kiosk checks.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
from collections.abc import Callable

from drivers.reader.base import MrzKey
from drivers.reader.icao.apdu import ApduTrace, CardChannel, CommandApdu, PlainSender
from drivers.reader.icao.crypto import ENC, MAC, decrypt, derive_key, encrypt, mac, pad
from drivers.reader.icao.errors import (
    AccessControlUnsupported,
    AccessKeyRejected,
    MalformedChipData,
    StatusWordError,
)
from drivers.reader.icao.mrz import mrz_key_seed_text
from drivers.reader.icao.sm import SecureMessaging

log = logging.getLogger("drivers.reader.icao")

INS_GET_CHALLENGE = 0x84
INS_EXTERNAL_AUTHENTICATE = 0x82
_UNSUPPORTED = (0x6D00, 0x6E00, 0x6985)  # no such command / BAC not allowed (PACE-only chip)


def bac_keys_from_mrz(key: MrzKey) -> tuple[bytes, bytes]:
    """(K_enc, K_mac) from the MRZ fields: SHA-1 of the MRZ information, first 16 bytes as seed."""
    text = mrz_key_seed_text(key.document_number, key.birth_date, key.expiry_date)
    seed = hashlib.sha1(text.encode("ascii")).digest()[:16]
    return derive_key(seed, ENC, "3des"), derive_key(seed, MAC, "3des")


def authentication_cryptogram(k_enc: bytes, k_mac: bytes, plain: bytes) -> bytes:
    """E(K_enc, S) || MAC(K_mac, E): what each side sends in EXTERNAL AUTHENTICATE."""
    encrypted = encrypt("3des", k_enc, plain)
    return encrypted + mac("3des", k_mac, pad(encrypted, 8))


def open_cryptogram(k_enc: bytes, k_mac: bytes, cryptogram: bytes) -> bytes | None:
    """The 32 plaintext bytes of a 40-byte cryptogram, or None when its MAC does not verify."""
    if len(cryptogram) != 40:
        return None
    encrypted, tag = cryptogram[:32], cryptogram[32:]
    if not hmac.compare_digest(mac("3des", k_mac, pad(encrypted, 8)), tag):
        return None
    return decrypt("3des", k_enc, encrypted)


def session_from_bac(k_ifd: bytes, k_ic: bytes, rnd_ic: bytes,
                     rnd_ifd: bytes) -> tuple[bytes, bytes, int]:
    """(KS_enc, KS_mac, SSC) of 9303-11 9.7.4: keys from K.IFD xor K.IC, SSC from nonce tails."""
    seed = bytes(a ^ b for a, b in zip(k_ifd, k_ic, strict=True))
    ssc = int.from_bytes(rnd_ic[-4:] + rnd_ifd[-4:], "big")
    return derive_key(seed, ENC, "3des"), derive_key(seed, MAC, "3des"), ssc


def perform_bac(channel: CardChannel, key: MrzKey, *,
                rng: Callable[[int], bytes] = os.urandom,
                trace: ApduTrace | None = None) -> SecureMessaging:
    """Authenticate with the MRZ key and return the SM session; AccessKeyRejected on a wrong key.

    ``rng`` is asked first for RND.IFD (8 bytes), then for K.IFD (16 bytes).
    """
    sender = PlainSender(channel, trace)
    k_enc, k_mac = bac_keys_from_mrz(key)
    rnd_ic = _get_challenge(sender)
    rnd_ifd, k_ifd = rng(8), rng(16)
    command = CommandApdu(0x00, INS_EXTERNAL_AUTHENTICATE, 0, 0,
                          authentication_cryptogram(k_enc, k_mac, rnd_ifd + rnd_ic + k_ifd), le=40)
    response = sender.send(command)
    log.info("BAC external authenticate sw=%04X", response.sw)
    if response.sw in _UNSUPPORTED:
        raise AccessControlUnsupported(f"EXTERNAL AUTHENTICATE answered {response.sw:04X}")
    if not response.ok:
        raise AccessKeyRejected(f"EXTERNAL AUTHENTICATE answered {response.sw:04X}")
    if len(response.data) != 40:
        raise MalformedChipData(f"EXTERNAL AUTHENTICATE returned {len(response.data)} bytes")
    plain = open_cryptogram(k_enc, k_mac, response.data)
    if plain is None:
        raise AccessKeyRejected("chip cryptogram did not verify")
    if plain[:8] != rnd_ic or plain[8:16] != rnd_ifd:
        raise AccessKeyRejected("chip did not echo the nonces")
    ks_enc, ks_mac, ssc = session_from_bac(k_ifd, plain[16:32], rnd_ic, rnd_ifd)
    return SecureMessaging(ks_enc, ks_mac, ssc, "3des")


def _get_challenge(sender: PlainSender) -> bytes:
    """RND.IC, eight bytes; typed errors when the chip will not give one."""
    response = sender.send(CommandApdu(0x00, INS_GET_CHALLENGE, 0, 0, le=8))
    if response.sw in (0x6D00, 0x6E00):
        raise AccessControlUnsupported(f"GET CHALLENGE answered {response.sw:04X}")
    if not response.ok:
        raise StatusWordError(response.sw, "GET CHALLENGE")
    if len(response.data) != 8:
        raise MalformedChipData(f"GET CHALLENGE returned {len(response.data)} bytes")
    return response.data
