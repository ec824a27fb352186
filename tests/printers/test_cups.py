"""The card printer through IPP and CUPS, against CUPS's own test printer (ippeveprinter)
and a private cupsd: no mocks of the protocol.

The IPP encoding and PWG raster tests at the top need no daemon; the rest are marked
slow because they start ippeveprinter, dbus-daemon and (once) cupsd.
"""

from __future__ import annotations

import datetime as dt
import http.server
import io
import struct
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from drivers.base import DeviceOffline, HealthState
from drivers.printer import pwg_raster
from drivers.printer.base import JobState, Level, OutOfCards, OutOfRibbon, PrinterError, PrinterJam
from drivers.printer.card_render import CARD_MM
from drivers.printer.cups import CupsCardPrinter, job_name
from drivers.printer.ipp import (
    Group,
    IppMalformed,
    IppMessage,
    Op,
    Resolution,
    Tag,
    attr,
    decode_message,
    encode_message,
    http_url,
)
from tests.drivers.samples import card
from tests.printers.ipp_printer import (
    MISSING_CUPSD,
    MISSING_IPPEVE,
    IppEvePrinter,
    IppFront,
    PrivateCupsd,
    SystemBus,
    free_port,
    wait_until,
)

CARD_300 = tuple(round(mm / 25.4 * 300) for mm in CARD_MM)  # (1011, 638)


# ----------------------------------------------------------------------------- no daemons

def test_ipp_message_round_trip_keeps_every_value_type():
    when = dt.datetime(2026, 11, 22, 14, 5, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    group = Group(Tag.JOB, [
        attr("job-name", Tag.NAME, "kiosk-card-1"),
        attr("sides-supported", Tag.KEYWORD, "one-sided", "two-sided-long-edge"),
        attr("job-id", Tag.INTEGER, 42),
        attr("printer-resolution", Tag.RESOLUTION, Resolution(300, 300)),
        attr("copies-supported", Tag.RANGE, (1, 9)),
        attr("printer-is-accepting-jobs", Tag.BOOLEAN, True),
        attr("time-at-creation", Tag.DATE_TIME, when),
        attr("media-col", Tag.BEGIN_COLLECTION,
             {"media-size": {"x-dimension": 5398, "y-dimension": 8560},
              "media-source": "main"}),
        attr("printer-geo-location", Tag.UNKNOWN, None),
    ])
    message = IppMessage(Op.PRINT_JOB, 7, [group], (2, 0), b"document bytes")
    decoded = decode_message(encode_message(message))
    job = decoded.group(Tag.JOB)
    assert (decoded.code, decoded.request_id, decoded.version) == (Op.PRINT_JOB, 7, (2, 0))
    assert decoded.data == b"document bytes"
    assert job.all("sides-supported") == ["one-sided", "two-sided-long-edge"]
    assert job.get("job-id") == 42 and job.get("printer-resolution").dpi == 300
    assert job.get("copies-supported") == (1, 9) and job.get("printer-is-accepting-jobs") is True
    assert job.get("time-at-creation") == when
    assert job.get("media-col") == {"media-size": {"x-dimension": 5398, "y-dimension": 8560},
                                    "media-source": "main"}
    assert job.attribute("printer-geo-location").tag == Tag.UNKNOWN
    assert job.get("printer-geo-location", "absent") == "absent"


@pytest.mark.parametrize("cut", [3, 9, 12, 20, -3])
def test_truncated_ipp_answer_is_a_typed_error(cut):
    body = encode_message(IppMessage(0, 1, [Group(Tag.OPERATION, [
        attr("attributes-charset", Tag.CHARSET, "utf-8"),
        attr("status-message", Tag.TEXT, "successful-ok")])]))
    with pytest.raises(IppMalformed):
        decode_message(body[:cut])


def test_garbage_and_bad_values_are_typed_errors():
    with pytest.raises(IppMalformed, match="not an IPP answer"):
        decode_message(b"<html>hello</html>")
    bad_integer = struct.pack(">BBHI", 2, 0, 0, 1) + bytes([Tag.PRINTER, Tag.INTEGER]) + \
        struct.pack(">H", 6) + b"job-id" + struct.pack(">H", 2) + b"\x00\x01" + bytes([Tag.END])
    with pytest.raises(IppMalformed, match="needs 4"):
        decode_message(bad_integer)
    no_end = struct.pack(">BBHI", 2, 0, 0, 1) + bytes([Tag.PRINTER, Tag.BEGIN_COLLECTION]) + \
        struct.pack(">H", 3) + b"col" + struct.pack(">H", 0)
    with pytest.raises(IppMalformed):
        decode_message(no_end)


def test_printer_uris_map_to_http():
    assert http_url("ipp://localhost/printers/card") == "http://localhost:631/printers/card"
    assert http_url("ipps://printer:443/ipp/print") == "https://printer:443/ipp/print"
    with pytest.raises(ValueError):
        http_url("socket://printer:9100")


def test_pwg_raster_round_trip_is_lossless():
    front = Image.new("RGB", (101, 64), (250, 251, 253))
    front.paste((24, 62, 120), (0, 0, 101, 9))
    front.putpixel((50, 30), (1, 2, 3))
    noisy = Image.effect_noise((101, 64), 60).convert("RGB")
    data = pwg_raster.encode([front, noisy], 300, duplex=True, page_size_name="cr80")
    pages = pwg_raster.decode(data)
    assert [p[1].tobytes() for p in pages] == [front.tobytes(), noisy.tobytes()]
    info = pages[0][0]
    assert info.dpi == (300, 300) and info.duplex and info.total_pages == 2
    assert info.page_size_name == "cr80" and info.page_size_pt == (24, 15)


# ----------------------------------------------------------------------------- fixtures

needs_ippeve = pytest.mark.skipif(MISSING_IPPEVE is not None, reason=MISSING_IPPEVE or "")
needs_cupsd = pytest.mark.skipif(MISSING_CUPSD is not None, reason=MISSING_CUPSD or "")


@pytest.fixture(scope="module")
def system_bus(tmp_path_factory):
    if MISSING_IPPEVE:
        pytest.skip(MISSING_IPPEVE)
    bus = SystemBus(tmp_path_factory.mktemp("bus")).start()
    yield bus
    bus.stop()


@pytest.fixture
def ippeve(system_bus, tmp_path):
    """Start printers for one test; every one is stopped at its end."""
    started: list[IppEvePrinter] = []

    def start(**kwargs) -> IppEvePrinter:
        printer = IppEvePrinter(tmp_path / f"printer{len(started)}", system_bus, **kwargs)
        started.append(printer)
        return printer.start()

    yield start
    for printer in started:
        printer.stop()


@pytest.fixture
def kiosk(tmp_path):
    def make(uri: str, index: str = "index", **options) -> CupsCardPrinter:
        options.setdefault("poll_s", 0.05)
        options.setdefault("job_timeout_s", 20)
        return CupsCardPrinter("card", uri=uri, job_index_dir=str(tmp_path / index), **options)
    return make


# ----------------------------------------------------------------------------- ippeveprinter

@pytest.mark.slow
@needs_ippeve
def test_card_prints_once_at_cr80_and_the_printers_resolution(ippeve, kiosk):
    printer = ippeve()
    card_printer = kiosk(printer.uri)
    assert card_printer.health().state is HealthState.OK

    result = card_printer.print_card(card(), "job-key-1")

    assert result.pages == 1 and result.image_path is None
    runs = printer.printed()
    assert len(runs) == 1 and runs[0]["job_id"] == int(result.job_id)
    assert runs[0]["name"] == job_name("job-key-1") and "job-key-1" not in runs[0]["name"]
    assert runs[0]["format"] == "image/pwg-raster" and runs[0]["sides"] == "one-sided"
    assert runs[0]["media"] == "om_cr80_53.98x85.6mm"
    [(info, image)] = pwg_raster.decode(printer.document(int(result.job_id)))
    assert (info.width, info.height) == CARD_300 and info.dpi == (300, 300)
    assert info.mode == "RGB" and not info.duplex
    assert image.getpixel((CARD_300[0] // 2, 5)) == (24, 62, 120), "the navy header band"

    again = card_printer.print_card(card(), "job-key-1")
    assert again == result and len(printer.runs()) == 1, "the same key never prints twice"
    assert card_printer.find_job("job-key-1").completed
    assert card_printer.job_state("job-key-1") is JobState.COMPLETED
    assert card_printer.job_state("never-sent") is None


@pytest.mark.slow
@needs_ippeve
def test_duplex_prints_front_and_back_in_one_job(ippeve, kiosk):
    printer = ippeve()
    result = kiosk(printer.uri, duplex=True).print_card(card(), "duplex-key")

    assert result.pages == 2
    [run] = printer.printed()
    assert run["sides"] == "two-sided-long-edge"
    pages = pwg_raster.decode(printer.document(run["job_id"]))
    assert len(pages) == 2
    assert all((info.width, info.height) == CARD_300 and info.duplex and info.total_pages == 2
               for info, _ in pages)
    front, back = pages[0][1], pages[1][1]
    assert front.tobytes() != back.tobytes()


@pytest.mark.slow
@needs_ippeve
def test_png_printer_gets_png_at_its_own_resolution_and_refuses_duplex(ippeve, kiosk):
    printer = ippeve(attributes=None, legacy_args=("-f", "image/png", "-s", "6,6"))
    result = kiosk(printer.uri).print_card(card(), "png-key")

    [run] = printer.printed()
    assert run["format"] == "image/png"
    with Image.open(io.BytesIO(printer.document(int(result.job_id)))) as image:
        assert image.format == "PNG"
        # ippeveprinter's built-in printer has 600 dpi only: the card is drawn at 600
        assert image.size == tuple(round(mm / 25.4 * 600) for mm in CARD_MM)

    with pytest.raises(PrinterError) as refused:
        kiosk(printer.uri, index="duplex", duplex=True).print_card(card(), "png-duplex")
    assert refused.value.code == "card_format_unsupported"
    assert len(printer.runs()) == 1, "nothing was submitted"


@pytest.mark.slow
@needs_ippeve
def test_job_aborted_by_the_printer_raises_and_a_retry_prints(ippeve, kiosk):
    printer = ippeve()
    printer.plan([{"error": "printhead lifted"}, {"exit": 1}])
    card_printer = kiosk(printer.uri)

    with pytest.raises(PrinterError) as failed:
        card_printer.print_card(card(), "abort-key")

    assert failed.value.code == "card_print_failed"
    assert "aborted" in failed.value.detail and "printhead lifted" in failed.value.detail
    aborted = card_printer.find_job("abort-key")
    assert aborted.state == 8 and aborted.failed
    assert card_printer.job_state("abort-key") is JobState.FAILED

    result = card_printer.print_card(card(), "abort-key")  # the resident tries again
    assert int(result.job_id) != aborted.job_id
    assert [r["outcome"] for r in printer.runs()] == ["failed", "printed"]


@pytest.mark.slow
@needs_ippeve
def test_jam_during_the_job_cancels_it(ippeve, kiosk):
    printer = ippeve()
    printer.plan([{"state": "+media-jam"}, {"sleep": 1.5}])
    card_printer = kiosk(printer.uri)
    started = time.monotonic()

    with pytest.raises(PrinterJam):
        card_printer.print_card(card(), "jam-key")

    assert time.monotonic() - started < 1.5, "raised while the printer still held the card"
    job = card_printer.find_job("jam-key")
    assert printer.wait_job(job.job_id) == 7, "cancelled, not left to print later"
    health = card_printer.health()
    assert (health.state, health.code) == (HealthState.ERROR, "printer_jam")


@pytest.mark.slow
@needs_ippeve
def test_media_empty_before_the_job_raises_before_submitting(ippeve, kiosk):
    printer = ippeve()
    printer.prime({"state": "+media-empty"})
    card_printer = kiosk(printer.uri)
    jobs_before = printer.jobs()

    with pytest.raises(OutOfCards):
        card_printer.print_card(card(), "empty-key")

    assert printer.jobs() == jobs_before, "no job was submitted"
    assert card_printer.supplies().get("cards").level is Level.EMPTY
    health = card_printer.health()
    assert (health.state, health.code) == (HealthState.ERROR, "cards_out")


@pytest.mark.slow
@needs_ippeve
def test_ribbon_low_then_empty_from_reasons_and_marker_levels(ippeve, kiosk):
    printer = ippeve()
    printer.prime({"state": "+marker-supply-low"},
                  {"attr": "marker-names=Ribbon marker-types=ink-ribbon marker-colors=#000000 "
                           "marker-levels=12 marker-low-levels=20 marker-high-levels=100"})
    card_printer = kiosk(printer.uri)

    supplies = card_printer.supplies()
    assert supplies.get("ribbon").level is Level.LOW and supplies.get("cards").level is Level.OK
    assert supplies.ready
    assert (card_printer.health().state, card_printer.health().code) == \
        (HealthState.WARNING, "ribbon_low")
    card_printer.print_card(card(), "low-ribbon-key")  # low still prints

    printer.prime({"state": "-marker-supply-low"}, {"attr": "marker-levels=0"})
    assert card_printer.supplies().get("ribbon").level is Level.EMPTY, "marker-levels alone"
    with pytest.raises(OutOfRibbon):
        card_printer.print_card(card(), "no-ribbon-key")


@pytest.mark.slow
@needs_ippeve
def test_a_job_stuck_beyond_the_timeout_is_cancelled(ippeve, kiosk):
    printer = ippeve()
    printer.plan([{"wait_file": "release", "timeout": 10}])
    card_printer = kiosk(printer.uri, job_timeout_s=0.8)

    with pytest.raises(PrinterError) as stuck:
        card_printer.print_card(card(), "slow-key")

    assert stuck.value.code == "card_print_timeout"
    job = card_printer.find_job("slow-key")
    printer.release()
    assert printer.wait_job(job.job_id) == 7


@pytest.mark.slow
@needs_ippeve
def test_a_restarted_kiosk_finds_its_jobs_by_key(ippeve, kiosk):
    printer = ippeve()
    before_restart = kiosk(printer.uri, index="before")
    printed = before_restart.print_card(card(), "done-key")

    after_restart = kiosk(printer.uri, index="lost")  # a new instance, its index gone
    found = after_restart.find_job("done-key")
    assert found is not None and found.completed and found.job_id == int(printed.job_id)
    assert found.user == "kiosk"
    assert after_restart.print_card(card(), "done-key").job_id == printed.job_id
    assert len(printer.runs()) == 1, "found in the history, not printed again"

    # a kiosk that died mid-job: the job is still processing when the new one asks
    printer.plan([{"wait_file": "release", "timeout": 10}])
    outcome: dict[str, BaseException] = {}

    def print_and_die():
        try:
            before_restart.print_card(card(), "busy-key")
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome["error"] = exc

    thread = threading.Thread(target=print_and_die)
    thread.start()

    def busy_job_in_the_queue() -> bool:
        job = after_restart.find_job("busy-key")
        return job is not None and job.active

    assert wait_until(busy_job_in_the_queue, 5)
    assert after_restart.job_state("busy-key") is JobState.PENDING
    busy = after_restart.find_job("busy-key")
    cancelled = cancel_in_a_thread(after_restart, "busy-key")
    # ippeveprinter takes the cancel mid-job and ends the job when its command returns:
    # until then the kiosk follows it, it does not call it cancelled
    assert wait_until(lambda: "processing-to-stop-point" in printer.job_reasons(busy.job_id), 5)
    assert not cancelled.done.is_set(), "a job still processing is not reported cancelled"
    printer.release()
    assert cancelled.done.wait(10) and cancelled.value is True
    assert printer.wait_job(busy.job_id) == 7
    thread.join(10)
    assert outcome["error"].code == "card_print_failed"
    assert "canceled" in outcome["error"].detail
    assert after_restart.job_state("busy-key") is JobState.FAILED
    assert [state for _, _, state in printer.jobs()] == [9, 7]

    # the printer is power-cycled and forgets its jobs: what this kiosk saw complete stays
    # COMPLETED; a job it sent but never saw end is UNKNOWN, not "never sent"
    printer.stop()
    printer.start(same_port=True)
    assert printer.jobs() == []
    assert before_restart.job_state("done-key") is JobState.COMPLETED
    assert before_restart.job_state("busy-key") is JobState.UNKNOWN
    assert before_restart.job_state("never-sent") is None


class Answer:
    """What a call made on another thread returned, once it has."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: object = None


def cancel_in_a_thread(card_printer: CupsCardPrinter, job_key: str) -> Answer:
    answer = Answer()

    def run() -> None:
        try:
            answer.value = card_printer.cancel_job(job_key)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            answer.value = exc
        answer.done.set()

    threading.Thread(target=run, daemon=True).start()
    return answer


@pytest.mark.slow
@needs_ippeve
@pytest.mark.parametrize("cancel", ["ignore", "refuse"])
def test_a_cancel_the_printer_cannot_honour_is_not_a_cancelled_job(ippeve, kiosk, cancel):
    """A card printer that cannot stop a card in motion takes Cancel-Job and goes on (or
    refuses it): the job completes, so the kiosk must not count the card as not printed
    (central would post a second one). Through a front that plays that printer."""
    printer = ippeve()
    front = IppFront(printer, cancel=cancel).start()
    try:
        printer.plan([{"wait_file": "release", "timeout": 10}])
        job_id = printer.submit(job_name("moving-key"))  # sent by a kiosk that then died
        assert printer.wait_job(job_id, 5, states=(5,)) == 5, "the card is in motion"
        restarted = kiosk(front.uri)
        assert restarted.job_state("moving-key") is JobState.PENDING

        cancelled = cancel_in_a_thread(restarted, "moving-key")
        assert wait_until(lambda: front.cancels == 1, 5), "the kiosk asked to cancel"
        assert not cancelled.done.wait(0.5), "a job still processing is followed, not given up"
        printer.release()  # the card comes out after all

        assert cancelled.done.wait(10) and cancelled.value is False
        assert printer.wait_job(job_id) == 9
        assert restarted.job_state("moving-key") is JobState.COMPLETED
        assert [run["job_id"] for run in printer.printed()] == [job_id]
    finally:
        front.stop()

    # the printer is power-cycled and forgets the job: the kiosk still knows the card exists
    printer.stop()
    printer.start(same_port=True)
    assert printer.jobs() == []
    assert restarted.job_state("moving-key") is JobState.COMPLETED
    assert restarted.cancel_job("moving-key") is False


@pytest.mark.slow
@needs_ippeve
def test_a_job_the_printer_forgets_while_followed_is_not_confirmed_cancelled(ippeve, kiosk):
    printer = ippeve()
    front = IppFront(printer, cancel="ignore").start()
    try:
        printer.plan([{"wait_file": "release", "timeout": 10}])
        job_id = printer.submit(job_name("forgotten-key"))
        assert printer.wait_job(job_id, 5, states=(5,)) == 5
        restarted = kiosk(front.uri)
        cancelled = cancel_in_a_thread(restarted, "forgotten-key")
        assert wait_until(lambda: front.cancels == 1, 5)
        printer.stop()  # power-cycled with the card inside: nobody can say what came out
        printer.start(same_port=True)
        assert cancelled.done.wait(10) and cancelled.value is False
    finally:
        front.stop()


@pytest.mark.slow
@needs_ippeve
def test_a_print_given_up_after_its_time_is_followed_if_the_card_still_moves(ippeve, kiosk):
    """The job outlives the kiosk's patience; the printer takes the cancel and goes on with
    the card (IppFront plays it). Reporting a failure then would have central post a second
    card: the kiosk follows the job, and the card that came out is a printed card."""
    printer = ippeve()
    front = IppFront(printer, cancel="ignore").start()
    try:
        printer.plan([{"wait_file": "release", "timeout": 20}])
        card_printer = kiosk(front.uri, job_timeout_s=2.0)
        answer = Answer()

        def run() -> None:
            try:
                answer.value = card_printer.print_card(card(), "slow-key")
            except BaseException as exc:  # noqa: BLE001 - handed to the test thread
                answer.value = exc
            answer.done.set()

        threading.Thread(target=run, daemon=True).start()
        assert wait_until(lambda: front.cancels == 1, 10), "given up after its time"
        assert not answer.done.wait(0.3), "followed, not reported failed"
        printer.release()
        assert answer.done.wait(10) and not isinstance(answer.value, BaseException), answer.value
        assert card_printer.job_state("slow-key") is JobState.COMPLETED
    finally:
        front.stop()


@pytest.mark.slow
def test_an_unreachable_printer_is_offline_without_raising_from_health(kiosk):
    card_printer = kiosk(f"ipp://127.0.0.1:{free_port()}/ipp/print", request_timeout_s=2)

    health = card_printer.health()
    assert (health.state, health.code) == (HealthState.OFFLINE, "device_offline")
    assert [s.level for s in card_printer.supplies().items] == [Level.UNKNOWN, Level.UNKNOWN]
    with pytest.raises(DeviceOffline):
        card_printer.print_card(card(), "offline-key")
    with pytest.raises(DeviceOffline):
        card_printer.job_state("offline-key")  # the reconciler settles it at the next start


@pytest.fixture
def garbage_server():
    """An HTTP server that answers every POST with something that is not IPP."""
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the http.server name
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            body = b"\x02\x00\x00\x00\x00\x00\x00\x01\x01\x47\x00"  # cut inside an attribute
            self.send_response(200)
            self.send_header("Content-Type", "application/ipp")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"ipp://127.0.0.1:{server.server_address[1]}/ipp/print"
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_a_malformed_answer_is_a_typed_error_and_health_unknown(garbage_server, kiosk):
    card_printer = kiosk(garbage_server)
    health = card_printer.health()
    assert (health.state, health.code) == (HealthState.UNKNOWN, "ipp_malformed")
    assert card_printer.supplies().get("ribbon").level is Level.UNKNOWN
    with pytest.raises(IppMalformed):
        card_printer.print_card(card(), "garbled-key")


# ----------------------------------------------------------------------------- through cupsd

@pytest.fixture
def cupsd():
    if MISSING_CUPSD:
        pytest.skip(MISSING_CUPSD)
    daemon = PrivateCupsd().start()
    yield daemon
    daemon.stop()


@pytest.mark.slow
@needs_ippeve
@needs_cupsd
def test_through_cupsd_a_paused_queue_is_resumed_and_stale_jobs_cancelled(ippeve, cupsd, kiosk):
    printer = ippeve()
    queue = cupsd.add_queue("card", printer.uri)
    card_printer = kiosk(queue, duplex=True)

    first = card_printer.print_card(card(), "cups-key-1")  # the whole CUPS path works
    assert first.pages == 2
    [run] = printer.printed()
    assert run["name"] == job_name("cups-key-1") and run["sides"] == "two-sided-long-edge"
    assert len(pwg_raster.decode(Path(run["file"]).read_bytes())) == 2
    assert card_printer.find_job("cups-key-1").completed, "job-name visible to its owner"

    # The queue's device URI goes stale (the printer answers 404 there): CUPS's ipp backend
    # says "the printer no longer exists" and CUPS stops the queue (ErrorPolicy
    # stop-printer). The kiosk resumes once, the backend fails again, the job is cancelled.
    cupsd.set_device("card", printer.uri.replace("/ipp/print", "/ipp/gone"))
    with pytest.raises(PrinterError) as paused:
        card_printer.print_card(card(), "cups-key-2")
    assert paused.value.code == "card_queue_paused"
    assert card_printer.find_job("cups-key-2").state == 7, "cancelled, not left to print"
    status = card_printer.status()
    assert status.stopped and "paused" in status.reasons
    assert (card_printer.health().state, card_printer.health().code) == \
        (HealthState.WARNING, "card_queue_paused")

    # While paused, a job of a resident who has left waits in the queue.
    stale = card_printer.client.print_job(pwg_raster.encode([Image.new("RGB", (8, 8))], 300),
                                          document_format="image/pwg-raster",
                                          job_name=job_name("resident-who-left"))
    # A job a kiosk left behind at a restart waits there too: nothing is in motion, so a
    # cancel is confirmed at once.
    left = card_printer.client.print_job(pwg_raster.encode([Image.new("RGB", (8, 8))], 300),
                                         document_format="image/pwg-raster",
                                         job_name=job_name("left-at-restart")).get("job-id")
    started = time.monotonic()
    assert card_printer.cancel_job("left-at-restart") is True
    assert time.monotonic() - started < 1 and card_printer.find_job("left-at-restart").state == 7
    assert card_printer.job_state("left-at-restart") is JobState.FAILED
    cupsd.set_device("card", printer.uri)  # the technician fixes the queue, leaves it paused
    assert card_printer.status().stopped

    third = card_printer.print_card(card(), "cups-key-3")

    assert not card_printer.status().stopped, "the kiosk resumed the queue"
    assert card_printer.find_job("resident-who-left").state == 7
    assert [r["name"] for r in printer.printed()] == [job_name("cups-key-1"),
                                                       job_name("cups-key-3")]
    assert int(third.job_id) > max(stale.get("job-id"), left)
