"""Known answers from ICAO 9303-11 Appendix D (BAC worked example) and the crypto primitives."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from drivers.reader.base import MrzKey
from drivers.reader.icao import crypto
from drivers.reader.icao.apdu import CommandApdu, ResponseApdu
from drivers.reader.icao.bac import (
    authentication_cryptogram,
    bac_keys_from_mrz,
    open_cryptogram,
    perform_bac,
    session_from_bac,
)
from drivers.reader.icao.errors import (
    AccessControlUnsupported,
    AccessKeyRejected,
    MalformedChipData,
    SecureMessagingError,
    StatusWordError,
)
from drivers.reader.icao.mrz import mrz_key_seed_text
from drivers.reader.vchip.chip import ChipProfile, VirtualChip

H = bytes.fromhex
KEY = MrzKey("L898902C", dt.date(1969, 8, 6), dt.date(1994, 6, 23))
K_SEED = H("239AB9CB282DAF66231DC5A4DF6BFBAE")
K_ENC = H("AB94FDECF2674FDFB9B391F85D7F76F2")
K_MAC = H("7962D9ECE03D1ACD4C76089DCE131543")
RND_IC = H("4608F91988702212")
RND_IFD = H("781723860C06C226")
K_IFD = H("0B795240CB7049B01C19B33E32804F0B")
K_IC = H("0B4F80323EB3191CB04970CB4052790B")
E_IFD = H("72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2")
M_IFD = H("5F1448EEA8AD90A7")
CHIP_ANSWER = H("46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F"
                "2F2D235D074D7449")
R_IC = RND_IC + RND_IFD + K_IC
SESSION_SEED = H("0036D272F5C350ACAC50C3F572D23600")
KS_ENC = H("979EC13B1CBFE9DCD01AB0FED307EAE5")
KS_MAC = H("F1CB1F1FB5ADF208806B89DC579DC1F8")
SSC = 0x887022120C06C226


def feeder(*chunks: bytes):
    """An rng that hands out fixed values in order, checking the sizes asked for."""
    queue = list(chunks)

    def rng(n: int) -> bytes:
        value = queue.pop(0)
        assert len(value) == n
        return value
    return rng


class ScriptedChannel:
    """Answers a fixed script and keeps the commands it was sent."""

    def __init__(self, *answers: bytes) -> None:
        self.answers = list(answers)
        self.sent: list[bytes] = []

    def transmit(self, apdu: bytes) -> bytes:
        self.sent.append(apdu)
        return self.answers.pop(0)


# -- Appendix D.2: keys from the MRZ ----------------------------------------------------------
def test_mrz_information_and_seed():
    text = mrz_key_seed_text(KEY.document_number, KEY.birth_date, KEY.expiry_date)
    assert text == "L898902C<369080619406236"
    assert hashlib.sha1(text.encode()).digest()[:16] == K_SEED


def test_derive_basic_access_keys():
    assert crypto.derive_key(K_SEED, 1, "3des") == K_ENC
    assert crypto.derive_key(K_SEED, 2, "3des") == K_MAC
    assert bac_keys_from_mrz(KEY) == (K_ENC, K_MAC)


# -- Appendix D.3: mutual authentication and session keys --------------------------------------
def test_terminal_cryptogram():
    s = RND_IFD + RND_IC + K_IFD
    assert crypto.encrypt("3des", K_ENC, s) == E_IFD
    assert crypto.mac("3des", K_MAC, crypto.pad(E_IFD, 8)) == M_IFD
    assert authentication_cryptogram(K_ENC, K_MAC, s) == E_IFD + M_IFD


def test_chip_cryptogram_opens_to_r():
    assert open_cryptogram(K_ENC, K_MAC, CHIP_ANSWER) == R_IC
    assert authentication_cryptogram(K_ENC, K_MAC, R_IC) == CHIP_ANSWER
    tampered = CHIP_ANSWER[:-1] + bytes([CHIP_ANSWER[-1] ^ 1])
    assert open_cryptogram(K_ENC, K_MAC, tampered) is None


def test_session_keys_and_ssc():
    assert bytes(a ^ b for a, b in zip(K_IFD, K_IC, strict=True)) == SESSION_SEED
    assert session_from_bac(K_IFD, K_IC, RND_IC, RND_IFD) == (KS_ENC, KS_MAC, SSC)


def test_perform_bac_sends_the_example_and_returns_the_session():
    channel = ScriptedChannel(RND_IC + b"\x90\x00", CHIP_ANSWER + b"\x90\x00")
    sm = perform_bac(channel, KEY, rng=feeder(RND_IFD, K_IFD))
    assert channel.sent[0] == H("0084000008")
    assert channel.sent[1] == H("0082000028") + E_IFD + M_IFD + H("28")
    assert (sm.ks_enc, sm.ks_mac, sm.ssc, sm.cipher) == (KS_ENC, KS_MAC, SSC, "3des")


def test_virtual_chip_answers_the_example():
    chip = VirtualChip(ChipProfile({}, mrz_key=KEY), rng=feeder(RND_IC, K_IC))
    assert chip.transmit(H("0084000008")) == RND_IC + b"\x90\x00"
    answer = chip.transmit(H("0082000028") + E_IFD + M_IFD + H("28"))
    assert answer == CHIP_ANSWER + b"\x90\x00"
    assert chip.session_active


@pytest.mark.parametrize("sw", [0x6300, 0x6982, 0x6A80, 0x6A88])
def test_refused_external_authenticate_is_a_wrong_key(sw):
    channel = ScriptedChannel(RND_IC + b"\x90\x00", sw.to_bytes(2, "big"))
    with pytest.raises(AccessKeyRejected):
        perform_bac(channel, KEY, rng=feeder(RND_IFD, K_IFD))


@pytest.mark.parametrize("sw", [0x6985, 0x6D00])
def test_chip_without_bac_is_unsupported(sw):
    channel = ScriptedChannel(RND_IC + b"\x90\x00", sw.to_bytes(2, "big"))
    with pytest.raises(AccessControlUnsupported):
        perform_bac(channel, KEY, rng=feeder(RND_IFD, K_IFD))


def test_bad_chip_cryptogram_mac_is_a_wrong_key():
    bad = CHIP_ANSWER[:-1] + bytes([CHIP_ANSWER[-1] ^ 0x80])
    channel = ScriptedChannel(RND_IC + b"\x90\x00", bad + b"\x90\x00")
    with pytest.raises(AccessKeyRejected):
        perform_bac(channel, KEY, rng=feeder(RND_IFD, K_IFD))


def test_wrong_nonce_echo_is_a_wrong_key():
    r = H("0000000000000000") + RND_IFD + K_IC  # RND.IC not echoed
    channel = ScriptedChannel(RND_IC + b"\x90\x00",
                              authentication_cryptogram(K_ENC, K_MAC, r) + b"\x90\x00")
    with pytest.raises(AccessKeyRejected):
        perform_bac(channel, KEY, rng=feeder(RND_IFD, K_IFD))


def test_get_challenge_failures_are_typed():
    with pytest.raises(StatusWordError):
        perform_bac(ScriptedChannel(b"\x69\x82"), KEY)
    with pytest.raises(MalformedChipData):
        perform_bac(ScriptedChannel(b"\x01\x02\x90\x00"), KEY)
    with pytest.raises(AccessControlUnsupported):
        perform_bac(ScriptedChannel(b"\x6d\x00"), KEY)


def test_wrong_mrz_against_the_virtual_chip():
    chip = VirtualChip(ChipProfile({}, mrz_key=KEY))
    wrong = MrzKey("L898902C", dt.date(1969, 8, 7), dt.date(1994, 6, 23))
    with pytest.raises(AccessKeyRejected):
        perform_bac(chip, wrong)
    assert not chip.session_active
    perform_bac(chip, KEY)
    assert chip.session_active


# -- primitives --------------------------------------------------------------------------------
def test_padding_round_trip_and_errors():
    assert crypto.pad(b"", 8) == H("8000000000000000")
    assert crypto.pad(H("011E"), 8) == H("011E800000000000")
    assert crypto.pad(bytes(8), 8) == bytes(8) + H("8000000000000000")
    for data in (b"", b"\x00", bytes(15), bytes(16), b"\x80\x00"):
        assert crypto.unpad(crypto.pad(data, 16)) == data
    for bad in (b"", bytes(8), H("0102030400000000"), H("80") + bytes(16)):
        with pytest.raises(SecureMessagingError):
            crypto.unpad(bad)


def test_des_parity_is_odd():
    key = crypto.derive_key(b"seed", 1, "3des")
    assert all(bin(b).count("1") % 2 == 1 for b in key)


def test_aes_kdf_lengths_and_hashes():
    seed = b"shared secret"
    assert crypto.derive_key(seed, 1, "aes") == hashlib.sha1(seed + H("00000001")).digest()[:16]
    sha256 = hashlib.sha256(seed + H("00000002")).digest()
    assert crypto.derive_key(seed, 2, "aes", 192) == sha256[:24]
    assert crypto.derive_key(seed, 3, "aes", 256) == hashlib.sha256(seed + H("00000003")).digest()
    with pytest.raises(ValueError):
        crypto.derive_key(seed, 1, "aes", 64)


def test_aes_cmac_matches_rfc4493():
    key = H("2B7E151628AED2A6ABF7158809CF4F3C")
    assert crypto.mac("aes", key, b"") == H("BB1D6929E9593728")
    assert crypto.mac("aes", key, H("6BC1BEE22E409F96E93D7E117393172A")) == H("070A16B46B4D4144")


def test_cbc_round_trip_and_partial_blocks():
    key = H("00112233445566778899AABBCCDDEEFF")
    for cipher in ("3des", "aes"):
        data = bytes(range(32))
        iv = bytes([7]) * crypto.block_size(cipher)
        assert crypto.decrypt(cipher, key, crypto.encrypt(cipher, key, data, iv), iv) == data
        with pytest.raises(SecureMessagingError):
            crypto.decrypt(cipher, key, data[:5])
        with pytest.raises(ValueError):
            crypto.encrypt(cipher, key, data[:5])


def test_command_for_get_challenge_encodes_as_the_example():
    assert CommandApdu(0, 0x84, 0, 0, le=8).encode() == H("0084000008")
    assert ResponseApdu.parse(RND_IC + b"\x90\x00") == ResponseApdu(RND_IC, 0x9000)
