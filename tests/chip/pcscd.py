"""Real PC/SC plumbing for tests: a pcscd child process with vsmartcard's vpcd readers,
and vicc (vsmartcard's card emulator) as a second child.

pcscd reads ``/etc/reader.conf.d/vpcd`` and shows two readers, "Virtual PCD 00 00"
and "Virtual PCD 00 01", whose card sides are TCP ports 35963 and 35964 on which
vpcd listens. A card "lies on" a reader while something is connected to its port.

Nothing here reaps orphans, so every process started is terminated and wait()ed by
whoever started it, and only a pcscd this module started is ever stopped.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

from drivers.reader.pcsc import list_readers

PCSCD = "pcscd"
PCSCD_SOCKET = Path("/run/pcscd/pcscd.comm")
READER_0 = "Virtual PCD 00 00"
READER_1 = "Virtual PCD 00 01"
PORT_0 = 35963
PORT_1 = 35964
VICC = "vicc"
# Debian's python3-virtualsmartcard puts the package one level deeper than usual.
VIRTUALSMARTCARD_PARENT = "/usr/lib/python3/site-packages/virtualsmartcard"
SYSTEM_PYTHON = "/usr/bin/python3"


class PcscdUnavailable(RuntimeError):
    """pcscd cannot be run here; the message says why and what to install."""


def pcscd_serving() -> bool:
    """Does a pcscd answer on its socket now (readers or not)?"""
    if list_readers():
        return True
    try:
        from smartcard import scard
    except ImportError:
        return False
    hr, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hr & 0xFFFFFFFF:
        return False
    scard.SCardReleaseContext(context)
    return True


def wait_for_readers(names: tuple[str, ...] = (READER_0, READER_1),
                     timeout: float = 10.0) -> list[str]:
    """Wait until every name is a part of some reader pcscd shows; return the readers."""
    deadline = time.monotonic() + timeout
    readers: list[str] = []
    while time.monotonic() < deadline:
        readers = list_readers()
        if all(any(n in r for r in readers) for n in names):
            return readers
        time.sleep(0.05)
    raise TimeoutError(f"pcscd did not show {names} within {timeout} s; it shows {readers}")


def card_state(reader: str) -> str:
    """'present', 'empty' or 'unknown' for the reader whose name contains ``reader``."""
    from smartcard import scard
    hr, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hr & 0xFFFFFFFF:
        return "unknown"
    try:
        name = next((r for r in list_readers() if reader in r), None)
        if name is None:
            return "unknown"
        hr, states = scard.SCardGetStatusChange(context, 0, [(name, scard.SCARD_STATE_UNAWARE)])
        if hr & 0xFFFFFFFF:
            return "unknown"
        event = states[0][1]
        return "present" if event & scard.SCARD_STATE_PRESENT else "empty"
    finally:
        scard.SCardReleaseContext(context)


def wait_card_state(reader: str, state: str, timeout: float = 3.0) -> bool:
    """Wait until pcscd itself reports the reader ``state`` ("present" or "empty").

    vpcd notices a closed card socket only at pcscd's next presence poll (400 ms); a
    card inserted again before that is taken for the old one still lying there.
    """
    return wait_until(lambda: card_state(reader) == state, timeout, step=0.05)


def wait_until(predicate, timeout: float = 3.0, step: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return bool(predicate())


def wait_for_free_ports(ports: tuple[int, ...], timeout: float = 90.0) -> None:
    """vpcd's ports lie in Linux's ephemeral range (32768-60999): any outgoing connection on
    the machine may hold one, and vpcd then fails with "Address already in use". Wait until
    vpcd could bind them: probed as vpcd binds, with SO_REUSEADDR, so the TIME_WAIT a
    stopped pcscd leaves behind (60 s) is no reason to wait, while a port in use still is."""
    import socket

    deadline = time.monotonic() + timeout
    while True:
        busy = []
        for port in ports:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    probe.bind(("0.0.0.0", port))
                except OSError:
                    busy.append(port)
        if not busy:
            return
        if time.monotonic() > deadline:
            raise PcscdUnavailable(f"vpcd's ports {busy} stayed in use for {timeout:.0f} s")
        time.sleep(0.5)


class SessionLock:
    """Only one test session at a time may use the machine's pcscd and vpcd ports.

    pcscd and vpcd's ports are machine-wide: two pytest runs side by side would put
    two cards on one slot (vpcd then leaves the second connection unaccepted) or stop
    each other's pcscd. The second run waits here for the first.
    """

    PATH = Path("/tmp/onetrip-chip-tests.lock")

    def __init__(self) -> None:
        self._file: IO[bytes] | None = None

    def acquire(self, timeout: float = 300.0) -> None:
        import fcntl

        self._file = open(self.PATH, "ab")
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    self.release()
                    raise PcscdUnavailable(f"another test run held {self.PATH} for "
                                           f"{timeout:.0f} s") from None
                time.sleep(0.2)

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing drops the lock
            self._file = None


class Pcscd:
    """pcscd in the foreground as our child; ``owned`` is False when one was already running."""

    def __init__(self, log_path: Path) -> None:
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self.owned = False

    def ensure(self) -> list[str]:
        """Use the pcscd that serves already, or start ours; wait for the vpcd readers."""
        if pcscd_serving():
            try:
                return wait_for_readers(timeout=3.0)
            except TimeoutError as exc:
                raise PcscdUnavailable(
                    f"a pcscd not started by the tests is running without vpcd's readers: {exc}. "
                    "Install vsmartcard-vpcd and restart that pcscd.") from None
        self.owned = True
        return self.start()

    def start(self, timeout: float = 10.0) -> list[str]:
        binary = shutil.which(PCSCD) or shutil.which(PCSCD, path="/usr/sbin:/sbin")
        if binary is None:
            raise PcscdUnavailable("pcscd is not installed: `apt-get install pcscd "
                                   "vsmartcard-vpcd` (the Makefile's system-packages does it)")
        if not Path("/etc/reader.conf.d/vpcd").exists():
            raise PcscdUnavailable("vpcd is not configured: `apt-get install vsmartcard-vpcd`")
        if os.geteuid() != 0:
            raise PcscdUnavailable("pcscd must run as root to create /run/pcscd; run the chip "
                                   "tests as root (CI does) or start pcscd yourself first")
        wait_for_free_ports((PORT_0, PORT_1))
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen([binary, "--foreground", "--info"], stdin=subprocess.DEVNULL,
                                        stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.wait()
                self.process = None
                raise PcscdUnavailable(f"pcscd exited at once with status {code}:\n{self.log_tail()}")
            try:
                return wait_for_readers(timeout=0.2)
            except TimeoutError:
                continue
        self.stop()
        raise PcscdUnavailable(f"pcscd did not show the vpcd readers within {timeout} s:\n"
                               f"{self.log_tail()}")

    def stop(self) -> None:
        """Terminate and reap our pcscd (no-op if it is not ours or not running)."""
        process, self.process = self.process, None
        if process is not None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


# -- vicc -----------------------------------------------------------------------------------

SITECUSTOMIZE = '''\
"""Written by tests/chip/pcscd.py for vicc: let Debian's virtualsmartcard import."""
import importlib, importlib.abc, importlib.util, sys


class _CryptoIsCryptodome(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """virtualsmartcard imports PyCrypto's ``Crypto``; Debian ships it as ``Cryptodome``."""

    def find_spec(self, name, path=None, target=None):
        if name == "Crypto" or name.startswith("Crypto."):
            return importlib.util.spec_from_loader(name, self)
        return None

    def create_module(self, spec):
        return importlib.import_module("Cryptodome" + spec.name[len("Crypto"):])

    def exec_module(self, module):
        pass


sys.meta_path.insert(0, _CryptoIsCryptodome())
for _name in {extra!r}:
    importlib.import_module(_name).install()
'''


class Vicc:
    """vicc as our child, attached to one vpcd port; ``stop`` terminates and reaps it."""

    def __init__(self, work_dir: Path, card_type: str = "iso7816", port: int = PORT_1,
                 patches: tuple[Path, ...] = (), extra_args: tuple[str, ...] = ()) -> None:
        self.work_dir = work_dir
        self.card_type = card_type
        self.port = port
        self.patches = patches
        self.extra_args = extra_args
        self.log_path = work_dir / f"vicc-{card_type}-{port}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which(VICC)
        if binary is None:
            raise PcscdUnavailable("vicc is not installed: `apt-get install vsmartcard-vpicc "
                                   "python3-pycryptodome`")
        python = SYSTEM_PYTHON if Path(SYSTEM_PYTHON).exists() else sys.executable
        probe = subprocess.run([python, "-c", "import Cryptodome"], capture_output=True,
                               check=False, timeout=30)
        if probe.returncode != 0:
            raise PcscdUnavailable("vicc needs pycryptodome for the system Python: "
                                   "`apt-get install python3-pycryptodome`")
        site = self.work_dir / "vicc-site"
        site.mkdir(parents=True, exist_ok=True)
        for patch in self.patches:  # monkeypatch modules imported by the sitecustomize
            shutil.copy(patch, site / patch.name)
        (site / "sitecustomize.py").write_text(
            SITECUSTOMIZE.format(extra=tuple(p.stem for p in self.patches)))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
        env["PYTHONPATH"] = os.pathsep.join([str(site), VIRTUALSMARTCARD_PARENT])
        env["PYTHONUNBUFFERED"] = "1"
        self._log = open(self.log_path, "ab")
        command = [python, binary,
                   "--type", self.card_type, "--hostname", "127.0.0.1", "--port", str(self.port),
                   *self.extra_args]
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=self._log,
                                        stderr=subprocess.STDOUT, env=env, cwd=self.work_dir)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            if process.poll() is None:
                process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
