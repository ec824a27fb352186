"""`make demo`: the reference central server and the kiosk, an autopilot resident, screenshots.

Starts central on loopback with a fresh demo database, requiring signed kiosk requests;
writes a kiosk config pointing at it and enrols the kiosk with a one-time code, as a
technician would; runs the real Kivy kiosk (under Xvfb when there is no display) with the
autopilot; then photographs the fleet dashboard in headless Chromium. Everything it makes
lands in the output folder: a folder of PNGs per journey and one for the dashboard,
summary.json, index.html (the contact sheet: open it in a browser) and logs/. The console
gets progress lines, the journeys' table and where to look; the logs get the rest.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tools.central_process import central_on  # noqa: E402
from tools.demo.contact_sheet import write_contact_sheet  # noqa: E402
from tools.demo.journeys import journeys  # noqa: E402
from tools.demo.logs import log_to, logs_dir  # noqa: E402
from tools.demo.report import read_summary, summary_table  # noqa: E402

log = logging.getLogger("tools.demo")

CENTRAL_LOG, ENROLMENT_LOG, KIOSK_LOG, DASHBOARD_LOG = (
    "central.log", "enrolment.log", "kiosk.log", "dashboard.log")

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


def enrol_demo_kiosk(config: Path, central, log_path: Path) -> None:
    """What a technician does at installation: a one-time code from central's command line,
    entered at the kiosk (`python -m kiosk enrol CODE`). What the kiosk says goes to
    log_path; the code itself is written nowhere."""
    from kiosk.config import load_config

    kiosk_id = load_config(config).kiosk_id
    issued = subprocess.run(
        [sys.executable, "-m", "central", "fleet", "enrolment-code", kiosk_id, "--hall",
         "zz-centre", "--who", "demo-technician", "--public-url", central.url,
         "--database", central.database], cwd=ROOT, capture_output=True, text=True)
    with open(log_path, "a") as log_file:
        if issued.returncode != 0:
            log_file.write(issued.stderr)
            issued.check_returncode()
        code = issued.stdout.split("Enrolment code: ")[1].split()[0]
        subprocess.run([sys.executable, "-m", "kiosk_app", "--config", str(config), "enrol", code],
                       cwd=ROOT, check=True, stdout=log_file, stderr=subprocess.STDOUT)


class Console:
    """What the demo says on the console: progress, the closing table, where to look, and
    what failed with the log to read."""

    def __init__(self, output: Path) -> None:
        self.output = output
        self.failures: list[str] = []

    def shown(self, path: Path) -> str:
        """A path as the person would type it: relative to where they are, when inside."""
        try:
            return str(path.relative_to(Path.cwd()))
        except ValueError:
            return str(path)

    def say(self, line: str = "") -> None:
        print(line, flush=True)

    def failed(self, what: str, log_name: str, tail: int = 0) -> None:
        """Noted now, said at the end: what failed, the log to read (and its last lines)."""
        path = self.output / "logs" / log_name
        self.failures.append(f"{what}: read {self.shown(path)}")
        if tail:
            try:
                lines = path.read_text(errors="replace").strip().splitlines()[-tail:]
            except OSError:
                lines = []
            self.failures += ["    " + line[:160] for line in lines]

    def close(self, summary: dict | None) -> int:
        """The table, where to look, what failed; the exit code."""
        if summary is not None:
            self.say()
            for line in summary_table(summary["journeys"]):
                self.say(line)
            ok = sum(1 for j in summary["journeys"] if j["ok"])
            self.say(f"{ok} of {len(summary['journeys'])} journeys OK")
        self.say()
        index = self.output / "index.html"
        if index.exists():
            what = ("Every screen, receipt, card and dashboard page" if summary is not None
                    else "What the demo made before it stopped")
            self.say(f"{what}: open {self.shown(index)} in a browser.")
        logs = self.output / "logs"
        self.say(f"Logs: {self.shown(logs)}/ "
                 f"({', '.join(sorted(f.name for f in logs.iterdir()))})")
        for line in self.failures:
            self.say(("FAILED " if not line.startswith(" ") else "") + line)
        return 1 if self.failures else 0


def run_kiosk(args, config: Path, central, output: Path, console: Console) -> None:
    """The kiosk process with the autopilot: its progress lines pass through to the console,
    everything else it writes goes to logs/kiosk.log."""
    cmd = [sys.executable, "-m", "tools.demo.kiosk_demo", "--config", str(config),
           "--output", str(output), "--central-database", central.database]
    for name in args.journey:
        cmd += ["--journey", name]
    if not os.environ.get("DISPLAY"):
        cmd = ["xvfb-run", "-a", "-s", "-screen 0 1920x1920x24"] + cmd
    with open(output / "logs" / KIOSK_LOG, "ab") as log_file:
        code = subprocess.run(cmd, cwd=ROOT, env=dict(os.environ, KIVY_NO_ARGS="1"),
                              stdin=subprocess.DEVNULL, stderr=log_file).returncode
    summary = read_summary(output)
    if summary is None:
        console.failed(f"the kiosk process stopped (exit code {code}) before its summary",
                       KIOSK_LOG, tail=3)
    elif not summary["ok"]:
        for j in summary["journeys"]:
            if not j["ok"]:
                console.failed(f"journey {j['name']}: {j['error']}", KIOSK_LOG)


def photograph_dashboard(central, output: Path, console: Console) -> None:
    """Headless Chromium signs in to the fleet dashboard and photographs its pages, into the
    folder after the journeys'; what it logs goes to logs/dashboard.log."""
    from tools.demo.dashboard import dashboard_screenshots
    number = len([d for d in output.iterdir() if d.is_dir() and d.name[:2].isdigit()]) + 1
    log_to(logging.FileHandler(output / "logs" / DASHBOARD_LOG, encoding="utf-8"),
           logging.INFO)
    console.say("fleet dashboard: headless Chromium signs in as a hall manager and a "
                "technician ...")
    log.info("fleet dashboard at %s", central.url)
    try:
        shots = dashboard_screenshots(central.url, central.database,
                                      output / f"{number:02d}-fleet_dashboard")
    except Exception as exc:  # noqa: BLE001 - said on the console, the details in the log
        log.exception("the dashboard step stopped")
        console.failed(f"fleet dashboard: {type(exc).__name__}", DASHBOARD_LOG)
        return
    log.info("fleet dashboard: %s", ", ".join(shot.name for shot in shots))
    console.say(f"fleet dashboard: {len(shots)} pages photographed")


def set_up(central, tmp: Path, orientation: str, console: Console) -> Path | None:
    """Central started, the kiosk's config written and the kiosk enrolled: its config file;
    None when a step failed (noted on the console)."""
    try:
        central.start()
    except RuntimeError:
        console.failed("the central server did not start", CENTRAL_LOG, tail=3)
        return None
    config = write_kiosk_config(tmp, central.url, orientation)
    try:
        enrol_demo_kiosk(config, central, central.log_path.parent / ENROLMENT_LOG)
    except subprocess.CalledProcessError:
        console.failed("enrolling the demo kiosk at central", ENROLMENT_LOG, tail=3)
        return None
    return config


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--output", default="demo-output")
    p.add_argument("--orientation", choices=["portrait", "landscape"], default="portrait")
    p.add_argument("--journey", action="append", default=[],
                   help="run only this journey, e.g. diagnostics (repeatable; default: all)")
    args = p.parse_args()
    known = list(journeys(pin="0").keys())
    unknown = [name for name in args.journey if name not in known]
    if unknown:
        p.error(f"unknown journey(s) {', '.join(unknown)}; known: {', '.join(known)}")
    output = (ROOT / args.output).resolve()
    shutil.rmtree(output, ignore_errors=True)
    logs = logs_dir(output)
    console = Console(output)
    console.say("OneTrip Kiosk demo: starting the reference central server, enrolling the "
                "demo kiosk ...")
    with tempfile.TemporaryDirectory(prefix="onetrip-demo-") as tmp_name:
        tmp = Path(tmp_name)
        central = central_on(tmp)
        central.log_path = logs / CENTRAL_LOG
        central.kiosk_auth = "required"
        try:
            config = set_up(central, tmp, args.orientation, console)
            if config is not None:
                run_kiosk(args, config, central, output, console)
                if not args.journey:
                    photograph_dashboard(central, output, console)
        finally:
            central.stop()
    write_contact_sheet(output)
    return console.close(read_summary(output))


if __name__ == "__main__":
    sys.exit(main())
