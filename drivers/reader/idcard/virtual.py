"""The ``virtual_idcard`` driver: the virtual module on a socat pty pair, read by ``idcard``.

socat makes two linked ptys with stable names (``link=``) in a private folder: the
virtual module opens one, the real driver opens the other through pyserial, exactly as it
opens /dev/ttyUSB0 or /dev/ttyACM0 at a site. ``unplug``/``replug`` stop and restart socat
under the same names, as a technician pulling the USB cable would.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from drivers.base import FaultScript
from drivers.reader.idcard.cards import demo_cards
from drivers.reader.idcard.module import VirtualIdCardModule
from drivers.reader.idcard.reader import IdCardReader
from drivers.reader.personas import load_documents

DEFAULT_DOCUMENT = "eligible"


def socat_usable() -> tuple[bool, str]:
    path = shutil.which("socat")
    return (True, f"socat at {path}") if path else (False, "socat is not installed")


class SocatPtyPair:
    """Two linked ptys, ``module`` and ``kiosk``, under ``folder``; start/stop at will."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.module = str(self.folder / "module")
        self.kiosk = str(self.folder / "kiosk")
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 5.0) -> None:
        log_path = self.folder / "socat.log"
        with open(log_path, "wb") as log:
            self.proc = subprocess.Popen(
                ["socat", "-d", "-d", f"pty,raw,echo=0,link={self.module}",
                 f"pty,raw,echo=0,link={self.kiosk}"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log)
        deadline = time.monotonic() + timeout_s
        while "starting data transfer loop" not in log_path.read_text(errors="replace"):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("socat did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


class VirtualIdCardReader(IdCardReader):
    """IdCardReader on the virtual module; ``place``/``lift`` as the other simulators'."""

    def __init__(self, name: str, documents: Mapping[str, Mapping[str, Any]] | None = None,
                 documents_file: str | None = None, document: str | None = None,
                 present_after_s: float | None = None,
                 faults: dict[str, Any] | FaultScript | None = None, baud: int = 115200,
                 module_baud: int | None = None, pace: bool = True,
                 photo_decoder: str | None = "simulated", answer_timeout_s: float = 1.0,
                 read_timeout_s: float = 3.0, poll_interval_s: float = 0.2,
                 reconnect_interval_s: float = 0.5, retries: int = 1) -> None:
        self.faults = faults if isinstance(faults, FaultScript) else FaultScript(faults)
        self.cards = demo_cards(load_documents(documents, documents_file))
        self._folder = tempfile.mkdtemp(prefix="idcard-pty-")
        self.pair = SocatPtyPair(self._folder)
        self.module = VirtualIdCardModule(self.pair.module, self.cards, self.faults,
                                          baud=module_baud or baud, pace=pace, name=name)
        super().__init__(name, port=self.pair.kiosk, baud=baud,
                         answer_timeout_s=answer_timeout_s, read_timeout_s=read_timeout_s,
                         poll_interval_s=poll_interval_s,
                         reconnect_interval_s=reconnect_interval_s, retries=retries,
                         photo_decoder=photo_decoder)
        self.document = document or (DEFAULT_DOCUMENT if DEFAULT_DOCUMENT in self.cards
                                     else next(iter(self.cards)))
        self.present_after_s = present_after_s
        self._timer: threading.Timer | None = None
        self._plugged = False

    def plug(self) -> None:
        """Start socat and the module (idempotent)."""
        if not self._plugged:
            self.pair.start()
            self.module.start()
            self._plugged = True

    def unplug(self) -> None:
        """Pull the cable: the module and its pty vanish."""
        if self._plugged:
            self.module.stop()
            self.pair.stop()
            self._plugged = False

    def open(self) -> None:
        self.plug()

    def start(self, listener: Any) -> None:
        self.plug()
        super().start(listener)

    def connect(self) -> Any:
        if self._thread is None and not self._plugged:  # read() without start(): plug in
            self.plug()
        return super().connect()

    def stop(self) -> None:
        self.disarm()
        super().stop()
        self.unplug()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self._folder, ignore_errors=True)

    @property
    def present_key(self) -> str | None:
        return self.module.present_key

    def place(self, key: str | None = None) -> None:
        """Put a card down. A card already there is taken away first, long enough for the
        driver's polls to notice (a hand swaps cards; it cannot swap them in no time)."""
        if self.module.present_key is None:
            self.module.place(key or self.document)
            return
        self.module.lift()
        later = threading.Timer(self.poll_interval_s * 3, self.module.place, (key or self.document,))
        later.daemon = True
        later.start()

    def lift(self) -> None:
        self.module.lift()

    def arm(self) -> None:
        if self.present_after_s is None:
            return
        self.disarm()
        self.lift()
        self._timer = threading.Timer(self.present_after_s, self.place)
        self._timer.name = f"reader-idcard-arm-{self.name}"
        self._timer.daemon = True
        self._timer.start()

    def disarm(self) -> None:
        timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()
