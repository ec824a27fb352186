"""`kiosk document read --virtual`: the technician's self-test, without a PC/SC reader."""

from __future__ import annotations

import json

from kiosk.cli.main import main


def run(capsys, *args: str) -> tuple[int, str]:
    code = main(["document", "read", "--virtual", *args])
    return code, capsys.readouterr().out


def test_pace_permit_with_its_can_is_read_and_proven(capsys):
    code, out = run(capsys, "permit_pace", "--can", "318425", "--json")
    report = json.loads(out)
    assert code == 0 and report["access"] == "pace-can"
    assert report["passive_authentication"]["verdict"] == "valid"
    assert report["active_authentication"] == "passed"
    assert report["chip_authentication"] == "passed"
    assert set(report["data_groups"]) >= {"DG1", "DG2", "DG11", "DG14", "DG15", "SOD"}
    assert report["holder"]["name"] == "***" and "*" in report["holder"]["document_number"]


def test_personal_data_only_when_asked(capsys):
    code, out = run(capsys, "eligible", "--json", "--show-personal-data")
    assert code == 0 and json.loads(out)["holder"]["name"] == "李明"


def test_wrong_key_and_bad_arguments_have_their_own_exit_codes(capsys):
    assert run(capsys, "passport_mrz", "--mrz-key", "E12345678,930601,310602")[0] == 5
    code, out = run(capsys, "passport_mrz", "--mrz-key", "E12345678,931301,310602")
    assert code == 2 and "YYMMDD" in out
    assert run(capsys, "permit_pace", "--can", "12345")[0] == 2
