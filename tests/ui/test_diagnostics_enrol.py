"""Enrolment through the real Kivy UI: the technician's keypad refuses a made-up code and
says why in both languages; central's QR code held up to the simulated camera enrols the
kiosk, whose next requests are signed with the new key."""

from __future__ import annotations

import pytest

from central.fleet.enrolment import Enrolment, default_key_path, load_or_create_central_key
from central.storage.db import make_engine
from kiosk.fleet import credentials as stored
from protocol.signing import public_key_text
from tests.ui.test_journeys import run_demo

pytestmark = pytest.mark.ui


def test_a_typed_code_is_refused_and_the_qr_code_on_the_camera_enrols(tmp_path, display,
                                                                       central):
    summary = run_demo(tmp_path, display, central, ["enrolment"])
    journey = next(j for j in summary["journeys"] if j["name"] == "enrolment")
    assert journey["ok"], journey["error"]
    shots = [s for s in journey["screenshots"] if s.endswith("-diagnostics_enrol.png")]
    assert len(shots) == 3, "before, the refusal, enrolled"

    kept = stored.load(tmp_path / "data")
    assert kept is not None and kept.hall_id == "zz-centre"
    engine = make_engine(central.database)
    try:
        enrolment = Enrolment(engine, load_or_create_central_key(
            default_key_path(central.database)), central.url)
        key, revoked = enrolment.key_of(kept.kiosk_id)
        assert not revoked and key == public_key_text(kept.key), \
            "central holds the key the kiosk keeps"
        assert [a["what"] for a in enrolment.audit(kept.kiosk_id)][-2:] == ["code_issued",
                                                                           "enrolled"]
    finally:
        engine.dispose()
