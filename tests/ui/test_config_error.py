"""A broken config opens the out-of-service screen in a real window, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.ui


def run_kiosk(tmp_path: Path, display: str, config_text: str) -> subprocess.CompletedProcess:
    config = tmp_path / "kiosk.toml"
    config.write_text(config_text, encoding="utf-8")
    env = dict(os.environ, DISPLAY=display, ONETRIP_EXIT_AFTER_FIRST_FRAME="1", KIVY_NO_ARGS="1")
    return subprocess.run([sys.executable, "-m", "kiosk_app", "--config", str(config), "run"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_config_error_shows_out_of_service(tmp_path, display):
    done = run_kiosk(tmp_path, display, "[journey]\nidle_warnign_s = 10\n")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "first-frame" in done.stdout  # the window came up and drew a frame
    assert "option 'idle_warnign_s' is not valid in section 'journey'" in done.stderr
    assert "Traceback" not in done.stderr


def test_good_config_reaches_the_attract_screen(tmp_path, display):
    done = run_kiosk(tmp_path, display, f'[storage]\ndata_dir = "{tmp_path / "data"}"\n'
                                        '[central]\nurl = "http://127.0.0.1:9"\n')
    assert done.returncode == 0, done.stderr[-2000:]
    assert "first-frame" in done.stdout and "Traceback" not in done.stderr
