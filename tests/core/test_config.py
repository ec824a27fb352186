"""Layered config: defaults, files, fleet settings; errors name file, section and key."""

from __future__ import annotations

import subprocess
import sys

import pytest

from kiosk.config import DEFAULT_FILE, ConfigError, check_file, load_config


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_packaged_defaults_are_valid():
    assert check_file(DEFAULT_FILE) == []
    config = load_config()
    assert config.journey.idle_warning_s == 60 and config.journey.idle_reset_s == 90


def test_layers_override_in_order(tmp_path):
    site = write(tmp_path / "site.toml", 'city = "beijing"\n[journey]\nidle_warning_s = 45\n')
    mine = write(tmp_path / "kiosk.toml", '[journey]\nidle_warning_s = 50\n')
    config = load_config(site, mine, overrides={"display": {"orientation": "landscape"}})
    assert config.city == "beijing"
    assert config.journey.idle_warning_s == 50 and config.journey.idle_reset_s == 90
    assert config.display.orientation == "landscape"


def test_unknown_key_names_file_section_and_key(tmp_path):
    bad = write(tmp_path / "hall.toml", "[journey]\nidle_warnign_s = 10\n")
    with pytest.raises(ConfigError) as e:
        load_config(bad)
    assert e.value.problems == [
        "hall.toml: option 'idle_warnign_s' is not valid in section 'journey'"]


def test_out_of_range_value_is_located(tmp_path):
    bad = write(tmp_path / "hall.toml", '[diagnostics]\npin = "12"\n[journey]\nidle_reset_s = 30\n')
    problems = check_file(bad)
    assert any(p.startswith("hall.toml: section 'diagnostics', key 'pin'") for p in problems)
    assert any("key 'idle_reset_s'" in p and "idle_warning_s" in p for p in problems)


def test_not_toml_is_reported(tmp_path):
    bad = write(tmp_path / "broken.toml", "[journey\n")
    assert check_file(bad)[0].startswith("broken.toml: not valid TOML")


def test_kiosk_config_check_command(tmp_path):
    good = write(tmp_path / "good.toml", 'kiosk_id = "hall-3-kiosk-2"\n')
    bad = write(tmp_path / "bad.toml", "[devices.reader]\nmodel = 1\n")
    run = lambda f: subprocess.run([sys.executable, "-m", "kiosk_app", "config", "check", str(f)],
                                   capture_output=True, text=True)
    ok = run(good)
    assert ok.returncode == 0 and "good.toml: ok" in ok.stdout
    failed = run(bad)
    assert failed.returncode == 1
    assert "bad.toml: option 'model' is not valid in section 'devices.reader'" in failed.stdout


def test_a_kiosk_id_central_could_not_hold_is_refused_at_the_kiosk(tmp_path):
    for bad in ("大厅一号", "kiosk 01", "k/01", "-k01", "k" * 65):
        problems = check_file(write(tmp_path / "site.toml", f'kiosk_id = "{bad}"\n'))
        assert any("kiosk_id" in p for p in problems), (bad, problems)
    assert check_file(write(tmp_path / "site.toml", 'kiosk_id = "hall-3.kiosk_07"\n')) == []
