"""EscposReceiptPrinter against a fake thermal printer on a socat pty pair.

Everything the driver sends is decoded back (tests/printers/escpos_reader.py): text
lines in GB18030, raster pictures compared with render_receipt and their QR codes
read by zbar, the native QR symbol's payload, the cut.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from drivers.base import DeviceOffline, HealthState
from drivers.printer.base import (
    Level,
    LineStyle,
    OutOfPaper,
    PrinterError,
    PrinterJam,
    ReceiptDocument,
    ReceiptLine,
)
from drivers.printer.escpos import (
    CLEAR_BUFFER_CHOICES,
    EscposReceiptPrinter,
    clean_text,
    defuse,
    is_usable,
)
from drivers.printer.escpos import printer as escpos_printer
from drivers.printer.escpos.encoding import VOID_NOTE, cut_bytes, line_strip, raster_bands
from drivers.printer.render import printable_width, render_receipt
from kiosk.config import ConfigError, load_config
from tests.printers.escpos_reader import decode, decode_qr, tokenize
from tests.printers.fake_printer import FakeEscposPrinter, SocatPair
from tests.printers.samples import TRACKING_URL, chinese_receipt, english_receipt

RECEIPTS = {"zh": chinese_receipt, "en": english_receipt}
REALTIME = re.compile(rb"\x10[\x04\x05\x14]")
H = HealthState


def over_pty(test):
    """Starts socat: slow. The Makefile installs socat; without it these tests fail, they
    do not skip, so a machine missing it cannot pass for one that printed."""
    return pytest.mark.slow(test)


@pytest.fixture
def pair(tmp_path):
    with SocatPair(tmp_path / "socat.log") as started:
        yield started


@pytest.fixture
def fake(pair):
    printer = FakeEscposPrinter(pair.printer).start()
    yield printer
    printer.stop()


@pytest.fixture
def make_printer(pair, tmp_path):
    made: list[EscposReceiptPrinter] = []

    def make(**options) -> EscposReceiptPrinter:
        options.setdefault("status_timeout_s", 0.3)
        options.setdefault("port", pair.host)
        printer = EscposReceiptPrinter("receipt", job_index_dir=str(tmp_path / "jobs"),
                                       **options)
        made.append(printer)
        return printer

    yield make
    for printer in made:
        printer.close()


def on_paper(fake: FakeEscposPrinter):
    fake.wait_idle()
    with fake.lock:
        return decode(bytes(fake.received))


def squeeze(text: str) -> str:
    return "".join(text.split())


def cells(text: str) -> int:
    """Dots of the printer's font A: 12 a single-byte character, 24 a double-byte one."""
    return sum(12 * len(ch.encode("gb18030")) for ch in text)


def check_text_receipt(out, receipt: ReceiptDocument, paper_mm: int) -> None:
    printed = squeeze("".join(line.text for line in out.lines))
    pos = 0
    for line in receipt.lines + (ReceiptLine(receipt.qr_caption),):
        found = printed.find(squeeze(line.text), pos)
        assert found >= 0, f"{line.text!r} missing or out of order"
        pos = found + len(squeeze(line.text))
    width = printable_width(paper_mm)
    assert all(cells(line.text) * line.width <= width for line in out.lines)
    title = out.lines[0]
    assert (title.bold, title.height, title.align) == (True, 2, "center")
    assert out.qr_payloads == [TRACKING_URL]
    assert 3 <= out.qr_module_dots[0] <= 16
    assert out.images == []
    assert out.order.index("qr") < out.order.index("cut") == len(out.order) - 1


def check_raster_receipt(out, receipt: ReceiptDocument, paper_mm: int) -> None:
    assert out.order == ["image", "cut"] and out.lines == []
    image = out.images[0]
    expected = render_receipt(receipt, paper_mm)
    assert image.size == expected.size == (printable_width(paper_mm), expected.height)
    # Identical to the rendering but for the lone dots defused out of real-time commands.
    diff = ImageChops.difference(image.convert("L"), expected.convert("L"))
    changed = sum(diff.histogram()[1:])
    assert changed <= 20
    assert decode_qr(image) == [TRACKING_URL]


# -- receipts on paper --------------------------------------------------------------------

@over_pty
@pytest.mark.parametrize("mode", ["text", "raster"])
@pytest.mark.parametrize("paper_mm", [80, 58])
@pytest.mark.parametrize("language", ["zh", "en"])
def test_receipt_prints_and_reads_back(fake, make_printer, mode, paper_mm, language):
    receipt = RECEIPTS[language]()
    printer = make_printer(paper_mm=paper_mm, mode=mode)
    result = printer.print_receipt(receipt, job_key=f"job-{language}-{paper_mm}-{mode}")
    assert result.job_id.startswith("receipt-") and result.image_path is None
    out = on_paper(fake)
    assert out.cuts == 1 and out.completion_queries == 2 and out.status_queries >= 4
    names = [c.name for c in out.commands]
    assert names.index("GS r") < names.index("ESC d") < names.index("GS V")  # cut once printed
    assert names[-1] == "GS r" and "DLE DC4" not in names  # nothing to clear after a good one
    assert [c.name for c in out.job_commands[:1]] == ["ESC @"]
    if mode == "text":
        assert out.job_commands[1].name == "FS &"  # Chinese mode right after the reset
        check_text_receipt(out, receipt, paper_mm)
    else:
        check_raster_receipt(out, receipt, paper_mm)


def test_default_mode_is_text_and_much_smaller_than_raster(tmp_path):
    receipt = chinese_receipt()
    text = EscposReceiptPrinter("r", job_index_dir=str(tmp_path))
    raster = EscposReceiptPrinter("r", job_index_dir=str(tmp_path), mode="raster")
    assert text.mode == "text"
    assert len(text.encode_receipt(receipt)) * 20 < len(raster.encode_receipt(receipt))


def test_a_line_the_printer_font_cannot_show_goes_as_a_picture(tmp_path):
    rare = ReceiptLine("居住地址：株洲市𠀀𠀁村")  # CJK extension B: four bytes in GB18030
    receipt = ReceiptDocument((ReceiptLine("回执", LineStyle.TITLE, "center"), rare,
                               ReceiptLine("请妥善保管")), TRACKING_URL)
    printer = EscposReceiptPrinter("r", job_index_dir=str(tmp_path), paper_mm=58)
    out = decode(printer.encode_receipt(receipt))
    assert [line.text for line in out.lines if line.text] == ["回执", "请妥善保管"]
    assert out.order[:3] == ["text", "image", "text"]
    assert out.images[0].width == printable_width(58)
    assert out.qr_payloads == [TRACKING_URL]


def test_receipt_text_cannot_smuggle_commands(tmp_path):
    sneaky = ReceiptLine("A\x1b@B\x10\x04\x01C\x1dV\x00D\tE\u200bF")
    printer = EscposReceiptPrinter("r", job_index_dir=str(tmp_path))
    out = decode(printer.encode_receipt(ReceiptDocument((sneaky,), TRACKING_URL)))
    names = [c.name for c in out.commands]
    assert names.count("ESC @") == 1 and names.count("GS V") == 1
    assert "DLE EOT" not in names
    assert out.lines[0].text == "A@BCVD EF" == clean_text(sneaky.text)


@pytest.mark.parametrize("mode", ["text", "raster"])
@pytest.mark.parametrize("paper_mm", [80, 58])
def test_no_real_time_command_hides_in_a_job(tmp_path, mode, paper_mm):
    printer = EscposReceiptPrinter("r", job_index_dir=str(tmp_path), mode=mode,
                                   paper_mm=paper_mm)
    for receipt in (chinese_receipt(), english_receipt()):
        job = printer.encode_receipt(receipt)
        assert REALTIME.search(job) is None
        assert not any(c.name.startswith("DLE") for c in tokenize(job))


def test_defuse_clears_only_the_dle_of_real_time_sequences():
    assert defuse(b"\x10\x04\x01\x10\x05\x02\x10\x14\x08\x10\x10\x04\x10\x20") == \
        b"\x00\x04\x01\x00\x05\x02\x00\x14\x08\x10\x00\x04\x10\x20"


def test_raster_bands_defuse_a_picture_that_spells_dle_eot():
    picture = Image.new("1", (24, 300), 1)
    for x in (3, 13, 23):  # row 0 packs to the bytes 10 04 01: DLE EOT 1
        picture.putpixel((x, 0), 0)
    bands = raster_bands(picture)
    assert len(bands) == 2  # 256 rows, then 44
    job = b"".join(bands)
    assert REALTIME.search(job) is None
    back = decode(job).images[0]
    assert back.size == picture.size
    assert [x for x in range(24) if back.getpixel((x, 0)) == 0] == [13, 23]  # lost one dot


def test_is_usable_names_the_transports():
    usable, why = is_usable()
    assert usable and "python-escpos" in why and "serial (pyserial" in why


# -- status -------------------------------------------------------------------------------

STATES = [
    ({}, H.OK, "", Level.OK, None),
    ({"paper": "near_end"}, H.WARNING, "paper_low", Level.LOW, None),
    ({"paper": "out"}, H.ERROR, "paper_out", Level.EMPTY, OutOfPaper),
    ({"cover_open": True}, H.ERROR, "cover_open", Level.OK, PrinterError),
    ({"offline": True}, H.OFFLINE, "printer_offline", Level.OK, DeviceOffline),
    ({"cutter_error": True}, H.ERROR, "printer_jam", Level.OK, PrinterJam),
    ({"silent": True}, H.UNKNOWN, "printer_silent", Level.UNKNOWN, DeviceOffline),
    ({"garbled": True}, H.UNKNOWN, "printer_garbled", Level.UNKNOWN, DeviceOffline),
]


@over_pty
@pytest.mark.parametrize("state, health, code, paper, refusal", STATES,
                         ids=[code or "ok" for _, _, code, _, _ in STATES])
def test_status_maps_to_health_supplies_and_refusals(fake, make_printer, state, health, code,
                                                     paper, refusal):
    for name, value in state.items():
        setattr(fake, name, value)
    printer = make_printer()
    seen = printer.health()
    assert (seen.state, seen.code) == (health, code)
    assert printer.supplies().get("paper").level is paper
    if refusal is None:
        printer.print_receipt(chinese_receipt(), job_key="k")
        assert on_paper(fake).cuts == 1
        return
    with pytest.raises(refusal) as raised:
        printer.print_receipt(chinese_receipt(), job_key="k")
    assert raised.value.code == code
    assert fake.job_commands() == []  # not one byte of the receipt was sent


@over_pty
def test_paper_out_before_the_receipt_sends_nothing_and_records_nothing(fake, make_printer):
    fake.paper = "out"
    printer = make_printer()
    with pytest.raises(OutOfPaper):
        printer.print_receipt(chinese_receipt(), job_key="k")
    out = on_paper(fake)
    assert out.job_commands == [] and out.status_queries >= 4
    fake.load_paper()
    printer.print_receipt(chinese_receipt(), job_key="k")  # not taken as printed before
    assert on_paper(fake).cuts == 1


@over_pty
@pytest.mark.parametrize("mode", ["text", "raster"])
def test_paper_out_during_the_receipt_fails_it_and_a_retry_prints_it(fake, make_printer, mode):
    printer = make_printer(mode=mode)
    receipt = chinese_receipt()
    fake.paper_out_after = len(printer.encode_receipt(receipt)) // 2
    started = time.monotonic()
    with pytest.raises(OutOfPaper):
        printer.print_receipt(receipt, job_key="k")
    assert time.monotonic() - started < 2.0
    assert not any(c.name == "GS V" for c in fake.job_commands())  # the cut was never sent
    assert fake.held == [] and fake.clears == 1  # the rest was cleared
    assert printer.health().code == "paper_out"
    assert printer.supplies().get("paper").level is Level.EMPTY

    fake.load_paper()
    first = printer.print_receipt(receipt, job_key="k")  # the failed job was not recorded
    assert sum(c.name == "GS V" for c in fake.printed) == 1
    with fake.lock:
        fake.received.clear()
    assert printer.print_receipt(receipt, job_key="k") == first
    assert on_paper(fake).commands == []


@over_pty
def test_same_job_key_prints_once_even_after_a_restart(fake, make_printer):
    printer = make_printer()
    first = printer.print_receipt(chinese_receipt(), job_key="app-1")
    assert on_paper(fake).cuts == 1
    with fake.lock:
        fake.received.clear()
    assert printer.print_receipt(chinese_receipt(), job_key="app-1") == first
    printer.close()
    restarted = make_printer()
    assert restarted.print_receipt(chinese_receipt(), job_key="app-1") == first
    assert on_paper(fake).commands == []  # not even a status query
    restarted.print_receipt(chinese_receipt(), job_key="app-2")
    assert on_paper(fake).cuts == 1


@over_pty
def test_a_printer_without_gs_r_is_believed_once_its_status_stays_fine(fake, make_printer,
                                                                      monkeypatch):
    monkeypatch.setattr(escpos_printer, "_PRINT_MM_PER_S", 2000.0)
    monkeypatch.setattr(escpos_printer, "_CONFIRM_SLACK_S", 0.3)
    fake.answers_gs_r = False
    printer = make_printer()
    printer.print_receipt(english_receipt(), job_key="k")
    assert on_paper(fake).cuts == 1
    fake.paper_out_after = 100
    with pytest.raises(OutOfPaper):
        printer.print_receipt(english_receipt(), job_key="k2")


@over_pty
def test_health_never_raises_when_the_printer_goes_away(pair, fake, make_printer):
    printer = make_printer()
    assert printer.health().state is H.OK
    fake.stop()
    pair.close()  # socat gone: both ptys vanish under the open port
    for _ in range(2):  # the open port fails, then reopening it fails
        seen = printer.health()
        assert (seen.state, seen.code) == (H.OFFLINE, "device_offline")
    assert printer.supplies().get("paper").level is Level.UNKNOWN
    with pytest.raises(DeviceOffline):
        printer.print_receipt(chinese_receipt(), job_key="k")
    printer.close()
    printer.close()


def test_a_missing_port_is_offline_and_never_raises_from_health(tmp_path):
    printer = EscposReceiptPrinter("r", job_index_dir=str(tmp_path), port="/dev/no-such-tty",
                                   status_timeout_s=0.1)
    printer.open()  # the kiosk still starts
    seen = printer.health()
    assert (seen.state, seen.code) == (H.OFFLINE, "device_offline")
    assert "/dev/no-such-tty" in seen.detail
    assert printer.supplies().get("paper").level is Level.UNKNOWN
    with pytest.raises(DeviceOffline):
        printer.print_receipt(chinese_receipt(), job_key="k")
    printer.close()


@over_pty
def test_faults_override_what_the_printer_says(fake, make_printer):
    printer = make_printer(faults={"paper_out": True})
    assert printer.health().code == "paper_out"
    printer.faults.clear()
    printer.faults.set("offline")
    assert printer.health().state is H.OFFLINE


def test_network_transport_prints_to_port_9100_style_socket(tmp_path):
    with socket.create_server(("127.0.0.1", 0)) as server:
        printer = EscposReceiptPrinter("r", job_index_dir=str(tmp_path), transport="network",
                                       host="127.0.0.1", tcp_port=server.getsockname()[1],
                                       status_timeout_s=0.5)
        printer.open()
        conn, _ = server.accept()
        fake = FakeEscposPrinter("tcp").start(fd=conn.detach())
        try:
            assert printer.health().state is H.OK
            printer.print_receipt(english_receipt(), job_key="k")
            out = on_paper(fake)
            assert out.cuts == 1 and out.qr_payloads == [TRACKING_URL]
        finally:
            printer.close()
            fake.stop()


# -- the rest of a receipt cut off part way ------------------------------------------------

WRITER = Path(__file__).with_name("receipt_writer.py")
ROOT = Path(__file__).resolve().parents[2]
VOID_TITLE = "作废 VOID"


def check_whole_once(out, receipt: ReceiptDocument, mode: str) -> None:
    """One whole receipt, its own cut last, and no void note."""
    assert out.cuts == 1
    assert VOID_TITLE not in out.text
    if mode == "text":
        check_text_receipt(out, receipt, 80)
    else:
        check_raster_receipt(out, receipt, 80)


def check_void_note_closes_the_piece(out, mode: str) -> None:
    """The note comes right under what is above it, then the one cut of that piece."""
    assert out.cuts == 1 and out.order[-1] == "cut"
    assert "cut" not in out.order[:-1]  # nothing cuts the piece before the note
    if mode == "text":
        texts = [line.text for line in out.lines]
        at = texts.index(VOID_TITLE)
        assert out.lines[at].bold and out.lines[at].height == 2
        assert "Please hand it to staff" in " ".join(texts[at:])
        return
    # Raster printers have no Chinese font: the note is a picture, the lines as drawn.
    strips = [line_strip(line, printable_width(80), 40 if line.style is LineStyle.TITLE else 24)
              for line in VOID_NOTE]
    expected = Image.new("1", (printable_width(80), sum(s.height for s in strips)), 1)
    top = 0
    for strip in strips:
        expected.paste(strip, (0, top))
        top += strip.height
    assert out.order[-3:] == ["image", "image", "cut"]  # the rest, the note, one cut
    diff = ImageChops.difference(out.images[-1].convert("L"), expected.convert("L"))
    assert sum(diff.histogram()[1:]) <= 20


def half_way(printer: EscposReceiptPrinter, receipt: ReceiptDocument) -> int:
    return len(printer.encode_receipt(receipt)) // 2


@over_pty
@pytest.mark.parametrize("mode", ["text", "raster"])
def test_a_cleared_rest_never_prints_and_the_reprint_comes_out_once_whole(fake, make_printer,
                                                                           mode):
    printer = make_printer(mode=mode)
    receipt = chinese_receipt()
    fake.paper_out_after = half_way(printer, receipt)
    with pytest.raises(OutOfPaper):
        printer.print_receipt(receipt, job_key="k")
    assert fake.clears == 1 and fake.held == []
    assert decode(fake.paper_since()).cuts == 0  # the head, on the spent roll's end

    loaded = fake.mark()
    fake.load_paper()
    fake.wait_idle()
    assert fake.paper_since(loaded) == b""  # nothing residual on the new roll

    printer.print_receipt(receipt, job_key="k")
    check_whole_once(decode(fake.paper_since(loaded)), receipt, mode)


@over_pty
@pytest.mark.parametrize("mode", ["text", "raster"])
@pytest.mark.parametrize("clear_buffer", ["dle_dc4", "void"])
def test_without_a_clear_the_rest_prints_under_a_void_note_then_the_reprint_once(
        fake, make_printer, clear_buffer, mode):
    fake.supports_clear = False
    printer = make_printer(mode=mode, clear_buffer=clear_buffer)
    receipt = chinese_receipt()
    fake.paper_out_after = half_way(printer, receipt)
    with pytest.raises(OutOfPaper):
        printer.print_receipt(receipt, job_key="k")
    assert fake.held and fake.clears == 0
    sent_clear = b"\x10\x14\x08" in fake.received
    assert sent_clear is (clear_buffer == "dle_dc4")  # "void" never sends it
    head = decode(fake.paper_since())

    fake.wait_idle()  # the note (12 kB as raster) may still be crossing the pty
    loaded = fake.mark()
    fake.load_paper()
    rest = decode(fake.paper_since(loaded), chinese=True)
    check_void_note_closes_the_piece(rest, mode)
    if mode == "text":  # head and rest together are the receipt, each part once
        assert "居住证申请回执" not in rest.text and rest.qr_payloads == [TRACKING_URL]
        whole = decode(fake.paper_since())
        assert squeeze(whole.text).startswith(squeeze(head.text))
        check_text_receipt(whole, receipt, 80)
        for line in receipt.lines:
            assert squeeze(whole.text).count(squeeze(line.text)) == 1

    reprinted = fake.mark()
    printer.print_receipt(receipt, job_key="k")
    check_whole_once(decode(fake.paper_since(reprinted)), receipt, mode)


@over_pty
def test_a_cover_opened_mid_receipt_is_cleared_and_the_printed_part_marked_and_cut(
        fake, make_printer):
    printer = make_printer()
    receipt = chinese_receipt()
    fake.cover_opens_after = half_way(printer, receipt)
    with pytest.raises(PrinterError) as raised:
        printer.print_receipt(receipt, job_key="k")
    assert raised.value.code == "cover_open"
    assert fake.clears == 1
    fake.wait_idle()
    fake.close_cover()
    out = decode(fake.paper_since())
    assert "居住证申请回执" in out.text and out.qr_payloads == []  # the head, no more
    check_void_note_closes_the_piece(out, "text")
    after = fake.mark()
    printer.print_receipt(receipt, job_key="k")
    check_whole_once(decode(fake.paper_since(after)), receipt, "text")


@over_pty
def test_paper_out_during_the_feed_before_the_cut_still_counts_as_printed(fake, make_printer):
    printer = make_printer()
    receipt = chinese_receipt()
    body = len(printer.encode_receipt(receipt)) - len(cut_bytes())
    fake.paper_out_after = body + 3 + 1  # the body, its GS r, then the roll ends in ESC d
    first = printer.print_receipt(receipt, job_key="k")
    out = decode(fake.paper_since())
    assert out.cuts == 0 and out.qr_payloads == [TRACKING_URL]  # all of it is on paper
    assert fake.clears == 0 and [c.name for c in fake.held] == ["GS V", "GS r"]
    loaded = fake.mark()
    fake.load_paper()  # the held cut finishes the receipt's piece: blank, nothing twice
    tail = decode(fake.paper_since(loaded))
    assert tail.cuts == 1 and tail.lines == [] and tail.qr_payloads == []
    with fake.lock:
        fake.received.clear()
    assert printer.print_receipt(receipt, job_key="k") == first
    assert fake.received == b""


def print_then_kill(pair, fake: FakeEscposPrinter, jobs: Path, clear_buffer: str) -> None:
    """A kiosk process prints; when the fake pauses at its chosen byte, SIGKILL it."""
    proc = subprocess.Popen([sys.executable, str(WRITER), pair.host, str(jobs), clear_buffer],
                            cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not fake.frozen:
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the printing process ended early: " + proc.stderr.read()[-2000:])
            time.sleep(0.005)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    fake.thaw()
    fake.wait_idle()
    time.sleep(0.1)  # answers to the dead process's queries drain from the pty


@over_pty
@pytest.mark.parametrize("supports_clear", [True, False], ids=["clears", "cannot_clear"])
def test_a_kiosk_killed_mid_receipt_by_a_paper_end_settles_the_rest_on_restart(
        pair, fake, make_printer, tmp_path, supports_clear):
    fake.supports_clear = supports_clear
    receipt = chinese_receipt()
    middle = half_way(make_printer(), receipt)
    fake.paper_out_after = fake.freeze_after = middle
    print_then_kill(pair, fake, tmp_path / "jobs", "dle_dc4")
    assert fake.held  # the rest waits in the printer; nobody settled it

    restarted = make_printer()  # the same job_index_dir: the kiosk after its restart
    restarted.open()
    assert fake.clears == int(supports_clear)
    loaded = fake.mark()
    fake.load_paper()
    rest = fake.paper_since(loaded)
    if supports_clear:
        assert rest == b""
    else:
        check_void_note_closes_the_piece(decode(rest, chinese=True), "text")

    again = make_printer()  # settled once: the next start sends and prints nothing
    with fake.lock:
        fake.received.clear()
    again.open()
    fake.wait_idle()
    assert fake.received == b""
    after = fake.mark()
    again.print_receipt(receipt, job_key="next-resident")
    check_whole_once(decode(fake.paper_since(after)), receipt, "text")


@over_pty
def test_a_kiosk_killed_mid_receipt_with_paper_in_cuts_off_what_printed_on_restart(
        pair, fake, make_printer, tmp_path):
    receipt = chinese_receipt()
    fake.freeze_after = half_way(make_printer(), receipt)
    print_then_kill(pair, fake, tmp_path / "jobs", "void")
    assert fake.held == []  # the printer went on with whatever reached it

    make_printer(clear_buffer="void").open()
    fake.wait_idle()
    out = decode(fake.paper_since())
    assert "居住证申请回执" in out.text
    check_void_note_closes_the_piece(out, "text")  # not glued to the next receipt
    after = fake.mark()
    make_printer(clear_buffer="void").print_receipt(receipt, job_key="next-resident")
    check_whole_once(decode(fake.paper_since(after)), receipt, "text")


def test_clear_buffer_is_checked_when_the_config_loads(tmp_path):
    site = tmp_path / "site.toml"
    site.write_text('[devices.receipt_printer]\ndriver = "escpos"\n'
                    '[devices.receipt_printer.options]\njob_index_dir = "var/printed"\n'
                    'clear_buffer = "init"\n')
    with pytest.raises(ConfigError) as raised:
        load_config(site)
    assert "site.toml" in str(raised.value) and "clear_buffer" in str(raised.value)
    for choice in CLEAR_BUFFER_CHOICES:
        site.write_text('[devices.receipt_printer]\ndriver = "escpos"\n'
                        '[devices.receipt_printer.options]\njob_index_dir = "var/printed"\n'
                        f'clear_buffer = "{choice}"\n')
        assert load_config(site).devices.receipt_printer.options["clear_buffer"] == choice
    with pytest.raises(ValueError):
        EscposReceiptPrinter("r", job_index_dir=str(tmp_path), clear_buffer="init")


@over_pty
def test_a_cover_opened_at_the_cut_fails_the_call_but_never_prints_a_second_copy(
        fake, make_printer):
    printer = make_printer()
    receipt = chinese_receipt()
    body = len(printer.encode_receipt(receipt)) - len(cut_bytes())
    fake.cover_opens_after = body + 3 + 1  # the body and its GS r, then the cover in ESC d
    with pytest.raises(PrinterError) as raised:
        printer.print_receipt(receipt, job_key="k")
    assert raised.value.code == "cover_open" and fake.clears == 0
    fake.close_cover()  # the held cut finishes the receipt's own piece
    check_whole_once(decode(fake.paper_since()), receipt, "text")
    with fake.lock:
        fake.received.clear()
    printer.print_receipt(receipt, job_key="k")
    assert fake.received == b""
