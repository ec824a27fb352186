"""Our PC/SC slot as the transport to vsmartcard's own card emulator, vicc.

vicc is another program (Debian's vsmartcard-vpicc) dialling into vpcd exactly as a
card would be seen by pcscd, so these tests show PcscSlot is a faithful transport to a
card it did not write: ISO 7816 status words, a card process that dies, and a passport
read with the kiosk's ICAO file reader.
"""

from __future__ import annotations

import datetime as dt
import io
import threading

import pytest

from drivers.base import HealthState
from drivers.reader.base import DocumentRemoved
from drivers.reader.icao import files, lds
from drivers.reader.icao.apdu import ApduTrace, PlainSender
from drivers.reader.icao.mrz import check_digit
from drivers.reader.pcsc import PcscSlot
from tests.chip.pcscd import PORT_1, READER_1, wait_card_state, wait_until
from tests.chip.vicc_epass import passport_files, start_epass

pytestmark = pytest.mark.slow

VICC_ISO7816_ATR = bytes.fromhex("3B951381018073FF01000B")  # vicc 0.8's iso7816 card, T=1


class Events:
    def __init__(self) -> None:
        self.items: list[tuple[bool, bytes | None]] = []
        self._cond = threading.Condition()

    def __call__(self, present: bool, atr: bytes | None) -> None:
        with self._cond:
            self.items.append((present, atr))
            self._cond.notify_all()

    def wait(self, count: int, timeout: float) -> list[tuple[bool, bytes | None]]:
        with self._cond:
            self._cond.wait_for(lambda: len(self.items) >= count, timeout)
            return list(self.items)


@pytest.fixture
def slot(pcscd):
    s = PcscSlot(READER_1)
    yield s
    s.stop()


@pytest.fixture(autouse=True)
def reader_1_empty_after(pcscd):
    yield
    assert wait_card_state(READER_1, "empty", 3.0), "vicc's card still lies on the reader"


def test_vicc_iso7816_through_the_slot(vicc_factory, slot):
    events = Events()
    slot.start(events)
    vicc = vicc_factory("iso7816", PORT_1)
    got = events.wait(1, 5.0)
    assert got == [(True, VICC_ISO7816_ATR)], f"vicc did not attach:\n{vicc.log_text()}"
    assert slot.health().state is HealthState.OK

    with slot.connect() as channel:
        assert channel.atr == VICC_ISO7816_ATR
        assert channel.transmit(bytes.fromhex("00A4000C023F00")) == b"\x90\x00"  # SELECT MF
        assert channel.transmit(bytes.fromhex("00A4000C021234")) == b"\x6A\x82"  # no such file
        challenge = channel.transmit(bytes.fromhex("0084000008"))  # GET CHALLENGE
        assert len(challenge) == 10 and challenge[-2:] == b"\x90\x00"
        assert channel.transmit(bytes.fromhex("002000010439393939"))[:1] == b"\x63"  # bad PIN
        assert channel.transmit(bytes.fromhex("002000010431323334")) == b"\x90\x00"  # vicc's 1234
        assert channel.transmit(bytes.fromhex("00FE0000")) == b"\x6D\x00"  # unknown INS

        vicc.stop()  # the card's process ends: pcscd sees the card go
        assert events.wait(2, 3.0)[1] == (False, None)
        with pytest.raises(DocumentRemoved):
            channel.transmit(bytes.fromhex("00A4000C023F00"))
    with pytest.raises(DocumentRemoved):
        slot.connect()


def _mrz() -> str:
    """A made-up TD3 MRZ with correct check digits."""
    number, birth, expiry, optional = "E12345678", "900115", "350101", "<" * 14
    line2 = (number + check_digit(number) + "CHN" + birth + check_digit(birth) + "M"
             + expiry + check_digit(expiry) + optional + check_digit(optional))
    line2 += check_digit(line2[0:10] + line2[13:20] + line2[21:43])
    return "P<CHNZHANG<<WEI".ljust(44, "<") + line2


def _jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (60, 80), (200, 170, 150)).save(out, "JPEG", quality=80)
    return out.getvalue()


def test_vicc_epass_dg1_and_dg2_through_the_slot(vicc_factory, slot, tmp_path):
    mrz, photo = _mrz(), _jpeg()
    events = Events()
    slot.start(events)
    vicc = start_epass(vicc_factory, tmp_path, mrz, photo, PORT_1)
    assert wait_until(lambda: bool(events.items), 5.0), f"vicc did not attach:\n{vicc.log_text()}"
    expected = passport_files(mrz.encode(), photo)

    with slot.connect() as channel:
        trace = ApduTrace()
        sender = PlainSender(channel, trace)
        files.select_applet(sender)
        reader = files.FileReader(sender)
        dg1 = reader.read_file(files.FID["DG1"], bytearray())
        dg2 = reader.read_file(files.FID["DG2"], bytearray())
    assert vicc.alive(), vicc.log_text()
    # vicc serves READ BINARY by short file identifier, so no SELECT EF is needed; a read
    # past the end answers 6282 with the bytes there are
    assert [e.ins for e in trace.entries] == [0xA4] + [0xB0] * (len(trace.entries) - 1)
    assert {e.sw for e in trace.entries} <= {0x9000, 0x6282}
    assert dg1 == expected[0x0101]
    assert dg2 == expected[0x0102]
    zone = lds.parse_dg1(dg1)
    assert zone.document_number == "E12345678" and zone.check_digits_ok
    assert zone.birth_date == dt.date(1990, 1, 15)
    face = lds.parse_dg2(dg2)
    assert face.mime == "image/jpeg" and (face.width, face.height) == (60, 80)
    assert face.data == photo
    vicc.stop()
