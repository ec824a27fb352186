"""Real IPP printers for tests: ippeveprinter (CUPS's IPP Everywhere test printer), and a
private cupsd with a card-printer queue in front of it.

ippeveprinter runs a command for every job (``-c``). Ours reads a *plan*, one list of
steps per job, which is how a test makes the printer misbehave during a job:

- ``{"state": "+media-jam"}``: a ``STATE:`` line, which ippeveprinter turns into
  printer-state-reasons (they stay after the job, like a real fault);
- ``{"attr": "marker-levels=12 ..."}``: an ``ATTR:`` line (marker-* printer attributes);
- ``{"sleep": s}``, ``{"wait_file": name}``: take time, or wait for the test;
- ``{"error": text}``, ``{"exit": n}``: a non-zero exit aborts the job.

Every run is logged to ``runs.jsonl`` (job id, name, format, sides, media, outcome), and
``-k`` keeps each document in the spool directory, so a test can decode what was sent.

ippeveprinter is built with Avahi and exits when it cannot reach a D-Bus system bus, so
the tests start a private ``dbus-daemon`` and point DBUS_SYSTEM_BUS_ADDRESS at it; Avahi
itself is not needed (``-r off``; the client tolerates a bus without Avahi).

``IppFront`` stands before an ippeveprinter on its own port and forwards every request;
with ``cancel="ignore"`` or ``"refuse"`` it plays a card printer that cannot stop a card in
motion (ippeveprinter itself always takes a Cancel-Job).

Every process started here is stopped by its own Popen handle (terminate, then wait).
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import requests
from PIL import Image

from drivers.printer import pwg_raster
from drivers.printer.ipp import (
    CONTENT_TYPE,
    Group,
    IppClient,
    IppMessage,
    JobStateCode,
    Op,
    Status,
    Tag,
    attr,
    encode_message,
)

IPPEVEPRINTER = shutil.which("ippeveprinter")
DBUS_DAEMON = shutil.which("dbus-daemon")
CUPSD = shutil.which("cupsd") or ("/usr/sbin/cupsd" if os.path.exists("/usr/sbin/cupsd") else None)
LPADMIN = shutil.which("lpadmin") or ("/usr/sbin/lpadmin" if os.path.exists("/usr/sbin/lpadmin")
                                      else None)

MISSING_IPPEVE = None if IPPEVEPRINTER and DBUS_DAEMON else \
    "needs ippeveprinter (Debian cups-ipp-utils) and dbus-daemon (Debian dbus-daemon)"
MISSING_CUPSD = None if CUPSD and LPADMIN else \
    "needs cupsd (Debian cups-daemon) and lpadmin (Debian cups-client)"

# A colour CR80 card printer, 300 dpi, both sides: ippeveprinter's attributes file format
# (ipptool's ATTR syntax). Document formats are not set here: with -a, ippeveprinter
# takes image/pwg-raster and image/urf.
CARD_PRINTER_ATTRIBUTES = """\
ATTR text printer-make-and-model "Kiosk Test Card Printer"
ATTR text printer-device-id "MFG:Kiosk Test;MDL:Card Printer;CMD:PWG;"
ATTR boolean color-supported true
ATTR integer copies-default 1
ATTR rangeOfInteger copies-supported 1-1
ATTR enum finishings-default 3
ATTR enum finishings-supported 3
ATTR keyword media-default om_cr80_53.98x85.6mm
ATTR keyword media-ready om_cr80_53.98x85.6mm
ATTR keyword media-supported om_cr80_53.98x85.6mm
ATTR collection media-size-supported {
  MEMBER integer x-dimension 5398
  MEMBER integer y-dimension 8560
}
ATTR collection media-col-default {
  MEMBER keyword media-size-name om_cr80_53.98x85.6mm
  MEMBER collection media-size {
    MEMBER integer x-dimension 5398
    MEMBER integer y-dimension 8560
  }
  MEMBER integer media-bottom-margin 0
  MEMBER integer media-left-margin 0
  MEMBER integer media-right-margin 0
  MEMBER integer media-top-margin 0
  MEMBER keyword media-source main
  MEMBER keyword media-type cardstock
}
ATTR integer media-bottom-margin-supported 0
ATTR integer media-left-margin-supported 0
ATTR integer media-right-margin-supported 0
ATTR integer media-top-margin-supported 0
ATTR keyword media-source-supported main
ATTR keyword media-type-supported cardstock
ATTR enum orientation-requested-default 3
ATTR enum orientation-requested-supported 3,4
ATTR keyword output-bin-default face-up
ATTR keyword output-bin-supported face-up
ATTR boolean page-ranges-supported false
ATTR integer pages-per-minute 6
ATTR integer pages-per-minute-color 6
ATTR keyword print-color-mode-default color
ATTR keyword print-color-mode-supported color,monochrome
ATTR enum print-quality-default 4
ATTR enum print-quality-supported 4,5
ATTR resolution printer-resolution-default 300dpi
ATTR resolution printer-resolution-supported 300dpi
ATTR resolution pwg-raster-document-resolution-supported 300dpi
ATTR keyword pwg-raster-document-type-supported srgb_8,sgray_8
ATTR keyword pwg-raster-document-sheet-back normal
ATTR keyword sides-default one-sided
ATTR keyword sides-supported one-sided,two-sided-long-edge,two-sided-short-edge
ATTR keyword print-content-optimize-default auto
ATTR keyword print-content-optimize-supported auto
ATTR keyword print-rendering-intent-default auto
ATTR keyword print-rendering-intent-supported auto
"""

# A card-printer PPD as a vendor driver would install it, reduced to what CUPS needs:
# a CR80 page, duplex, 300 dpi, and PWG raster passed through to the printer unchanged.
CARD_PRINTER_PPD = """\
*PPD-Adobe: "4.3"
*FormatVersion: "4.3"
*FileVersion: "1.0"
*LanguageVersion: English
*LanguageEncoding: ISOLatin1
*PCFileName: "KIOSKCRD.PPD"
*Manufacturer: "Kiosk Test"
*Product: "(Card Printer)"
*ModelName: "Kiosk Test Card Printer"
*ShortNickName: "Kiosk Test Card Printer"
*NickName: "Kiosk Test Card Printer, PWG raster"
*PSVersion: "(3010.000) 0"
*LanguageLevel: "3"
*ColorDevice: True
*DefaultColorSpace: RGB
*FileSystem: False
*Throughput: "6"
*LandscapeOrientation: Plus90
*TTRasterizer: Type42
*cupsVersion: 2.4
*cupsLanguages: "en"
*cupsFilter2: "image/pwg-raster image/pwg-raster 0 -"
*OpenUI *PageSize/Media Size: PickOne
*OrderDependency: 10 AnySetup *PageSize
*DefaultPageSize: CR80
*PageSize CR80/CR80 Card: "<</PageSize[153.01 242.65]>>setpagedevice"
*CloseUI: *PageSize
*OpenUI *PageRegion/Media Size: PickOne
*OrderDependency: 10 AnySetup *PageRegion
*DefaultPageRegion: CR80
*PageRegion CR80/CR80 Card: "<</PageSize[153.01 242.65]>>setpagedevice"
*CloseUI: *PageRegion
*DefaultImageableArea: CR80
*ImageableArea CR80/CR80 Card: "0 0 153.01 242.65"
*DefaultPaperDimension: CR80
*PaperDimension CR80/CR80 Card: "153.01 242.65"
*OpenUI *Duplex/2-Sided Printing: PickOne
*OrderDependency: 10 AnySetup *Duplex
*DefaultDuplex: None
*Duplex None/Off: "<</Duplex false>>setpagedevice"
*Duplex DuplexNoTumble/Long Edge: "<</Duplex true/Tumble false>>setpagedevice"
*Duplex DuplexTumble/Short Edge: "<</Duplex true/Tumble true>>setpagedevice"
*CloseUI: *Duplex
*OpenUI *Resolution/Resolution: PickOne
*OrderDependency: 10 AnySetup *Resolution
*DefaultResolution: 300dpi
*Resolution 300dpi/300 dpi: "<</HWResolution[300 300]>>setpagedevice"
*CloseUI: *Resolution
*DefaultFont: Courier
*Font Courier: Standard "(001.004)" Standard ROM
"""

# The job command ippeveprinter runs: follows the plan, logs the run.
_COMMAND = textwrap.dedent("""\
    import json, os, sys, time
    here = os.path.dirname(os.path.abspath(__file__))
    plan_path = os.path.join(here, "plan.json")
    try:
        with open(plan_path) as f:
            plan = json.load(f)
    except FileNotFoundError:
        plan = []
    steps = plan.pop(0) if plan else []
    with open(plan_path, "w") as f:
        json.dump(plan, f)
    run = {"job_id": int(os.environ.get("IPP_JOB_ID", "0")),
           "name": os.environ.get("IPP_JOB_NAME", ""),
           "format": os.environ.get("CONTENT_TYPE", ""),
           "sides": os.environ.get("IPP_SIDES", ""),
           "media": os.environ.get("IPP_MEDIA", "") or os.environ.get("IPP_MEDIA_COL", ""),
           "file": sys.argv[1], "size": os.path.getsize(sys.argv[1])}
    code = 0
    for step in steps:
        if "state" in step:
            print("STATE: " + step["state"], file=sys.stderr, flush=True)
        if "attr" in step:
            print("ATTR: " + step["attr"], file=sys.stderr, flush=True)
        if "error" in step:
            print("ERROR: " + step["error"], file=sys.stderr, flush=True)
        if "sleep" in step:
            time.sleep(step["sleep"])
        if "wait_file" in step:
            deadline = time.monotonic() + step.get("timeout", 30)
            while not os.path.exists(os.path.join(here, step["wait_file"])):
                if time.monotonic() > deadline:
                    break
                time.sleep(0.05)
        if "exit" in step:
            code = step["exit"]
    run["outcome"] = "printed" if code == 0 else "failed"
    with open(os.path.join(here, "runs.jsonl"), "a") as f:
        f.write(json.dumps(run) + "\\n")
    sys.exit(code)
""")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, proc: subprocess.Popen, what: str, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"{what} did not listen on port {port} within {timeout_s} s")


def _stop(proc: subprocess.Popen | None) -> None:
    """Stop one process we started, by its own handle."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


class SystemBus:
    """A private dbus-daemon standing in for the system bus ippeveprinter's Avahi client wants."""

    def __init__(self, workdir: Path) -> None:
        self.socket = workdir / "system_bus"
        self.address = f"unix:path={self.socket}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> SystemBus:
        self.proc = subprocess.Popen([DBUS_DAEMON, "--session", "--nofork", "--nopidfile",
                                      f"--address={self.address}"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 5
        while not self.socket.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("dbus-daemon did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        _stop(self.proc)


class IppEvePrinter:
    """One ippeveprinter on a free loopback port, with its plan, run log and kept documents."""

    def __init__(self, workdir: Path, bus: SystemBus, *, name: str = "Kiosk Card",
                 attributes: str | None = CARD_PRINTER_ATTRIBUTES,
                 legacy_args: tuple[str, ...] = ()) -> None:
        self.dir = workdir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.spool = self.dir / "spool"
        self.spool.mkdir(exist_ok=True)
        self.bus, self.name = bus, name
        self.attributes, self.legacy_args = attributes, legacy_args
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self.log = self.dir / "ippeveprinter.log"
        (self.dir / "command.py").write_text(_COMMAND)
        wrapper = self.dir / "command.sh"
        wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{self.dir / "command.py"}" "$@"\n')
        wrapper.chmod(0o755)

    @property
    def uri(self) -> str:
        return f"ipp://127.0.0.1:{self.port}/ipp/print"

    def client(self, user: str = "kiosk") -> IppClient:
        return IppClient(self.uri, user=user)

    def start(self, same_port: bool = False) -> IppEvePrinter:
        """Start (again: ``same_port``, with an empty job history, like a power-cycled printer)."""
        if not (same_port and self.port):
            self.port = free_port()
        args = [IPPEVEPRINTER, "-r", "off", "-p", str(self.port), "-n", "localhost", "-k",
                "-d", str(self.spool), "-c", str(self.dir / "command.sh"), "-v"]
        if self.attributes is not None and not self.legacy_args:
            conf = self.dir / "card.conf"
            conf.write_text(self.attributes)
            args += ["-a", str(conf)]
        args += [*self.legacy_args, self.name]
        env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=self.bus.address)
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(args, stdout=log, stderr=log, env=env,
                                         cwd=str(self.dir))
        _wait_for_port(self.port, self.proc, "ippeveprinter")
        return self

    def stop(self) -> None:
        _stop(self.proc)

    # ---------------------------------------------------------------- behaviour

    def plan(self, *jobs: list[dict[str, Any]]) -> None:
        """What the next jobs do, one list of steps per job; later jobs just print."""
        (self.dir / "plan.json").write_text(json.dumps(list(jobs)))

    def release(self, name: str = "release") -> None:
        (self.dir / name).write_text("go")

    def runs(self) -> list[dict[str, Any]]:
        path = self.dir / "runs.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def printed(self) -> list[dict[str, Any]]:
        return [r for r in self.runs() if r["outcome"] == "printed"]

    def document(self, job_id: int) -> bytes:
        """The document of a job as the printer received it (kept by -k)."""
        matches = [p for p in self.spool.glob(f"{job_id}-*") if p.suffix != ".prn"]
        assert matches, f"no spooled document for job {job_id}"
        return matches[0].read_bytes()

    def prime(self, *steps: dict[str, Any], timeout_s: float = 10.0) -> int:
        """Put the printer in a state: a small job whose command reports it (STATE:/ATTR:)."""
        self.plan(list(steps))
        tiny = pwg_raster.encode([Image.new("RGB", (8, 8), "white")], 300)
        job = self.client("technician").print_job(tiny, document_format="image/pwg-raster",
                                                  job_name="technician-setup")
        job_id = job.get("job-id")
        self.wait_job(job_id, timeout_s)
        return job_id

    def job_state(self, job_id: int) -> int:
        return self.client().get_job_attributes(job_id, ["job-state"]).get("job-state")

    def job_reasons(self, job_id: int) -> list[str]:
        """job-state-reasons; "processing-to-stop-point" once a cancel was taken mid-job."""
        job = self.client().get_job_attributes(job_id, ["job-state-reasons"])
        return [str(r) for r in job.all("job-state-reasons")]

    def submit(self, job_name: str, user: str = "kiosk") -> int:
        """A small job under ``job_name``, as a kiosk that died after sending it left it."""
        tiny = pwg_raster.encode([Image.new("RGB", (8, 8), "white")], 300)
        return self.client(user).print_job(tiny, document_format="image/pwg-raster",
                                           job_name=job_name).get("job-id")

    def wait_job(self, job_id: int, timeout_s: float = 10.0,
                 states: tuple[int, ...] = (7, 8, 9)) -> int:
        deadline = time.monotonic() + timeout_s
        while True:
            state = self.job_state(job_id)
            if state in states or time.monotonic() > deadline:
                return state
            time.sleep(0.05)

    def jobs(self, which: str = "all") -> list[tuple[int, str, int]]:
        """(job-id, job-name, job-state) of the jobs the printer knows."""
        return sorted((g.get("job-id"), g.get("job-name", ""), g.get("job-state"))
                      for g in self.client().get_jobs(which))


class IppFront:
    """An HTTP front on a loopback port for one ippeveprinter: every IPP request is passed
    on unchanged, except Cancel-Job when ``cancel`` says so.

    ``cancel``: "pass" (the printer decides), "ignore" (answered successful-ok and not
    passed on: the printer goes on with the job, as a card printer does with a card in
    motion), "refuse" (answered client-error-not-possible). ``cancels`` counts the
    Cancel-Job requests seen. The server thread is stopped by ``stop``.
    """

    def __init__(self, printer: IppEvePrinter, cancel: str = "pass") -> None:
        if cancel not in ("pass", "ignore", "refuse"):
            raise ValueError(f"cancel must be pass, ignore or refuse, not {cancel!r}")
        self.printer, self.cancel = printer, cancel
        self.cancels = 0
        self._server: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def uri(self) -> str:
        assert self._server is not None, "start() first"
        return f"ipp://127.0.0.1:{self._server.server_address[1]}/ipp/print"

    def start(self) -> IppFront:
        front = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status, kind, answer = front._answer(body)
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def _answer(self, body: bytes) -> tuple[int, str, bytes]:
        operation, request_id = int.from_bytes(body[2:4], "big"), int.from_bytes(body[4:8], "big")
        if operation == Op.CANCEL_JOB:
            self.cancels += 1
            if self.cancel != "pass":
                status = Status.OK if self.cancel == "ignore" else Status.NOT_POSSIBLE
                group = Group(Tag.OPERATION, [attr("attributes-charset", Tag.CHARSET, "utf-8"),
                                              attr("attributes-natural-language", Tag.LANGUAGE,
                                                   "en")])
                message = IppMessage(int(status), request_id, [group], (body[0], body[1]))
                return 200, CONTENT_TYPE, encode_message(message)
        answer = requests.post(f"http://127.0.0.1:{self.printer.port}/ipp/print", data=body,
                               headers={"Content-Type": CONTENT_TYPE}, timeout=30)
        return answer.status_code, answer.headers.get("Content-Type", CONTENT_TYPE), \
            answer.content

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None


class PrivateCupsd:
    """A cupsd of our own: its own config, spool and state under a temporary directory,
    listening on a free loopback port, no systemd, no web interface, no browsing.

    The directory lives under the system temporary directory with mode 0755 (not in
    pytest's 0700 tmp_path), because cupsd runs its backends as the "lp" user.
    Its policy lets anyone on loopback do anything, including Resume-Printer.
    """

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="kiosk-cupsd-"))
        self.root.chmod(0o755)
        self.port = 0
        self.proc: subprocess.Popen | None = None

    def start(self) -> PrivateCupsd:
        self.port = free_port()
        etc = self.root / "etc"
        for sub in ("etc/ppd", "spool/tmp", "cache", "state", "log"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        for path in [self.root, *self.root.rglob("*")]:
            path.chmod(0o755)
        (etc / "cupsd.conf").write_text(textwrap.dedent(f"""\
            Listen 127.0.0.1:{self.port}
            LogLevel info
            MaxLogSize 0
            Browsing No
            WebInterface No
            DefaultAuthType None
            ErrorPolicy stop-printer
            PreserveJobHistory Yes
            <Location />
              Order allow,deny
              Allow from 127.0.0.1
            </Location>
            <Policy default>
              <Limit All>
                Order deny,allow
              </Limit>
            </Policy>
            """))
        (etc / "cups-files.conf").write_text(textwrap.dedent(f"""\
            ServerRoot {etc}
            RequestRoot {self.root / 'spool'}
            TempDir {self.root / 'spool/tmp'}
            CacheDir {self.root / 'cache'}
            StateDir {self.root / 'state'}
            ErrorLog {self.root / 'log/error_log'}
            AccessLog {self.root / 'log/access_log'}
            PageLog {self.root / 'log/page_log'}
            Printcap {self.root / 'printcap'}
            SystemGroup root
            """))
        with open(self.root / "log" / "cupsd.out", "ab") as out:
            self.proc = subprocess.Popen([CUPSD, "-f", "-c", str(etc / "cupsd.conf"),
                                          "-s", str(etc / "cups-files.conf")],
                                         stdout=out, stderr=out)
        _wait_for_port(self.port, self.proc, "cupsd")
        return self

    def add_queue(self, name: str, device_uri: str, ppd: str = CARD_PRINTER_PPD) -> str:
        ppd_path = self.root / f"{name}.ppd"
        ppd_path.write_text(ppd)
        if "?" not in device_uri:  # the ipp backend would spend 4 s asking SNMP for supplies
            device_uri += "?snmp=false"
        subprocess.run([LPADMIN, "-h", f"127.0.0.1:{self.port}", "-p", name, "-E",
                        "-v", device_uri, "-P", str(ppd_path)],
                       check=True, capture_output=True, timeout=20)
        return self.uri(name)

    def set_device(self, name: str, device_uri: str) -> None:
        """Point a queue at another device, as a technician does with lpadmin -v."""
        if "?" not in device_uri:
            device_uri += "?snmp=false"
        subprocess.run([LPADMIN, "-h", f"127.0.0.1:{self.port}", "-p", name, "-v", device_uri],
                       check=True, capture_output=True, timeout=20)

    def uri(self, name: str) -> str:
        return f"ipp://127.0.0.1:{self.port}/printers/{name}"

    def error_log(self) -> str:
        path = self.root / "log" / "error_log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        _stop(self.proc)
        shutil.rmtree(self.root, ignore_errors=True)


def wait_until(predicate, timeout_s: float = 10.0, every_s: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every_s)
    return bool(predicate())


TERMINAL = (JobStateCode.CANCELED, JobStateCode.ABORTED, JobStateCode.COMPLETED)
