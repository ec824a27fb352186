"""The virtual chip as a card: status words, access control, faults, PACE and AA hooks."""

from __future__ import annotations

import datetime as dt

import pytest

from drivers.base import FaultScript
from drivers.reader.base import DocumentRemoved, MrzKey
from drivers.reader.icao.apdu import ApduTrace, CommandApdu, PlainSender, ResponseApdu
from drivers.reader.icao.bac import perform_bac
from drivers.reader.icao.errors import (
    AccessControlUnsupported,
    AccessKeyRejected,
    SecureMessagingError,
)
from drivers.reader.icao.files import FID, LDS1_AID, FileReader, select_applet
from drivers.reader.icao.sm import SecureMessaging, SecureSender
from drivers.reader.vchip.chip import ChipProfile, VirtualChip

H = bytes.fromhex
KEY = MrzKey("L898902C", dt.date(1969, 8, 6), dt.date(1994, 6, 23))
DG1 = FID["DG1"]
DG1_CONTENT = b"\x61\x05\x5f\x1f\x02AB"


def chip_with(**profile) -> VirtualChip:
    faults = profile.pop("faults", None)
    profile.setdefault("mrz_key", KEY)
    return VirtualChip(ChipProfile({DG1: DG1_CONTENT}, **profile), faults)


def bac(chip: VirtualChip) -> SecureSender:
    select_applet(PlainSender(chip))
    return SecureSender(chip, perform_bac(chip, KEY))


def sw(chip: VirtualChip, apdu: str) -> int:
    return int.from_bytes(chip.transmit(H(apdu))[-2:], "big")


# -- status words for what the chip does not accept -----------------------------------------------
@pytest.mark.parametrize("apdu,expected", [
    ("00", 0x6700),                        # shorter than a header
    ("00B00000050102", 0x6700),           # Lc disagrees with the data
    ("80B0000000", 0x6E00),                # proprietary class
    ("00CA000000", 0x6D00),                # INS the chip does not know
    ("00A4080C00", 0x6A86),                # SELECT by path
    ("00A4040C07A0000002471002", 0x6A82),  # another applet
    ("00B0000004", 0x6986),                # no current EF
    ("00B000000000FF", 0x6700),            # extended APDU on a short-only chip
    ("04B0000004", 0x6882),                # proprietary SM
    ("0CB0000004", 0x6988),                # SM before any session
    ("0022C1A400", 0x6D00),                # PACE without a responder
    ("0088000008" + "00" * 8, 0x6D00),     # no active authentication key
    ("0082000028" + "00" * 40, 0x6985),    # EXTERNAL AUTHENTICATE without GET CHALLENGE
    ("0084000004", 0x6700),                # challenge must be 8 bytes
])
def test_refusals(apdu, expected):
    chip = chip_with()
    assert sw(chip, apdu) == expected
    assert chip.internal_errors == 0


def test_select_and_read_status_words():
    chip = chip_with()
    assert sw(chip, "00A4040C07" + LDS1_AID.hex()) == 0x9000
    assert sw(chip, "00A4020C020101") == 0x9000
    assert sw(chip, "00A4020C020102") == 0x6A82
    assert sw(chip, "00A4020C0301") == 0x6700  # Lc 3 but one byte: malformed
    assert sw(chip, "00A4020C03010101") == 0x6700  # a FID is two bytes
    assert sw(chip, "00B0000004") == 0x6982  # BAC chip before BAC
    assert sw(chip, "00A4000C023F00") == 0x9000  # back to the MF
    assert sw(chip, "00B0810004") == 0x6A82  # DG1 is not in the MF


def test_none_chip_reads_odd_ins_with_do54():
    chip = chip_with(access="none")
    select_applet(PlainSender(chip))
    assert chip.transmit(H("00B0810004")) == DG1_CONTENT[:4] + b"\x90\x00"
    assert chip.transmit(H("00B10000035401020A")) == b"\x53\x05" + DG1_CONTENT[2:] + b"\x62\x82"
    assert sw(chip, "00B100000355010210") == 0x6A80  # not DO'54'
    assert sw(chip, "00B1000004540402020A") == 0x6A80  # length disagrees
    by_sfi = chip.transmit(H("00B100010354010010"))
    assert by_sfi == b"\x53\x07" + DG1_CONTENT + b"\x62\x82"
    by_fid = chip.transmit(H("00B101010354010006"))
    assert by_fid == b"\x53\x04" + DG1_CONTENT[:4] + b"\x90\x00"
    assert sw(chip, "00B100000354011010") == 0x6B00  # offset beyond the file


def test_atr_is_a_contactless_pcsc_atr_with_a_valid_tck():
    atr = chip_with().atr
    assert atr[:1] == b"\x3b" and atr[2:4] == b"\x80\x01" and len(atr) == 4 + (atr[1] & 0x0F) + 1
    check = 0
    for b in atr[1:]:
        check ^= b
    assert check == 0
    assert chip_with().power_on() == atr


def test_profile_rejects_unknown_access():
    with pytest.raises(ValueError):
        ChipProfile({}, access="eac")


# -- BAC and the session --------------------------------------------------------------------------
def test_wrong_key_fault():
    chip = chip_with(faults={"wrong_key": 1})
    with pytest.raises(AccessKeyRejected):
        bac(chip)
    assert FileReader(bac(chip)).read_file(DG1, bytearray()) == DG1_CONTENT


def test_corrupt_mac_fault():
    chip = chip_with()
    sender = bac(chip)
    chip.faults.set("corrupt_mac", 1)
    with pytest.raises(SecureMessagingError):
        sender.send(CommandApdu(0, 0xB0, 0x81, 0, le=4))
    chip.faults.set("corrupt_mac", 2)  # a large read steps down once, then gives up
    reader = FileReader(sender)
    with pytest.raises(SecureMessagingError):
        reader.read_file(DG1, bytearray())
    assert reader.read_size == 223


def test_plain_command_after_bac_answers_6988_and_drops_sm():
    chip = chip_with()
    sender = bac(chip)
    assert chip.session_active
    assert sw(chip, "00B0810004") == 0x6988
    assert not chip.session_active
    with pytest.raises(SecureMessagingError):
        sender.send(CommandApdu(0, 0xB0, 0x81, 0, le=4))


def test_tampered_protected_command_drops_sm():
    chip = chip_with()
    sender = bac(chip)
    wrapped = bytearray(sender.sm.wrap(CommandApdu(0, 0xB0, 0x81, 0, le=4)).encode())
    wrapped[-2] ^= 1
    assert chip.transmit(bytes(wrapped)) == b"\x69\x88"
    assert not chip.session_active


def test_extended_apdu_under_sm_gets_a_protected_6700_and_the_session_survives():
    chip = chip_with()
    sender = bac(chip)
    assert sender.send(CommandApdu(0, 0xB0, 0x81, 0, le=4, extended=True)).sw == 0x6700
    assert sender.send(CommandApdu(0, 0xB0, 0x81, 0, le=4)).data == DG1_CONTENT[:4]


def test_mute_fault():
    chip = chip_with(faults={"mute": 2})
    assert chip.transmit(H("0084000008")) == b"\x6f\x00"
    assert chip.transmit(H("0084000008")) == b"\x6f\x00"
    assert len(chip.transmit(H("0084000008"))) == 10


def test_pace_only_chip_refuses_bac():
    chip = chip_with(access="pace")
    select_applet(PlainSender(chip))
    with pytest.raises(AccessControlUnsupported):
        perform_bac(chip, KEY)


def test_none_chip_without_mrz_has_no_bac():
    chip = chip_with(access="none", mrz_key=None)
    with pytest.raises(AccessControlUnsupported):
        perform_bac(chip, KEY)


# -- the field: power and removal -----------------------------------------------------------------
def test_power_cycle_ends_the_session():
    chip = chip_with()
    sender = bac(chip)
    chip.power_off()
    with pytest.raises(DocumentRemoved):
        chip.transmit(H("0084000008"))
    chip.power_on()
    assert not chip.session_active and chip.apdu_count == 0
    with pytest.raises(SecureMessagingError):
        sender.send(CommandApdu(0, 0xB0, 0x81, 0, le=4))


def test_removal_fires_once_and_holds_until_power_on():
    faults = FaultScript({"remove_at_apdu": 2})
    chip = chip_with(faults=faults)
    calls = []
    chip.on_removed = lambda: calls.append(chip.apdu_count)
    assert sw(chip, "0084000008") == 0x9000
    with pytest.raises(DocumentRemoved):
        chip.transmit(H("0084000008"))
    with pytest.raises(DocumentRemoved):
        chip.transmit(H("0084000008"))
    assert calls == [2] and faults.value("remove_at_apdu") is None
    chip.power_on()
    for _ in range(3):
        assert sw(chip, "0084000008") == 0x9000


# -- PACE and active authentication hooks ---------------------------------------------------------
AES_ENC, AES_MAC = bytes(range(16)), bytes(range(16, 32))


class FakePace:
    """Stands in for the PACE responder: MSE is fine, GENERAL AUTHENTICATE opens an AES session."""

    def __init__(self, chip: VirtualChip) -> None:
        self.chip = chip
        self.seen: list[int] = []

    def handle(self, command: CommandApdu) -> tuple[ResponseApdu, SecureMessaging | None]:
        self.seen.append(command.ins)
        if command.ins == 0x22:
            return ResponseApdu(b"", 0x9000), None
        return ResponseApdu(b"\x7c\x00", 0x9000), SecureMessaging(AES_ENC, AES_MAC, 0, "aes")


def test_pace_hook_opens_an_aes_session_and_files_read_under_it():
    big = b"\x75\x82\x04\x00" + bytes(range(256)) * 4
    chip = VirtualChip(ChipProfile({DG1: DG1_CONTENT, FID["DG2"]: big}, access="pace",
                                   can="123456"), pace_responder_factory=FakePace)
    plain = PlainSender(chip)
    assert plain.send(CommandApdu(0, 0x22, 0xC1, 0xA4, b"\x80\x00")).ok
    assert plain.send(CommandApdu(0, 0x86, 0, 0, b"\x7c\x00", le=256)).data == b"\x7c\x00"
    assert chip.pace_responder.seen == [0x22, 0x86] and chip.session_active
    trace = ApduTrace()
    sender = SecureSender(chip, SecureMessaging(AES_ENC, AES_MAC, 0, "aes"), trace)
    select_applet(sender)
    reader = FileReader(sender)
    assert reader.read_file(FID["DG2"], bytearray()) == big
    assert reader.read_size == 223  # 231 bytes do not fit a short APDU under AES SM
    assert trace.entries[1].sw == 0x6700
    assert reader.read_file(DG1, bytearray()) == DG1_CONTENT


def test_active_authentication_hook():
    signed: list[bytes] = []

    def sign(challenge: bytes) -> bytes:
        signed.append(challenge)
        return b"S" * 64

    chip = chip_with(active_auth=sign)
    assert sw(chip, "0088000008" + "11" * 8 + "00") == 0x6982  # not before BAC
    sender = bac(chip)
    answer = sender.send(CommandApdu(0, 0x88, 0, 0, b"\x22" * 8, le=256))
    assert answer == ResponseApdu(b"S" * 64, 0x9000) and signed == [b"\x22" * 8]
