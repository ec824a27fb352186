"""FileReader against the virtual chip: sizes, chunking, fallbacks, 6Cxx, resume after a lift."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable

import pytest

from drivers.reader.base import DocumentRemoved, MrzKey
from drivers.reader.icao.apdu import ApduTrace, CommandApdu, PlainSender, ResponseApdu, ber_length
from drivers.reader.icao.bac import perform_bac
from drivers.reader.icao.errors import (
    ChipError,
    FileNotOnChip,
    MalformedChipData,
    SecureMessagingError,
    StatusWordError,
)
from drivers.reader.icao.files import (
    EXTENDED_READ_SIZE,
    FID,
    SFI,
    FileReader,
    select_applet,
    sfi_of,
    tlv_total_length,
)
from drivers.reader.icao.sm import SecureSender
from drivers.reader.vchip.chip import ChipProfile, VirtualChip

KEY = MrzKey("L898902C", dt.date(1969, 8, 6), dt.date(1994, 6, 23))
DG2 = FID["DG2"]
SIZES = [0, 1, 230, 231, 232, 5 * 1024, 20 * 1024, 40 * 1024]


def tlv_file(size: int, tag: int = 0x75) -> bytes:
    """A valid TLV file with a value of ``size`` patterned bytes."""
    return bytes([tag]) + ber_length(size) + bytes((i * 7 + 3) % 256 for i in range(size))


def expected_reads(total: int, size: int) -> int:
    """The fewest READ BINARYs: full chunks, then DO'53'-framed chunks past offset 7FFF."""
    offset = count = 0
    while offset < total:
        overhead = 2 if size < 0x80 else 3 if size < 0x100 else 4
        offset += size if offset <= 0x7FFF else size - overhead
        count += 1
    return count


def open_chip(chip: VirtualChip, trace: ApduTrace | None = None) -> SecureSender:
    """SELECT the applet and do BAC, as the kiosk does before reading."""
    select_applet(PlainSender(chip))
    return SecureSender(chip, perform_bac(chip, KEY), trace)


def bac_chip(files: dict[int, bytes], **profile) -> VirtualChip:
    return VirtualChip(ChipProfile(files, mrz_key=KEY, **profile))


# -- tables and headers ------------------------------------------------------------------------
def test_file_identifiers():
    assert FID["COM"] == 0x011E and FID["DG1"] == 0x0101 and FID["DG16"] == 0x0110
    assert FID["SOD"] == 0x011D and FID["CARD_ACCESS"] == 0x011C and FID["ATR_INFO"] == 0x2F01
    assert SFI["COM"] == 0x1E and SFI["SOD"] == 0x1D and SFI["CARD_ACCESS"] == 0x1C
    assert SFI["DG14"] == 0x0E and sfi_of(0x0102) == 2 and sfi_of(0x0555) is None


@pytest.mark.parametrize("prefix,total", [
    (b"", None), (b"\x75", None), (b"\x75\x00", 2), (b"\x75\x05", 7), (b"\x75\x81", None),
    (b"\x75\x81\xc8", 203), (b"\x75\x82\x01", None), (b"\x75\x82\x01\x00", 260),
    (b"\x7f\x61\x82\x10\x00", 0x1005), (b"\x7f", None), (b"\x5f\x1f\x01", 4),
])
def test_tlv_total_length(prefix, total):
    assert tlv_total_length(prefix) == total


@pytest.mark.parametrize("bad", [b"\x75\x80", b"\x75\x85\x01\x01\x01\x01\x01",
                                 b"\x7f\x81\x81\x01\x00"])
def test_tlv_header_errors(bad):
    with pytest.raises(MalformedChipData):
        tlv_total_length(bad)


# -- whole files over BAC ----------------------------------------------------------------------
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("mode", ["223", "231", "extended"])
def test_round_trip(size, mode):
    content = tlv_file(size)
    extended = mode == "extended"
    chip = bac_chip({DG2: content}, max_read=65536 if extended else 231, extended_length=extended)
    trace = ApduTrace()
    reader = FileReader(open_chip(chip, trace), read_size=int(mode) if not extended else 231,
                        extended=extended)
    assert reader.read_file(DG2, bytearray()) == content
    chunk = EXTENDED_READ_SIZE if extended else int(mode)
    assert trace.count == expected_reads(len(content), chunk)
    if len(content) <= 0x7FFF + chunk:
        assert trace.count == math.ceil(len(content) / chunk)
    assert (0xB1 in {e.ins for e in trace.entries}) == (len(content) > 0x7FFF + chunk)
    assert reader.read_size == chunk and chip.internal_errors == 0


@pytest.mark.parametrize("size", [1, 232, 40 * 1024])
def test_without_sfi_one_select_is_added(size):
    content = tlv_file(size)
    chip = bac_chip({DG2: content})
    trace = ApduTrace()
    reader = FileReader(open_chip(chip, trace), use_sfi=False)
    assert reader.read_file(DG2, bytearray()) == content
    assert trace.count == 1 + expected_reads(len(content), 231)
    assert trace.entries[0].ins == 0xA4


def test_plain_chip_without_access_control():
    content = tlv_file(3000)
    chip = VirtualChip(ChipProfile({DG2: content}, access="none"))
    sender = PlainSender(chip)
    select_applet(sender)
    assert FileReader(sender).read_file(DG2, bytearray()) == content


def test_card_access_is_read_from_the_master_file_before_bac():
    card_access = b"\x31\x03\x02\x01\x02"
    chip = bac_chip({FID["CARD_ACCESS"]: card_access, DG2: tlv_file(10)})
    sender = PlainSender(chip)
    assert FileReader(sender).read_file(FID["CARD_ACCESS"], bytearray()) == card_access
    with pytest.raises(FileNotOnChip):  # DG2 lives in the applet, not the MF
        FileReader(sender).read_file(DG2, bytearray())


def test_applet_files_need_bac():
    chip = bac_chip({DG2: tlv_file(10)})
    sender = PlainSender(chip)
    select_applet(sender)
    with pytest.raises(StatusWordError) as err:
        FileReader(sender).read_file(DG2, bytearray())
    assert err.value.sw == 0x6982


# -- fallbacks ---------------------------------------------------------------------------------
def test_extended_falls_back_to_231_when_the_chip_has_no_extended_length():
    content = tlv_file(5 * 1024)
    chip = bac_chip({DG2: content}, extended_length=False)
    trace = ApduTrace()
    reader = FileReader(open_chip(chip, trace), extended=True)
    assert reader.read_file(DG2, bytearray()) == content
    assert reader.read_size == 231 and not reader.extended
    assert trace.count == 1 + expected_reads(len(content), 231)
    assert trace.entries[0].sw == 0x6700


def test_231_falls_back_to_223_when_the_chip_serves_less():
    content = tlv_file(5 * 1024)
    chip = bac_chip({DG2: content}, max_read=223)
    trace = ApduTrace()
    reader = FileReader(open_chip(chip, trace))
    assert reader.read_file(DG2, bytearray()) == content
    assert reader.read_size == 223
    assert trace.count == 1 + expected_reads(len(content), 223)
    # the size that worked carries on to the next file without another 6700
    trace.entries.clear()
    reader.read_file(DG2, bytearray())
    assert trace.count == expected_reads(len(content), 223)


def test_ladder_goes_down_to_64_then_gives_up():
    content = tlv_file(500)
    chip = bac_chip({DG2: content}, max_read=100)
    reader = FileReader(open_chip(chip))
    assert reader.read_file(DG2, bytearray()) == content and reader.read_size == 64
    chip = bac_chip({DG2: content}, max_read=40)
    with pytest.raises(ChipError):
        FileReader(open_chip(chip)).read_file(DG2, bytearray())


def test_6cxx_retries_with_the_le_the_chip_names():
    content = tlv_file(1)
    chip = bac_chip({DG2: content}, max_read=231)
    trace = ApduTrace()
    sender = open_chip(chip, trace)
    chip.faults.set("wrong_le", 1)
    assert FileReader(sender).read_file(DG2, bytearray()) == content
    assert [e.sw for e in trace.entries] == [0x6C03, 0x9000]


def test_short_file_ends_with_6282_and_is_accepted():
    content = tlv_file(10)
    chip = bac_chip({DG2: content})
    trace = ApduTrace()
    assert FileReader(open_chip(chip, trace)).read_file(DG2, bytearray()) == content
    assert [e.sw for e in trace.entries] == [0x6282]


def test_missing_file_raises_file_not_on_chip():
    chip = bac_chip({DG2: tlv_file(10)})
    reader = FileReader(open_chip(chip))
    with pytest.raises(FileNotOnChip):
        reader.read_file(FID["DG3"], bytearray())
    with pytest.raises(FileNotOnChip):
        reader.select_file(FID["DG3"])
    with pytest.raises(FileNotOnChip):
        FileReader(reader.sender, use_sfi=False).read_file(FID["DG3"], bytearray())


def test_file_shorter_than_its_header_is_malformed():
    chip = bac_chip({DG2: b"\x75\x82\x01\x00" + bytes(100)})
    with pytest.raises(MalformedChipData):
        FileReader(open_chip(chip)).read_file(DG2, bytearray())
    chip = bac_chip({DG2: b""})
    with pytest.raises(MalformedChipData):
        FileReader(open_chip(chip)).read_file(DG2, bytearray())


def test_progress_reports_each_chunk():
    content = tlv_file(1000)
    seen: list[tuple[int, int]] = []
    FileReader(open_chip(bac_chip({DG2: content}))).read_file(
        DG2, bytearray(), lambda done, total: seen.append((done, total)))
    assert seen == [(min(n * 231, len(content)), len(content)) for n in range(1, 6)]


# -- resume after the document is lifted ---------------------------------------------------------
@pytest.mark.parametrize("use_sfi", [True, False])
def test_resume_after_removal(use_sfi):
    content = tlv_file(20 * 1024)
    chip = bac_chip({DG2: content})
    removed: list[bool] = []
    chip.on_removed = lambda: removed.append(True)
    first = ApduTrace()
    sender = open_chip(chip, first)
    chip.faults.set("remove_at_apdu", 30)  # counted from power-on: SELECT, GET CHALLENGE, EA, ...
    into = bytearray()
    with pytest.raises(DocumentRemoved):
        FileReader(sender, use_sfi=use_sfi).read_file(DG2, into)
    assert removed == [True]
    assert 0 < len(into) < len(content) and content.startswith(bytes(into))
    kept = len(into)
    assert kept == 231 * (26 if use_sfi else 25)  # APDUs 4..29 were reads (one SELECT without SFI)
    with pytest.raises(DocumentRemoved):
        chip.transmit(bytes.fromhex("0084000008"))

    chip.power_on()
    second = ApduTrace()
    assert FileReader(open_chip(chip, second), use_sfi=use_sfi).read_file(DG2, into) == content
    assert bytes(into) == content
    full = (0 if use_sfi else 1) + expected_reads(len(content), 231)
    assert second.count < full
    assert second.count == 1 + math.ceil((len(content) - kept) / 231)  # SELECT EF, then the rest
    assert second.entries[0].ins == 0xA4


def test_resume_with_complete_buffer_sends_nothing():
    content = tlv_file(300)
    chip = bac_chip({DG2: content})
    trace = ApduTrace()
    into = bytearray(content + b"junk")
    assert FileReader(open_chip(chip, trace)).read_file(DG2, into) == content
    assert trace.count == 0 and bytes(into) == content


def test_resume_inside_the_first_256_bytes_uses_sfi_offset():
    content = tlv_file(600)
    chip = bac_chip({DG2: content})
    trace = ApduTrace()
    into = bytearray(content[:100])
    assert FileReader(open_chip(chip, trace)).read_file(DG2, into) == content
    first = trace.entries[0]
    assert (first.ins, first.p1, first.p2) == (0xB0, 0x80 | 2, 100)


# -- scripted senders for what the virtual chip does not do ----------------------------------------
class FileSender:
    """Serves one file by READ BINARY; ``hook`` may answer first (return None to serve)."""

    def __init__(self, content: bytes,
                 hook: Callable[[CommandApdu], ResponseApdu | None] | None = None) -> None:
        self.content = content
        self.hook = hook
        self.commands: list[CommandApdu] = []

    def send(self, command: CommandApdu) -> ResponseApdu:
        self.commands.append(command)
        answer = self.hook(command) if self.hook else None
        if answer is not None:
            return answer
        if command.ins == 0xA4:
            return ResponseApdu(b"", 0x9000)
        offset = command.p2 if command.p1 & 0x80 else command.p1 << 8 | command.p2
        return ResponseApdu(self.content[offset:offset + min(command.ne or 0, 50)], 0x9000)


def test_short_answers_are_continued():
    content = tlv_file(400)
    sender = FileSender(content)
    assert FileReader(sender).read_file(DG2, bytearray()) == content
    assert len(sender.commands) == math.ceil(len(content) / 50)


def test_sm_error_on_a_large_read_steps_down():
    content = tlv_file(400)

    def hook(command: CommandApdu) -> ResponseApdu | None:
        if (command.ne or 0) > 223:
            raise SecureMessagingError("MAC mismatch")
        return None
    reader = FileReader(FileSender(content, hook))
    assert reader.read_file(DG2, bytearray()) == content and reader.read_size == 223


def test_sm_error_on_a_small_read_is_raised():
    def hook(command: CommandApdu) -> ResponseApdu | None:
        raise SecureMessagingError("MAC mismatch")
    with pytest.raises(SecureMessagingError):
        FileReader(FileSender(tlv_file(10), hook), read_size=128).read_file(DG2, bytearray())


def test_retry_budget_bounds_a_chip_that_keeps_asking():
    sender = FileSender(tlv_file(10), lambda command: ResponseApdu(b"", 0x6C05))
    with pytest.raises(ChipError, match="budget"):
        FileReader(sender, retries=5).read_file(DG2, bytearray())
    assert len(sender.commands) == 6


def test_empty_answers_spend_the_budget():
    sender = FileSender(tlv_file(10), lambda command: ResponseApdu(b"", 0x9000))
    with pytest.raises(ChipError):
        FileReader(sender).read_file(DG2, bytearray())


def test_chip_without_sfi_reads_is_selected_instead():
    content = tlv_file(300)

    def hook(command: CommandApdu) -> ResponseApdu | None:
        return ResponseApdu(b"", 0x6A86) if command.ins == 0xB0 and command.p1 & 0x80 else None
    sender = FileSender(content, hook)
    assert FileReader(sender).read_file(DG2, bytearray()) == content
    assert [c.ins for c in sender.commands[:2]] == [0xB0, 0xA4]


def test_other_refusals_are_status_word_errors():
    sender = FileSender(tlv_file(10), lambda command: ResponseApdu(b"", 0x6982))
    with pytest.raises(StatusWordError) as err:
        FileReader(sender).read_file(DG2, bytearray())
    assert err.value.sw == 0x6982


def test_a_chip_that_lists_no_dg1_is_malformed_not_a_crash():
    """Neither EF.COM nor the SOD names DG1: a typed chip error (the reader then wipes what
    it read, as after any failed read), never a KeyError that keeps the half-read files."""
    from drivers.reader.icao.errors import MalformedChipData
    from drivers.reader.icao.reading import ChipReadState, ChipSession, ReadOptions
    session = ChipSession(None, ReadOptions(), ChipReadState())  # no chip is talked to
    with pytest.raises(MalformedChipData):
        session._result(None, {2: b"\x75\x00"}, b"", None, "not_supported", 231, False)
