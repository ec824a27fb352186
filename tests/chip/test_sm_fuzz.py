"""Hostile bytes: whatever a chip (or a terminal) sends, the code answers with typed errors only."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drivers.reader.base import MrzKey, ReaderError
from drivers.reader.icao import crypto
from drivers.reader.icao.apdu import CommandApdu, PlainSender, ResponseApdu
from drivers.reader.icao.bac import perform_bac
from drivers.reader.icao.errors import MalformedChipData, SecureMessagingError
from drivers.reader.icao.files import FID, FileReader, select_applet, tlv_total_length
from drivers.reader.icao.sm import ChipSecureMessaging, SecureMessaging, SecureSender
from drivers.reader.vchip.chip import ChipProfile, VirtualChip

FUZZ = settings(max_examples=200, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])
KEY = MrzKey("L898902C", dt.date(1969, 8, 6), dt.date(1994, 6, 23))
KS_ENC = bytes.fromhex("979EC13B1CBFE9DCD01AB0FED307EAE5")
KS_MAC = bytes.fromhex("F1CB1F1FB5ADF208806B89DC579DC1F8")
FILES = {FID["DG1"]: b"\x61\x05\x5f\x1f\x02AB", FID["COM"]: b"\x60\x03\x5c\x01\x61",
         FID["CARD_ACCESS"]: b"\x31\x00"}

ciphers = st.sampled_from(["3des", "aes"])
status_words = st.one_of(st.integers(0, 0xFFFF),
                         st.sampled_from([0x9000, 0x6282, 0x6987, 0x6988, 0x6A82, 0x6700]))
sm_like = st.lists(st.one_of(
    st.binary(max_size=40),
    st.builds(lambda tag, body: bytes([tag, len(body)]) + body,
              st.sampled_from([0x85, 0x87, 0x97, 0x99, 0x8E]), st.binary(max_size=40)),
), max_size=4).map(b"".join)
commands = st.builds(
    CommandApdu,
    cla=st.sampled_from([0x00, 0x0C, 0x10, 0x04, 0x80]),
    ins=st.one_of(st.sampled_from([0xA4, 0xB0, 0xB1, 0x84, 0x82, 0x88, 0x22, 0x86, 0xC0]),
                  st.integers(0, 255)),
    p1=st.one_of(st.sampled_from([0x00, 0x02, 0x04, 0x80, 0x81, 0x9C, 0x01]), st.integers(0, 255)),
    p2=st.one_of(st.sampled_from([0x00, 0x0C, 0x1E]), st.integers(0, 255)),
    data=st.one_of(st.binary(max_size=300),
                   st.sampled_from([b"\x01\x01", b"\x01\x1e", b"\x54\x01\x02",
                                    b"\x54\x03\x01\x00\x00"])),
    le=st.one_of(st.none(), st.integers(0, 65536)),
    extended=st.booleans(),
)


def _paired(cipher: str, ssc: int = 7) -> tuple[SecureMessaging, ChipSecureMessaging]:
    kiosk = SecureMessaging(KS_ENC, KS_MAC, ssc, cipher)
    return kiosk, ChipSecureMessaging.from_session(kiosk)


@FUZZ
@given(st.binary(max_size=300))
def test_response_parse(raw):
    try:
        response = ResponseApdu.parse(raw)
    except MalformedChipData:
        assert len(raw) < 2
        return
    assert response.encode() == raw


@FUZZ
@given(st.binary(max_size=300))
def test_command_decode(raw):
    try:
        command = CommandApdu.decode(raw)
    except MalformedChipData:
        return
    assert command.encode() == raw


@FUZZ
@given(commands)
def test_command_encode_decode(command):
    decoded = CommandApdu.decode(command.encode())
    assert decoded.encode() == command.encode()
    assert decoded.ne == command.ne and decoded.data == command.data


@FUZZ
@given(ciphers, st.one_of(st.binary(max_size=120), sm_like), status_words)
def test_unwrap_random_answers(cipher, data, sw):
    kiosk, _ = _paired(cipher)
    try:
        result = kiosk.unwrap(ResponseApdu(data, sw))
    except SecureMessagingError:
        return
    assert not data and sw not in (0x9000, 0x6987, 0x6988) and result.sw == sw


@FUZZ
@given(ciphers, st.binary(max_size=100), status_words, st.data())
def test_unwrap_flipped_bits_and_truncation(cipher, payload, sw, data):
    kiosk, chip = _paired(cipher)
    chip.unwrap_command(kiosk.wrap(CommandApdu(0, 0xB0, 0, 0, le=100)))
    good = chip.wrap_response(ResponseApdu(payload, sw)).data
    bit = data.draw(st.integers(0, len(good) * 8 - 1))
    flipped = bytearray(good)
    flipped[bit // 8] ^= 1 << (bit % 8)
    cut = data.draw(st.integers(0, len(good) - 1))
    for mangled in (bytes(flipped), good[:cut]):
        fresh, _ = _paired(cipher)
        fresh.wrap(CommandApdu(0, 0xB0, 0, 0, le=100))
        with pytest.raises(SecureMessagingError):
            fresh.unwrap(ResponseApdu(mangled, 0x9000))


@FUZZ
@given(ciphers, st.binary(min_size=1, max_size=64))
def test_unwrap_bad_padding_under_a_good_mac(cipher, plain):
    kiosk, chip = _paired(cipher)
    chip.unwrap_command(kiosk.wrap(CommandApdu(0, 0xB0, 0, 0, le=100)))
    chip._next_ssc()
    block = crypto.block_size(cipher)
    body = plain + bytes(-len(plain) % block)  # zero fill, no 80 marker: usually bad padding
    cryptogram = crypto.encrypt(cipher, KS_ENC, body, chip._iv())
    objects = b"\x87" + bytes([len(cryptogram) + 1, 1]) + cryptogram + b"\x99\x02\x90\x00"
    answer = objects + b"\x8e\x08" + chip._mac(objects)
    try:
        result = kiosk.unwrap(ResponseApdu(answer, 0x9000))
    except SecureMessagingError:
        return
    assert crypto.pad(result.data, block) == body


@FUZZ
@given(ciphers, st.one_of(st.binary(max_size=80), sm_like), st.integers(0, 255))
def test_chip_unwrap_random_commands(cipher, data, ins):
    _, chip = _paired(cipher)
    try:
        chip.unwrap_command(CommandApdu(0x0C, ins, 0, 0, data, 256))
    except SecureMessagingError:
        return


@FUZZ
@given(st.binary(max_size=300))
def test_header_parse(prefix):
    try:
        total = tlv_total_length(prefix)
    except MalformedChipData:
        return
    assert total is None or total >= 2


def _check(chip: VirtualChip, raw: bytes) -> bytes:
    answer = chip.transmit(raw)
    assert len(answer) >= 2 and chip.internal_errors == 0
    return answer


@FUZZ
@given(st.binary(max_size=300), st.booleans())
def test_virtual_chip_random_bytes(raw, in_session):
    chip = VirtualChip(ChipProfile(dict(FILES), mrz_key=KEY))
    if in_session:
        select_applet(PlainSender(chip))
        perform_bac(chip, KEY)
    _check(chip, raw)


@FUZZ
@given(st.lists(commands, max_size=6), st.sampled_from(["none", "bac", "pace"]), st.booleans())
def test_virtual_chip_random_commands(sequence, access, extended):
    chip = VirtualChip(ChipProfile(dict(FILES), access=access, mrz_key=KEY,
                                   extended_length=extended))
    for command in sequence:
        _check(chip, command.encode())


@FUZZ
@given(st.lists(commands, min_size=1, max_size=6))
def test_virtual_chip_random_commands_under_sm(sequence):
    """Protected random commands: the chip answers each; the kiosk sees valid SM or typed errors."""
    chip = VirtualChip(ChipProfile(dict(FILES), mrz_key=KEY, extended_length=True,
                                   max_read=65536))
    select_applet(PlainSender(chip))
    sender = SecureSender(chip, perform_bac(chip, KEY))
    for command in sequence:
        plain = CommandApdu(command.cla & 0x03, command.ins, command.p1, command.p2,
                            command.data, command.le, command.extended)
        try:
            sender.send(plain)
        except ReaderError:
            pass
        assert chip.internal_errors == 0
    if chip.session_active:  # the session survived: it must still read correctly
        select_applet(sender)
        assert FileReader(sender).read_file(FID["DG1"], bytearray()) == FILES[FID["DG1"]]


@FUZZ
@given(st.binary(max_size=400), st.integers(1, 300))
def test_file_reader_over_random_files(content, max_read):
    chip = VirtualChip(ChipProfile({FID["DG2"]: content}, access="none", max_read=max_read))
    sender = PlainSender(chip)
    select_applet(sender)
    try:
        result = FileReader(sender).read_file(FID["DG2"], bytearray())
    except ReaderError:
        return
    assert content.startswith(result)
