"""The idcard driver through pyserial against the virtual module on a socat pty pair,
with each scripted fault; and the technician's CLI against it as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from drivers.base import HealthState, create
from drivers.reader.base import DocumentEventKind, DocumentNotGenuine, DocumentRemoved
from drivers.reader.idcard.status import (
    BadPreamble,
    CardRemoved,
    ModuleSilent,
    NoCard,
    PortUnavailable,
    ReadFailed,
)
from drivers.reader.idcard.virtual import VirtualIdCardReader, socat_usable
from tests.drivers.helpers import wait_until

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not socat_usable()[0], reason="socat is not installed")]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def reader():
    r = VirtualIdCardReader("virtual_idcard", answer_timeout_s=0.3, poll_interval_s=0.05,
                            reconnect_interval_s=0.1)
    yield r
    r.close()


def test_registered_driver_reads_a_persona_through_pyserial(recorder):
    r = create("reader", "virtual_idcard", document="renewal", poll_interval_s=0.05)
    try:
        r.start(recorder)
        assert wait_until(lambda: r.health().state is HealthState.OK)
        assert r.sam_id and r.sam_id.startswith("05010000")
        r.place()
        assert recorder.wait_for(1)[0].kind is DocumentEventKind.PRESENTED
        doc = r.read()
        assert (doc.name, doc.document_number) == ("周静", "44010619920520328X")
        assert doc.household_city == "440100" and doc.photo_jpeg[:2] == b"\xff\xd8"
        assert r.photo_status == "simulated decoder ok"
        time.sleep(0.3)  # still there after the read: no REMOVED (select confirms it)
        assert len(recorder.items) == 1
        r.lift()
        assert recorder.wait_for(2)[1].kind is DocumentEventKind.REMOVED
    finally:
        r.close()


@pytest.mark.parametrize("key, kind", [("foreigner_2023", "foreign_permanent_residence_card"),
                                       ("hk_permit", "hk_macao_taiwan_residence_permit"),
                                       ("senior", "id_card")])
def test_each_card_type_and_a_long_term_card(reader, key, kind):
    reader.plug()
    reader.place(key)
    doc = reader.read()
    assert doc.document_type == kind
    if key == "senior":
        assert doc.expiry_date is None and not doc.expired


def test_no_card(reader):
    reader.plug()
    with pytest.raises(NoCard):
        reader.read()


def test_card_lifted_between_select_and_read(reader):
    reader.plug()
    reader.place("eligible")
    reader.faults.set("lift_after_select", 1)
    with pytest.raises(CardRemoved) as caught:
        reader.read()
    assert isinstance(caught.value, DocumentRemoved) and caught.value.status == "00 00 41"


def test_read_failure_with_the_card_still_there_and_a_card_not_authentic(reader):
    reader.plug()
    reader.place("eligible")
    reader.faults.set("read_fails", 1)
    with pytest.raises(ReadFailed):
        reader.read()
    reader.faults.set("not_authentic", 1)
    with pytest.raises(DocumentNotGenuine):
        reader.read()
    assert reader.read().name == "李明"


def test_sam_fault_makes_the_reader_an_error_until_it_clears(reader, recorder):
    reader.faults.set("sam_fault", -1)
    reader.start(recorder)
    assert wait_until(lambda: reader.health().code == "idcard_sam_fault")
    assert reader.health().state is HealthState.ERROR
    reader.faults.clear("sam_fault")
    assert wait_until(lambda: reader.health().state is HealthState.OK)


def test_a_corrupted_check_byte_is_asked_again_or_reported(reader):
    reader.plug()
    reader.place("eligible")
    reader.faults.set("corrupt_check", 1)
    assert reader.read().name == "李明"
    assert "idcard_bad_check_byte" in [e.status for e in reader.trace.entries()]
    reader.faults.set("corrupt_check", -1)
    with pytest.raises(Exception) as caught:
        reader.read()
    assert caught.value.code == "idcard_bad_check_byte"


def test_wrong_baud_is_a_bad_preamble(reader):
    reader.plug()
    reader.place("eligible")
    reader.connect()
    reader.faults.set("wrong_baud", -1)
    with pytest.raises(BadPreamble):
        reader.read()


def test_silent_module_goes_offline_and_comes_back(reader, recorder):
    reader.start(recorder)
    assert wait_until(lambda: reader.health().state is HealthState.OK)
    reader.place("eligible")
    assert recorder.wait_for(1)
    reader.faults.set("silent", -1)
    assert wait_until(lambda: reader.health().state is HealthState.OFFLINE)
    assert reader.health().code == ModuleSilent.code
    assert recorder.wait_for(2)[1].kind is DocumentEventKind.REMOVED
    reader.faults.clear("silent")
    assert wait_until(lambda: reader.health().state is HealthState.OK)
    assert reader.read().name == "李明"


def test_unplugged_module_comes_back_when_plugged_in(reader, recorder):
    reader.start(recorder)
    assert wait_until(lambda: reader.health().state is HealthState.OK)
    reader.unplug()
    assert wait_until(lambda: reader.health().code in (PortUnavailable.code,
                                                       ModuleSilent.code,
                                                       "idcard_answer_cut_short"))
    assert reader.health().state is HealthState.OFFLINE
    reader.plug()
    assert wait_until(lambda: reader.health().state is HealthState.OK, timeout=5)


@pytest.mark.parametrize("baud", [9600, 115200])
def test_both_baud_rates_read_in_about_the_line_time(baud):
    r = VirtualIdCardReader("virtual_idcard", baud=baud, read_timeout_s=5)
    try:
        r.plug()
        r.place("eligible")
        started = time.perf_counter()
        assert r.read().name == "李明"
        seconds = time.perf_counter() - started
        line = 1295 * 10 / baud
        assert line <= seconds < line + 1.0
    finally:
        r.close()


def _cli(port: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "kiosk_app", "document", "read", "--idcard",
                           port, "--wait", "2", *args], capture_output=True, text=True,
                          timeout=60, env=env, cwd=ROOT)


def test_cli_reads_the_virtual_module_as_a_subprocess(reader):
    reader.plug()
    reader.place("expired")
    done = _cli(reader.pair.kiosk, "--json")
    report = json.loads(done.stdout)
    assert done.returncode == 0 and report["card_type"] == "id_card"
    assert report["sam_id"].startswith("05010000")
    assert report["holder"]["name"] != "吴刚" and "吴刚" not in done.stdout
    assert [c["command"] for c in report["commands"]][:2] == ["11 FF", "12 FF"]
    assert {"30 01"} <= {c["command"] for c in report["commands"]}
    assert all(c["seconds"] >= 0 for c in report["commands"])
    done = _cli(reader.pair.kiosk, "--json", "--show-personal-data")
    holder = json.loads(done.stdout)["holder"]
    assert (holder["name"], holder["citizen_number"], holder["sex"]) == \
        ("吴刚", "43010419850820431X", "M")
    assert holder["birth_date"] == "1985-08-20" and holder["valid_until"] == "2025-08-20"
    assert holder["address"].startswith("湖南省长沙市") and holder["expired"] is True
    text = _cli(reader.pair.kiosk).stdout
    assert "20 01" in text and "20 02" in text and "00 00 90" in text and "SAM: 05010000" in text


def test_cli_exit_codes_without_a_card_and_without_a_module(reader, tmp_path):
    reader.plug()
    assert _cli(reader.pair.kiosk, "--json").returncode == 6
    done = _cli(str(tmp_path / "no-such-port"), "--json")
    assert done.returncode == 6 and json.loads(done.stdout)["error"] == PortUnavailable.code
