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
    def run(f):
        return subprocess.run([sys.executable, "-m", "kiosk_app", "config", "check", str(f)],
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


# ----------------------------------------------------------------------------- devices

def config_check(*files):
    return subprocess.run([sys.executable, "-m", "kiosk_app", "config", "check",
                           *map(str, files)], capture_output=True, text=True, timeout=120)


def test_an_unknown_driver_is_refused_with_the_known_ones(tmp_path):
    bad = write(tmp_path / "hall.toml", '[devices.reader]\ndriver = "pcsx"\n')
    failed = config_check(bad)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert ("hall.toml: section 'devices.reader', key 'driver': no reader driver named "
            "'pcsx'; known: combined, idcard, pcsc, simulated, virtual_chip, virtual_idcard") \
        in failed.stdout
    assert "Traceback" not in failed.stderr


def test_an_unknown_option_names_its_section_and_key(tmp_path):
    reader = write(tmp_path / "reader.toml", '[devices.reader.options]\nreadr = "ACS"\n')
    printer = write(tmp_path / "printer.toml",
                    '[devices.receipt_printer]\ndriver = "escpos"\n'
                    '[devices.receipt_printer.options]\nport = "/dev/ttyS0"\nbaud = 9600\n'
                    'job_index_dir = "var/printed"\n')
    failed = config_check(reader, printer)
    assert failed.returncode == 1
    assert failed.stdout.splitlines() == [
        "reader.toml: option 'readr' is not valid in section 'devices.reader.options'",
        "printer.toml: option 'baud' is not valid in section 'devices.receipt_printer.options'"]


def test_a_wrong_value_names_the_key(tmp_path):
    bad = write(tmp_path / "hall.toml",
                '[devices.receipt_printer]\ndriver = "escpos"\n'
                '[devices.receipt_printer.options]\nbaudrate = "fast"\nparity = "X"\n'
                'job_index_dir = "var/printed"\n'
                '[devices.camera]\ndriver = "simulated"\n[devices.camera.options]\n'
                'fps = 0\nframes = 3\n')
    failed = config_check(bad)
    assert failed.returncode == 1
    lines = failed.stdout.splitlines()
    section = "hall.toml: section 'devices.receipt_printer.options', key"
    assert any(line.startswith(f"{section} 'baudrate': Input should be a valid integer")
               for line in lines), lines
    assert any(line.startswith(f"{section} 'parity'") for line in lines), lines
    camera = "hall.toml: section 'devices.camera.options', key"
    assert any(line.startswith(f"{camera} 'fps': Input should be greater than 0")
               for line in lines), lines
    # A value no member of a union takes is one line for its key, not one per member.
    assert [line for line in lines if "'frames'" in line] == [
        f"{camera} 'frames': Input should be a valid string; Input should be a valid list"]


def test_a_missing_required_option_is_named(tmp_path):
    bad = write(tmp_path / "hall.toml", '[devices.reader]\ndriver = "pcsc"\n'
                                        '[devices.reader.options]\nreader = "ACS"\n')
    problems = check_file(bad)
    assert problems == ["hall.toml: section 'devices.reader.options', key 'trust_store': "
                        "Value error, a chip reader needs a trust store (or "
                        "require_trust_store = false)"]


def test_naming_another_driver_drops_the_options_given_for_the_old_one(tmp_path):
    """The packaged simulator's output_dir is not blamed on default.toml: the site file
    that chose the ESC/POS printer is told what that printer needs."""
    site = write(tmp_path / "site.toml", '[devices.receipt_printer]\ndriver = "escpos"\n')
    assert check_file(site) == [
        "site.toml: section 'devices.receipt_printer.options', key 'job_index_dir': "
        "Field required"]
    mine = write(tmp_path / "kiosk.toml", '[devices.receipt_printer.options]\n'
                                          'job_index_dir = "var/receipts"\n')
    config = load_config(site, mine)
    assert config.devices.receipt_printer.options == {"job_index_dir": "var/receipts"}


def test_escpos_clear_buffer_is_checked_by_the_drivers_options_model(tmp_path):
    bad = write(tmp_path / "hall.toml", '[devices.receipt_printer]\ndriver = "escpos"\n'
                                        '[devices.receipt_printer.options]\n'
                                        'job_index_dir = "var/printed"\nclear_buffer = "init"\n')
    assert check_file(bad) == [
        "hall.toml: section 'devices.receipt_printer.options', key 'clear_buffer': Value "
        "error, clear_buffer must be \"dle_dc4\" or \"void\", not 'init'"]
    # The same option means nothing to the simulator, and is refused there.
    other = write(tmp_path / "sim.toml", '[devices.receipt_printer.options]\n'
                                         'output_dir = "var/printed"\nclear_buffer = "void"\n')
    assert check_file(other) == [
        "sim.toml: option 'clear_buffer' is not valid in section "
        "'devices.receipt_printer.options'"]


def test_options_are_kept_as_given_and_converted(tmp_path):
    site = write(tmp_path / "site.toml",
                 '[devices.receipt_printer]\ndriver = "escpos"\n'
                 '[devices.receipt_printer.options]\njob_index_dir = "var/printed"\n'
                 'baudrate = "115200"\nusb_vendor = "0x0416"\n')
    options = load_config(site).devices.receipt_printer.options
    assert options == {"job_index_dir": "var/printed", "baudrate": 115200,
                       "usb_vendor": "0x0416"}


def test_every_shipped_config_and_the_demos_pass(tmp_path):
    from tools.demo.run import write_kiosk_config

    shipped = sorted(DEFAULT_FILE.parent.glob("*.toml"))
    assert shipped and all(check_file(path) == [] for path in shipped)
    demo = write_kiosk_config(tmp_path, "http://127.0.0.1:8700")
    assert check_file(demo) == []
    ok = config_check(*shipped, demo)
    assert ok.returncode == 0, ok.stdout
