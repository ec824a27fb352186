"""`kiosk photo check` and `kiosk photo match`."""

from __future__ import annotations

import json

from PIL import Image

from kiosk.cli.main import main
from tests.photo import FACES


def test_check_prints_every_check_and_the_guidance(capsys):
    code = main(["photo", "check", str(FACES / "two_people.jpg")])
    out = capsys.readouterr().out
    assert code == 1
    assert "single_face" in out and "FAIL  -> photo.guide.one_person" in out
    assert "guidance: photo.guide.one_person: Only one person" in out


def test_check_json_and_crops(capsys, tmp_path):
    code = main(["photo", "check", str(FACES / "biden2.jpg"), str(FACES / "obama2.jpg"),
                 "--json", "--write-crop", str(tmp_path)])
    reports = json.loads(capsys.readouterr().out)
    assert code == 1 and [r["passed"] for r in reports] == [False, False]
    biden, obama = reports
    assert biden["guidance"] == "photo.guide.close_mouth"
    assert obama["guidance"] == "photo.guide.turn_left"
    yaw = next(c for c in obama["checks"] if c["name"] == "yaw")
    assert set(yaw) == {"name", "score", "threshold", "passed", "guidance", "bound"}
    assert Image.open(tmp_path / "biden2.permit.jpg").size == (358, 441)
    assert biden["crop"]["bytes"] == (tmp_path / "biden2.permit.jpg").stat().st_size


def test_check_crop_writes_the_permit_photo_the_kiosk_would_submit(capsys, tmp_path):
    from kiosk.photo.crop import submission_photo
    out = tmp_path / "permit.jpg"
    main(["photo", "check", str(FACES / "obama.jpg"), "--crop", str(out)])
    printed = capsys.readouterr().out
    assert f"permit photo: {out} ({out.stat().st_size} bytes, crown the person mask)" in printed
    assert out.read_bytes() == submission_photo((FACES / "obama.jpg").read_bytes())
    assert Image.open(out).size == (358, 441)
    main(["photo", "check", str(FACES / "biden2.jpg"), "--crop", str(out), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert report["crop"] == {"path": str(out), "bytes": out.stat().st_size,
                              "size": [358, 441], "crown": "mask"}


def test_check_crop_takes_one_image(capsys, tmp_path):
    code = main(["photo", "check", str(FACES / "obama.jpg"), str(FACES / "biden2.jpg"),
                 "--crop", str(tmp_path / "permit.jpg")])
    assert code == 2 and "--crop OUT takes one IMAGE" in capsys.readouterr().err
    assert not (tmp_path / "permit.jpg").exists()


def test_check_crop_without_a_face(capsys, tmp_path):
    blank = tmp_path / "wall.png"
    Image.new("RGB", (640, 480), (230, 230, 230)).save(blank)
    assert main(["photo", "check", str(blank), "--crop", str(tmp_path / "p.jpg")]) == 1
    assert "permit photo: not made (photo_no_face)" in capsys.readouterr().out
    assert not (tmp_path / "p.jpg").exists()


def test_check_an_unreadable_file(capsys, tmp_path):
    bad = tmp_path / "not-a-photo.jpg"
    bad.write_bytes(b"hello")
    assert main(["photo", "check", str(bad)]) == 2
    assert "cannot read" in capsys.readouterr().out


def test_match_prints_distance_threshold_and_verdict(capsys):
    assert main(["photo", "match", str(FACES / "obama.jpg"), str(FACES / "obama2.jpg")]) == 0
    out = capsys.readouterr().out
    assert "threshold 0.600" in out and "verdict match" in out
    assert main(["photo", "match", str(FACES / "obama.jpg"), str(FACES / "biden2.jpg"),
                 "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["verdict"] == "no_match" and report["needs_review"] is True
    assert report["distance"] > report["threshold"]


def test_match_honours_the_config_file(capsys, tmp_path):
    site = tmp_path / "site.toml"
    site.write_text("[photo]\nmatch_threshold = 0.3\nunsure_band = 0.02\n", encoding="utf-8")
    code = main(["--config", str(site), "photo", "match", str(FACES / "obama.jpg"),
                 str(FACES / "obama2.jpg"), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and report["threshold"] == 0.3 and report["verdict"] == "no_match"
