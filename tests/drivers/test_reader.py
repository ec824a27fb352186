"""The simulated document reader: events, access keys, faults, threads."""

from __future__ import annotations

import datetime as dt
import io
import threading
import time

import pytest
from PIL import Image

from drivers.base import DeviceOffline, HealthState
from drivers.reader.base import (
    AccessKind,
    CanKey,
    DocumentEventKind,
    DocumentNotGenuine,
    DocumentRemoved,
    MrzKey,
    ReaderError,
    UnreadableDocument,
    WrongAccessKey,
)
from drivers.reader.simulated import SimulatedReader
from tests.drivers.helpers import Recorder, sim_threads, wait_until

PASSPORT_KEY = MrzKey("E12345678", dt.date(1993, 6, 1), dt.date(2031, 6, 1))


@pytest.fixture
def reader():
    device = SimulatedReader("test", read_time_s=0.04)
    yield device
    device.stop()


def kinds(events) -> list[DocumentEventKind]:
    return [event.kind for event in events]


def test_place_and_lift_reach_the_listener_from_the_reader_thread(reader, recorder):
    reader.start(recorder)
    reader.place()
    reader.lift()
    events = recorder.wait_for(2)
    assert kinds(events) == [DocumentEventKind.PRESENTED, DocumentEventKind.REMOVED]
    assert all(event.reader == "test" for event in events)
    assert set(recorder.threads) == {"reader-sim-test"}


def test_placing_another_document_lifts_the_first(reader, recorder):
    reader.start(recorder)
    reader.place("eligible")
    reader.place("passport_mrz")
    events = recorder.wait_for(3)
    assert kinds(events) == [DocumentEventKind.PRESENTED, DocumentEventKind.REMOVED,
                             DocumentEventKind.PRESENTED]
    assert events[2].access is AccessKind.MRZ
    assert reader.present_key == "passport_mrz"


def test_a_document_already_present_is_announced_on_start(reader, recorder):
    reader.place("senior")
    reader.start(recorder)
    assert kinds(recorder.wait_for(1)) == [DocumentEventKind.PRESENTED]


def test_present_after_s_places_the_document_after_arm(recorder):
    reader = SimulatedReader("auto", document="local", present_after_s=0.15, read_time_s=0.01)
    reader.start(recorder)
    try:
        time.sleep(0.3)
        assert recorder.items == []  # nothing before the kiosk waits
        armed_at = time.monotonic()
        reader.arm()
        assert kinds(recorder.wait_for(1)) == [DocumentEventKind.PRESENTED]
        assert time.monotonic() - armed_at >= 0.14
        assert reader.present_key == "local"
        reader.disarm()
        reader.arm()  # the next resident: the previous document is taken away first
        events = recorder.wait_for(3)
        assert kinds(events)[1:] == [DocumentEventKind.REMOVED, DocumentEventKind.PRESENTED]
    finally:
        reader.stop()


def test_disarm_cancels_the_pending_placement(recorder):
    reader = SimulatedReader("auto", present_after_s=0.1)
    reader.start(recorder)
    try:
        reader.arm()
        reader.disarm()
        time.sleep(0.3)
        assert recorder.items == [] and reader.present_key is None
    finally:
        reader.stop()


def test_read_returns_the_persona_with_a_photo(reader):
    reader.place("eligible")
    doc = reader.read()
    assert (doc.name, doc.sex, doc.birth_date) == ("李明", "M", dt.date(1990, 3, 15))
    assert doc.document_number == "430502199003151236"
    assert (doc.household_city, doc.document_type, doc.issuing_state) == ("shaoyang", "id_card", "CHN")
    assert doc.household_address == "湖南省邵阳市大祥区红旗路12号"
    photo = Image.open(io.BytesIO(doc.photo_jpeg))
    assert photo.format == "JPEG" and photo.size == (358, 441)


def test_personas_get_different_photos(reader):
    reader.place("eligible")
    first = reader.read().photo_jpeg
    reader.place("not_yet")
    assert reader.read().photo_jpeg != first


def test_progress_rises_from_zero_to_one(reader):
    reader.place()
    seen: list[float] = []
    reader.read(progress=seen.append)
    assert seen[0] == 0.0 and seen[-1] == 1.0
    assert len(seen) >= 5
    assert all(a < b for a, b in zip(seen, seen[1:]))


def test_read_with_nothing_on_the_reader(reader):
    with pytest.raises(DocumentRemoved):
        reader.read()


def test_mrz_document_needs_its_key(reader):
    reader.place("passport_mrz")
    with pytest.raises(ReaderError) as missing:
        reader.read()
    assert missing.value.code == "access_key_required"
    wrong = MrzKey("E12345678", dt.date(1993, 6, 2), dt.date(2031, 6, 1))
    with pytest.raises(WrongAccessKey):
        reader.read(wrong)
    with pytest.raises(WrongAccessKey):
        reader.read(CanKey("123456"))
    doc = reader.read(PASSPORT_KEY)
    assert (doc.document_type, doc.name, doc.household_city) == ("passport", "LIN XIAO", "changsha")


def test_can_document_checks_the_can():
    documents = {"can_card": {
        "document_type": "exit_entry_permit", "access": "can", "can": "246810",
        "issuing_state": "CHN", "nationality": "CHN", "name": "测试", "sex": "X",
        "birth_date": "1999-01-01", "document_number": "C0000001", "expiry_date": "2035-01-01"}}
    reader = SimulatedReader("can", documents=documents, read_time_s=0.01)
    reader.place()
    with pytest.raises(WrongAccessKey):
        reader.read(CanKey("135790"))
    assert reader.read(CanKey("246810")).document_number == "C0000001"


def test_fault_remove_during_read(reader, recorder):
    reader.start(recorder)
    reader.place()
    reader.faults.set("remove_during_read", 1)
    progress: list[float] = []
    with pytest.raises(DocumentRemoved):
        reader.read(progress=progress.append)
    assert 0 < len(progress) and progress[-1] < 1.0
    assert kinds(recorder.wait_for(2)) == [DocumentEventKind.PRESENTED, DocumentEventKind.REMOVED]
    assert reader.present_key is None


def test_lifting_during_a_read_fails_it():
    reader = SimulatedReader("slow", read_time_s=0.4)
    reader.place()
    threading.Timer(0.1, reader.lift).start()
    with pytest.raises(DocumentRemoved):
        reader.read()


def test_fault_wrong_key_is_used_up(reader):
    reader.place()
    reader.faults.set("wrong_key", 1)
    with pytest.raises(WrongAccessKey):
        reader.read()
    assert reader.read().name == "李明"


def test_fault_unreadable(reader):
    reader.place()
    reader.faults.set("unreadable", 1)
    with pytest.raises(UnreadableDocument):
        reader.read()


def test_fault_not_genuine(reader):
    reader.place()
    reader.faults.set("not_genuine", 1)
    with pytest.raises(DocumentNotGenuine) as error:
        reader.read()
    assert error.value.code == "document_not_genuine"


def test_fault_offline(reader):
    reader.place()
    assert reader.health().state is HealthState.OK
    reader.faults.set("offline", -1)
    assert reader.health().state is HealthState.OFFLINE
    with pytest.raises(DeviceOffline):
        reader.read()
    reader.faults.clear("offline")
    assert reader.health().state is HealthState.OK
    assert reader.read().name


def test_fault_slow_read(reader):
    reader.place()
    reader.faults.set("slow_read_s", 0.3)
    started = time.monotonic()
    reader.read()
    assert time.monotonic() - started >= 0.3


def test_no_thread_left_after_stop_and_stop_twice(reader, recorder):
    reader.start(recorder)
    reader.start(recorder)  # a second start does not start a second thread
    assert sim_threads() == ["reader-sim-test"]
    reader.stop()
    reader.stop()
    assert sim_threads() == []
    reader.start(recorder)  # and it can watch again
    reader.place()
    assert kinds(recorder.wait_for(1)) == [DocumentEventKind.PRESENTED]


def test_a_failing_listener_does_not_kill_the_monitor(reader):
    calls = Recorder()

    def listener(event):
        calls(event)
        raise RuntimeError("listener bug")

    reader.start(listener)
    reader.place()
    reader.lift()
    assert len(calls.wait_for(2)) == 2


def test_repr_of_a_read_document_holds_no_personal_data(reader):
    reader.place()
    doc = reader.read()
    text = repr(doc) + str(doc)
    for secret in (doc.name, doc.document_number, "1990", "shaoyang"):
        assert secret not in text


def test_unknown_document_key_fails_early():
    with pytest.raises(ValueError, match="nobody"):
        SimulatedReader("x", document="nobody")


def test_waits_do_not_block_the_caller(reader, recorder):
    reader.start(recorder)
    started = time.monotonic()
    reader.place()
    assert time.monotonic() - started < 0.05
    assert wait_until(lambda: recorder.items)
