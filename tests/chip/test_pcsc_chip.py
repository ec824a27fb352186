"""The whole PC/SC path for real: the project's virtual chip behind vpcd, pcscd, pyscard,
the kiosk's ChipReader — a BAC read of DG1, DG2 and the SOD, proven genuine against a
trust store on disk, resumed after the document is lifted, and the technician's CLI.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from drivers.base import FaultScript
from drivers.reader.base import AccessKind, DocumentEventKind, DocumentRemoved, MrzKey
from drivers.reader.chip import ChipReader
from drivers.reader.pcsc import PcscSlot
from drivers.reader.personas import load_documents
from drivers.reader.vchip.reader import chip_for
from drivers.reader.vchip.reader import test_pki as issuing_state
from tests.chip.pcscd import READER_0, wait_card_state

ROOT = Path(__file__).resolve().parents[2]
PERSONA = load_documents()["passport_mrz"]
KEY = MrzKey(PERSONA.fields["document_number"], PERSONA.fields["birth_date"],
             PERSONA.fields["expiry_date"])


class Events:
    def __init__(self) -> None:
        self.items = []
        self._cond = threading.Condition()

    def __call__(self, event) -> None:
        with self._cond:
            self.items.append(event)
            self._cond.notify_all()

    def wait_for(self, kind: DocumentEventKind, count: int = 1, timeout: float = 5.0):
        with self._cond:
            ok = self._cond.wait_for(
                lambda: sum(e.kind is kind for e in self.items) >= count, timeout)
        assert ok, f"no {kind.value} event #{count}; saw {[e.kind.value for e in self.items]}"
        return [e for e in self.items if e.kind is kind][count - 1]


@pytest.fixture
def trust_dir(tmp_path) -> Path:
    folder = tmp_path / "trust"
    folder.mkdir()
    issuing_state("CN").write_trust_store(folder)
    return folder


@pytest.fixture
def passport_chip():
    faults = FaultScript()
    return chip_for(PERSONA, faults, max_read=231, extended_length=False, country="CN"), faults


@pytest.fixture
def chip_reader(pcscd, trust_dir):
    readers: list[ChipReader] = []

    def make() -> ChipReader:
        reader = ChipReader("pcsc", PcscSlot(READER_0), trust_store=str(trust_dir))
        readers.append(reader)
        return reader

    yield make
    for reader in readers:
        reader.close()


@pytest.mark.slow
def test_bac_read_through_pcscd_is_proven_genuine(bridge, chip_reader, passport_chip):
    chip, _ = passport_chip
    reader, events = chip_reader(), Events()
    reader.start(events)
    bridge(chip).insert()
    presented = events.wait_for(DocumentEventKind.PRESENTED)
    assert presented.access is AccessKind.MRZ, "a BAC chip asks for the MRZ key"
    progress: list[float] = []
    document = reader.read(KEY, progress.append)
    assert document.name == "LIN XIAO" and document.document_number == "E12345678"
    assert document.genuine and document.review_reasons == []
    assert document.photo_jpeg[:2] == b"\xff\xd8"
    report = reader.last_read
    assert report.access == "bac" and report.outcome == "ok"
    assert {"read_DG1", "read_DG2", "read_SOD", "passive_authentication"} <= \
        {s.step for s in report.steps if s.ok}
    assert report.atr == chip.atr.hex().upper()
    assert progress == sorted(progress) and progress[-1] == 1.0
    assert all("data" not in entry for entry in report.trace), "traces never hold data bytes"


@pytest.mark.slow
def test_read_resumes_after_the_document_is_lifted(bridge, chip_reader, passport_chip):
    chip, faults = passport_chip
    reader, events = chip_reader(), Events()
    reader.start(events)
    bridge(chip).insert()
    events.wait_for(DocumentEventKind.PRESENTED)
    full = sum(len(data) for data in chip.profile.files.values())
    faults.set("remove_at_apdu", 40)  # counted from power-on: half-way through the photo
    with pytest.raises(DocumentRemoved):
        reader.read(KEY)
    events.wait_for(DocumentEventKind.REMOVED)
    assert 0 < reader._state.bytes_held() < full
    assert wait_card_state(READER_0, "empty")
    bridge(chip).insert()  # put back
    events.wait_for(DocumentEventKind.PRESENTED, count=2)
    document = reader.read(KEY)
    assert document.name == "LIN XIAO"
    assert reader.last_read.resumed
    assert reader.last_read.apdus < 50, "it continued where it stopped"


@pytest.mark.slow
def test_kiosk_document_read_cli_through_pcscd(bridge, pcscd, passport_chip, trust_dir, tmp_path):
    chip, _ = passport_chip
    bridge(chip).insert()
    mrz = f"{KEY.document_number},{KEY.birth_date:%y%m%d},{KEY.expiry_date:%y%m%d}"
    args = [sys.executable, "-m", "kiosk_app", "document", "read", "--reader", READER_0,
            "--mrz-key", mrz, "--trust-store", str(trust_dir), "--json"]
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["passive_authentication"]["verdict"] == "valid"
    assert {"DG1", "DG2", "SOD"} <= set(report["data_groups"])
    assert report["data_groups"]["DG2"] > 5000
    assert report["apdus"] > 10 and report["seconds"] > 0
    assert report["holder"]["document_number"] != KEY.document_number, "masked by default"
    assert "LIN" not in report["holder"]["name"]

    wrong = args[:args.index("--mrz-key") + 1] + ["X0000000,900101,300101"] + \
        args[args.index("--mrz-key") + 2:] + ["--save-trace", str(tmp_path / "trace.json")]
    refused = subprocess.run(wrong, cwd=ROOT, capture_output=True, text=True, timeout=60,
                             env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert refused.returncode == 5, refused.stdout + refused.stderr
    assert json.loads(refused.stdout)["error"] == "wrong_access_key"
    trace = json.loads((tmp_path / "trace.json").read_text())
    assert trace["trace"] and all(set(e) <= {"ins", "p1", "p2", "sent", "received", "sw",
                                             "seconds", "command_length", "response_length"}
                                  for e in trace["trace"])


@pytest.mark.slow
def test_the_kiosk_journey_reads_a_passport_through_pcscd(bridge, pcscd, passport_chip,
                                                         trust_dir, tmp_path):
    """The "pcsc" driver from config, its monitor thread's events marshalled to the journey."""
    from kiosk.headless import HeadlessKiosk
    from kiosk.journey.steps import Step
    from protocol import wire
    from tests.central_server import central_on
    from tests.journey.conftest import kiosk_config

    chip, _ = passport_chip
    (tmp_path / "central").mkdir()
    central = central_on(tmp_path / "central").start()
    try:
        config = kiosk_config(tmp_path, central.url, devices__reader={
            "driver": "pcsc", "options": {"reader": READER_0, "trust_store": str(trust_dir)}})
        with HeadlessKiosk(config) as k:
            k.journey.welcome.begin()
            k.journey.welcome.choose_language("en")
            k.journey.welcome.choose_service(wire.Service.NEW)
            k.pump(Step.PRESENT_DOCUMENT)
            bridge(chip).insert()
            k.pump(Step.ACCESS_KEY)
            k.journey.document.submit_key(KEY)
            k.pump(Step.CONFIRM_DETAILS, timeout_s=30)
            assert k.journey.session.document.name == "LIN XIAO"
            assert k.devices.reader.last_read.access == "bac"
            k.journey.cancel()
    finally:
        central.stop()


@pytest.mark.slow
def test_a_pcsc_reader_whose_trust_store_comes_late_serves_once_it_is_there(
        bridge, pcscd, passport_chip, trust_dir, tmp_path):
    """Out of service while its trust store is not there (a kiosk whose CSCA folder is
    copied in after it started); then built by the device monitor alone, its monitor
    thread's events reach the journey that asked a stand-in to start watching."""
    import shutil

    from kiosk.headless import HeadlessKiosk
    from kiosk.journey.steps import Step
    from protocol import wire
    from tests.central_server import central_on
    from tests.journey.conftest import kiosk_config

    chip, _ = passport_chip
    late = tmp_path / "csca"
    (tmp_path / "central").mkdir()
    central = central_on(tmp_path / "central").start()
    try:
        config = kiosk_config(tmp_path, central.url, devices__retry_unavailable_s=0,
                              devices__reader={"driver": "pcsc", "options": {
                                  "reader": READER_0, "trust_store": str(late)}})
        with HeadlessKiosk(config) as k:
            k.runtime.monitor.poll_once()
            k.pump(Step.OUT_OF_SERVICE)
            assert k.journey.session.problem.code == "reader_offline"
            assert k.runtime.monitor.latest.health["reader"].code == "device_unavailable"
            shutil.copytree(trust_dir, late)
            k.runtime.monitor.poll_once()
            k.pump(Step.ATTRACT)
            k.journey.welcome.begin()
            k.journey.welcome.choose_language("en")
            k.journey.welcome.choose_service(wire.Service.NEW)
            k.pump(Step.PRESENT_DOCUMENT)
            bridge(chip).insert()
            k.pump(Step.ACCESS_KEY)
            k.journey.document.submit_key(KEY)
            k.pump(Step.CONFIRM_DETAILS, timeout_s=30)
            assert k.journey.session.document.name == "LIN XIAO"
            k.journey.cancel()
    finally:
        central.stop()
