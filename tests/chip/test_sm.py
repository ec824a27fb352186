"""Secure messaging: ICAO 9303-11 Appendix D.4 known answers, both halves, AES and edge cases."""

from __future__ import annotations

import datetime as dt

import pytest

from drivers.reader.base import MrzKey
from drivers.reader.icao.apdu import ApduTrace, CommandApdu, PlainSender, ResponseApdu
from drivers.reader.icao.bac import perform_bac
from drivers.reader.icao.errors import SecureMessagingError
from drivers.reader.icao.files import FileReader, select_applet, select_file
from drivers.reader.icao.sm import ChipSecureMessaging, SecureMessaging, SecureSender
from drivers.reader.vchip.chip import ChipProfile, VirtualChip

H = bytes.fromhex
KS_ENC = H("979EC13B1CBFE9DCD01AB0FED307EAE5")
KS_MAC = H("F1CB1F1FB5ADF208806B89DC579DC1F8")
SSC = 0x887022120C06C226
EF_COM = H("60145F0104303130365F36063034303030305C026175")

# (plain command, protected command, protected response, plain response data, SW)
D4 = [
    (H("00A4020C02011E"), H("0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800"),
     H("990290008E08FA855A5D4C50A8ED9000"), b""),
    (H("00B0000004"), H("0CB000000D9701048E08ED6705417E96BA5500"),
     H("8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000"), H("60145F01")),
    (H("00B0000412"), H("0CB000040D9701128E082EA28A70F3C7B53500"),
     H("871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000"),
     H("04303130365F36063034303030305C026175")),
]


def test_kiosk_side_matches_appendix_d4():
    sm = SecureMessaging(KS_ENC, KS_MAC, SSC)
    for n, (plain, protected, answer, data) in enumerate(D4):
        assert sm.wrap(CommandApdu.decode(plain)).encode() == protected
        assert sm.ssc == SSC + 2 * n + 1
        assert sm.unwrap(ResponseApdu.parse(answer)) == ResponseApdu(data, 0x9000)
        assert sm.ssc == SSC + 2 * n + 2


def test_chip_side_matches_appendix_d4():
    chip = ChipSecureMessaging(KS_ENC, KS_MAC, SSC)
    for plain, protected, answer, data in D4:
        inner = chip.unwrap_command(CommandApdu.decode(protected))
        assert inner.encode() == plain
        assert chip.wrap_response(ResponseApdu(data, 0x9000)).encode() == answer


class Recording:
    """A channel that keeps every raw exchange."""

    def __init__(self, inner: VirtualChip) -> None:
        self.inner = inner
        self.log: list[tuple[bytes, bytes]] = []

    def transmit(self, apdu: bytes) -> bytes:
        answer = self.inner.transmit(apdu)
        self.log.append((apdu, answer))
        return answer


def test_whole_example_over_the_virtual_chip():
    """BAC with the example's nonces, then the D.4 exchanges byte for byte, chip and kiosk."""
    from tests.chip.test_crypto_bac import K_IC, K_IFD, KEY, RND_IC, RND_IFD, feeder

    chip = VirtualChip(ChipProfile({0x011E: EF_COM}, mrz_key=KEY), rng=feeder(RND_IC, K_IC))
    channel = Recording(chip)
    select_applet(PlainSender(channel))
    sm = perform_bac(channel, KEY, rng=feeder(RND_IFD, K_IFD))
    sender = SecureSender(channel, sm)
    select_file(sender, 0x011E)
    assert sender.send(CommandApdu(0, 0xB0, 0, 0, le=4)).data == H("60145F01")
    assert sender.send(CommandApdu(0, 0xB0, 0, 4, le=0x12)).data == EF_COM[4:]
    assert channel.log[3:] == [(protected, answer) for _, protected, answer, _ in D4]


@pytest.mark.parametrize("cipher", ["3des", "aes"])
@pytest.mark.parametrize("command", [
    CommandApdu(0, 0xA4, 2, 0x0C, b"\x01\x1e"),
    CommandApdu(0, 0xB0, 0, 0, le=231),
    CommandApdu(0, 0xB0, 0, 0, le=256),
    CommandApdu(0, 0xB0, 0x7F, 0xFF, le=1000),
    CommandApdu(0, 0xB0, 0, 0, le=65536),
    CommandApdu(0, 0xB0, 0, 0, le=4, extended=True),
    CommandApdu(0, 0xB1, 0, 0, b"\x54\x02\x80\x00", le=231),
    CommandApdu(0, 0x88, 0, 0, bytes(range(8)), le=256),
    CommandApdu(0, 0x22, 0xC1, 0xA4, bytes(300)),
    CommandApdu(0, 0x84, 0, 0),
])
def test_round_trip_both_halves(cipher, command):
    key_len = 16
    kiosk = SecureMessaging(bytes(range(key_len)), bytes(range(1, key_len + 1)), 41, cipher)
    chip = ChipSecureMessaging.from_session(kiosk)
    wrapped = kiosk.wrap(command)
    assert wrapped.cla == 0x0C
    raw = wrapped.encode()
    assert chip.unwrap_command(CommandApdu.decode(raw)).encode() == command.encode()
    answers = [(b"", 0x9000), (bytes(range(200)), 0x6282), (b"x" * 16, 0x9000), (b"", 0x6A82)]
    for data, sw in answers:
        answer = chip.wrap_response(ResponseApdu(data, sw), odd_ins=bool(command.ins & 1))
        assert kiosk.unwrap(ResponseApdu.parse(answer.encode())) == ResponseApdu(data, sw)
    assert kiosk.ssc == chip.ssc


def test_extended_le_uses_two_byte_do97_and_an_extended_outer_apdu():
    sm = SecureMessaging(KS_ENC, KS_MAC, SSC)
    wrapped = sm.wrap(CommandApdu(0, 0xB0, 0, 0, le=1000))
    assert wrapped.is_extended and wrapped.encode()[-2:] == b"\x00\x00"
    assert b"\x97\x02\x03\xe8" in wrapped.data
    short = sm.wrap(CommandApdu(0, 0xB0, 0, 0, le=256))
    assert not short.is_extended and b"\x97\x01\x00" in short.data


def test_odd_ins_data_goes_in_do85():
    sm = SecureMessaging(KS_ENC, KS_MAC, SSC)
    wrapped = sm.wrap(CommandApdu(0, 0xB1, 0, 0, b"\x54\x02\x80\x00", le=200))
    assert wrapped.data[0] == 0x85


def test_aes_iv_is_the_encrypted_counter():
    """With AES the IV is E(KSenc, SSC); a zero IV must not decrypt the same."""
    from drivers.reader.icao import crypto
    sm = SecureMessaging(bytes(16), bytes(16), 0, "aes")
    wrapped = sm.wrap(CommandApdu(0, 0xA4, 2, 0x0C, b"\x01\x1e"))
    body = wrapped.data[3:3 + 16]
    iv = crypto.encrypt("aes", bytes(16), (1).to_bytes(16, "big"))
    assert crypto.unpad(crypto.decrypt("aes", bytes(16), body, iv)) == b"\x01\x1e"


def _session() -> tuple[SecureMessaging, ChipSecureMessaging]:
    kiosk = SecureMessaging(KS_ENC, KS_MAC, SSC)
    return kiosk, ChipSecureMessaging.from_session(kiosk)


@pytest.mark.parametrize("sw", [0x6987, 0x6988])
def test_chip_dropping_sm_raises(sw):
    kiosk, _ = _session()
    kiosk.wrap(CommandApdu(0, 0xB0, 0, 0, le=4))
    with pytest.raises(SecureMessagingError):
        kiosk.unwrap(ResponseApdu(b"", sw))


def test_plain_errors_pass_but_plain_success_does_not():
    kiosk, _ = _session()
    assert kiosk.unwrap(ResponseApdu(b"", 0x6A82)) == ResponseApdu(b"", 0x6A82)
    with pytest.raises(SecureMessagingError):
        kiosk.unwrap(ResponseApdu(b"", 0x9000))


@pytest.mark.parametrize("mangle", [
    lambda d: d[:-1] + bytes([d[-1] ^ 1]),           # MAC byte
    lambda d: d[:4] + bytes([d[4] ^ 0x10]) + d[5:],   # cryptogram byte
    lambda d: d[:-10],                                 # no DO'8E'
    lambda d: d[:-3],                                  # truncated MAC
    lambda d: d + b"\x99\x02\x90\x00",                 # object after the MAC
    lambda d: b"\x77\x01\x00" + d,                     # unknown object
])
def test_mangled_answers_raise(mangle):
    kiosk, chip = _session()
    chip.unwrap_command(kiosk.wrap(CommandApdu(0, 0xB0, 0, 0, le=4)))
    good = chip.wrap_response(ResponseApdu(H("60145F01"), 0x9000))
    with pytest.raises(SecureMessagingError):
        kiosk.unwrap(ResponseApdu(mangle(good.data), 0x9000))


def test_missing_status_object_raises():
    kiosk, _ = _session()
    kiosk.wrap(CommandApdu(0, 0xB0, 0, 0, le=4))
    with pytest.raises(SecureMessagingError):
        kiosk.unwrap(ResponseApdu(H("8E080102030405060708"), 0x9000))


def test_bad_padding_under_a_valid_mac_raises():
    """The MAC is right but the decrypted block does not end in 80 00..: still an SM error."""
    from drivers.reader.icao import crypto
    kiosk, chip = _session()
    chip.unwrap_command(kiosk.wrap(CommandApdu(0, 0xB0, 0, 0, le=8)))
    chip._next_ssc()
    cryptogram = b"\x87\x09\x01" + crypto.encrypt("3des", KS_ENC, bytes(8))
    body = cryptogram + b"\x99\x02\x90\x00"
    answer = body + b"\x8e\x08" + chip._mac(body)
    with pytest.raises(SecureMessagingError, match="padding"):
        kiosk.unwrap(ResponseApdu(answer, 0x9000))


def test_chip_rejects_tampered_commands():
    kiosk, chip = _session()
    raw = bytearray(kiosk.wrap(CommandApdu(0, 0xB0, 0, 0, le=4)).encode())
    raw[3] ^= 1  # P2 is covered by the MAC
    with pytest.raises(SecureMessagingError):
        chip.unwrap_command(CommandApdu.decode(bytes(raw)))
    with pytest.raises(SecureMessagingError):
        chip.unwrap_command(CommandApdu(0, 0xB0, 0, 0, le=4))


def test_counter_wraps_at_its_width():
    sm = SecureMessaging(KS_ENC, KS_MAC, (1 << 64) - 1)
    sm.wrap(CommandApdu(0, 0x84, 0, 0, le=8))
    assert sm.ssc == 0


def test_secure_sender_traces_lengths_only():
    from tests.chip.test_crypto_bac import KEY
    chip = VirtualChip(ChipProfile({0x0101: b"\x61\x03" + b"ABC"}, mrz_key=KEY))
    trace = ApduTrace()
    select_applet(PlainSender(chip, trace))
    sender = SecureSender(chip, perform_bac(chip, KEY, trace=trace), trace)
    assert FileReader(sender).read_file(0x0101, bytearray()) == b"\x61\x03ABC"
    assert trace.count == 4
    assert [e.ins for e in trace.entries] == [0xA4, 0x84, 0x82, 0xB0]
    assert trace.bytes_sent == sum(e["command_length"] for e in trace.as_dicts())
    assert set(trace.as_dicts()[0]) == {"ins", "p1", "p2", "command_length", "response_length",
                                        "sw", "seconds"}
    assert "ABC" not in repr(trace)


def test_get_response_is_followed():
    class T0:
        def __init__(self):
            self.sent = []

        def transmit(self, apdu):
            self.sent.append(apdu)
            return {1: b"\x61\x03", 2: b"abc\x61\x02", 3: b"de\x90\x00"}[len(self.sent)]

    channel = T0()
    answer = PlainSender(channel).send(CommandApdu(0, 0xB0, 0, 0, le=5))
    assert answer == ResponseApdu(b"abcde", 0x9000)
    assert channel.sent[1:] == [H("00C0000003"), H("00C0000002")]


def test_mrz_key_is_frozen_for_sharing():
    MrzKey("X", dt.date(2000, 1, 1), dt.date(2030, 1, 1)).__hash__()


@pytest.mark.parametrize("cipher", ["3des", "aes"])
def test_wrapped_length_predicts_the_answer(cipher):
    chip = ChipSecureMessaging(bytes(16), bytes(16), 0, cipher)
    for n in range(0, 300, 7):
        assert chip.wrapped_length(n) == len(chip.wrap_response(ResponseApdu(bytes(n), 0x9000)).data)
    assert ChipSecureMessaging(KS_ENC, KS_MAC, 0).wrapped_length(231) == 250  # fits a short APDU
    assert chip.wrapped_length(223) <= 256
