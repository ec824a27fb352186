"""`make demo`: the reference central server and the kiosk, an autopilot resident, screenshots.

Starts central on loopback with a fresh demo database, requiring signed kiosk requests;
writes a kiosk config pointing at it and enrols the kiosk with a one-time code, as a
technician would; runs the real Kivy kiosk (under Xvfb when there is no display) with the
autopilot; then photographs the fleet dashboard in headless Chromium. Everything it makes
lands in the output folder.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tools.central_process import central_on  # noqa: E402

KIOSK_CONFIG = """\
kiosk_id = "demo-kiosk-01"
[central]
url = "{url}"
heartbeat_s = 1  # a hall manager's settings reach the demo kiosk within a second
[storage]
data_dir = "{tmp}/data"
[display]
orientation = "{orientation}"
window_scale = {scale}
[photo]
max_pitch_deg = 15  # the drawn demo faces look a little down; a real hall keeps 10
[devices]
health_interval_s = 1  # the demo's scripted faults show within a second
[devices.receipt_printer.options]
output_dir = "{tmp}/printed"
[devices.card_printer.options]
output_dir = "{tmp}/printed"
"""


def write_kiosk_config(tmp: Path, url: str, orientation: str = "portrait",
                       scale: float = 0.5) -> Path:
    """A kiosk config for the demo and the UI tests: simulated devices, files under tmp."""
    config = tmp / "kiosk.toml"
    config.write_text(KIOSK_CONFIG.format(url=url, tmp=tmp.as_posix(), orientation=orientation,
                                          scale=scale))
    return config


def enrol_demo_kiosk(config: Path, central) -> None:
    """What a technician does at installation: a one-time code from central's command line,
    entered at the kiosk (`python -m kiosk enrol CODE`)."""
    from kiosk.config import load_config

    kiosk_id = load_config(config).kiosk_id
    issued = subprocess.run(
        [sys.executable, "-m", "central", "fleet", "enrolment-code", kiosk_id, "--hall",
         "zz-centre", "--who", "demo-technician", "--public-url", central.url,
         "--database", central.database], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    code = issued.split("Enrolment code: ")[1].split()[0]
    subprocess.run([sys.executable, "-m", "kiosk_app", "--config", str(config), "enrol", code],
                   cwd=ROOT, check=True)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--output", default="demo-output")
    p.add_argument("--orientation", choices=["portrait", "landscape"], default="portrait")
    p.add_argument("--journey", action="append", default=[],
                   help="run only this journey, e.g. diagnostics (repeatable; default: all)")
    args = p.parse_args()
    output = (ROOT / args.output).resolve()
    shutil.rmtree(output, ignore_errors=True)
    output.mkdir(parents=True)
    with tempfile.TemporaryDirectory(prefix="onetrip-demo-") as tmp_name:
        tmp = Path(tmp_name)
        central = central_on(tmp)
        central.kiosk_auth = "required"
        central.start()
        try:
            config = write_kiosk_config(tmp, central.url, args.orientation)
            enrol_demo_kiosk(config, central)
            cmd = [sys.executable, "-m", "tools.demo.kiosk_demo", "--config", str(config),
                   "--output", str(output), "--central-database", central.database]
            for name in args.journey:
                cmd += ["--journey", name]
            if not os.environ.get("DISPLAY"):
                cmd = ["xvfb-run", "-a", "-s", "-screen 0 1920x1920x24"] + cmd
            code = subprocess.run(cmd, cwd=ROOT, env=dict(os.environ, KIVY_NO_ARGS="1")).returncode
            if not args.journey:
                from tools.demo.dashboard import dashboard_screenshots
                number = len([d for d in output.iterdir() if d.is_dir()]) + 1
                shots = dashboard_screenshots(central.url, central.database,
                                              output / f"{number:02d}-fleet_dashboard")
                print(f"fleet dashboard: {len(shots)} screenshots")
            return code
        finally:
            central.stop()


if __name__ == "__main__":
    sys.exit(main())
