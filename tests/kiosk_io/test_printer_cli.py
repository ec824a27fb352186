"""`kiosk printer status|test`: both printers from the shell, test prints without personal data."""

from __future__ import annotations

import json

from kiosk.cli.main import main


def config(tmp_path, receipt_faults: str = "") -> str:
    path = tmp_path / "kiosk.toml"
    path.write_text(f'[storage]\ndata_dir = "{tmp_path}/data"\n'
                    f'[devices.receipt_printer.options]\noutput_dir = "{tmp_path}/printed"\n'
                    f'{receipt_faults}'
                    f'[devices.card_printer.options]\noutput_dir = "{tmp_path}/printed"\n'
                    'print_time_s = 0\n', encoding="utf-8")
    return str(path)


def run(capsys, *args: str) -> tuple[int, dict]:
    code = main(list(args))
    return code, json.loads(capsys.readouterr().out)


def test_status_shows_both_printers_and_their_supplies(tmp_path, capsys):
    code, report = run(capsys, "--config", config(tmp_path), "printer", "status", "--json")
    assert code == 0 and set(report) == {"receipt_printer", "card_printer"}
    assert {s["name"] for s in report["card_printer"]["supplies"]} == {"cards", "ribbon"}
    assert report["receipt_printer"]["supplies"][0]["level"] == "ok"


def test_status_of_a_printer_out_of_paper_is_unhealthy(tmp_path, capsys):
    faults = "[devices.receipt_printer.options.faults]\npaper_out = true\n"
    code, report = run(capsys, "--config", config(tmp_path, faults), "printer", "status", "--json")
    assert code == 3 and report["receipt_printer"]["state"] == "error"
    assert report["receipt_printer"]["supplies"][0]["level"] == "empty"


def test_each_test_print_is_a_new_job(tmp_path, capsys):
    cfg = config(tmp_path)
    for kind in ("--receipt", "--receipt", "--card"):
        code, _ = run(capsys, "--config", cfg, "printer", "test", kind, "--json")
        assert code == 0
    printed = sorted(p.name.split("-")[0] for p in (tmp_path / "printed").glob("*.png"))
    assert printed == ["card", "receipt", "receipt"], "a second test is printed, not swallowed"


def test_a_failed_test_print_says_why(tmp_path, capsys):
    faults = "[devices.receipt_printer.options.faults]\npaper_out = true\n"
    code, report = run(capsys, "--config", config(tmp_path, faults), "printer", "test",
                       "--receipt", "--json")
    assert code == 1 and report["error"] == "paper_out"
