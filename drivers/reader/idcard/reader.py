"""The ``idcard`` reader driver: the certified module on a serial or USB-CDC port.

A thread of its own polls "find card" and turns what it hears into PRESENTED and REMOVED
events (access NONE: the module authenticates the card itself, no key is asked). ``read``
selects the card and reads its text and photo. The module is checked at each (re)connect:
SAM status, then the SAM's id, kept for diagnostics. A module that goes silent or a port
that disappears makes the driver OFFLINE; the thread keeps trying and the driver comes back
by itself when the module answers again.

Once a card has been found, many modules answer a second "find" with 00 00 80 while the
same card stays on the reader (it is no longer idle); so when "find" says no card,
"select" is asked too, before a card is reported removed or absent (a card left on the
reader by a previous session, or one already read).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from drivers.base import DeviceHealth, HealthState
from drivers.reader.base import (
    AccessKey,
    AccessKind,
    DocumentEvent,
    DocumentEventKind,
    DocumentListener,
    DocumentReader,
    IdentityDocument,
    ProgressCallback,
)
from drivers.reader.idcard.commands import ModuleCommands
from drivers.reader.idcard.document import to_identity
from drivers.reader.idcard.link import LinkTrace, ModuleLink, Port, open_serial
from drivers.reader.idcard.photo import PhotoDecoding, decoder_from_option
from drivers.reader.idcard.status import (
    CardRemoved,
    FrameError,
    IdCardError,
    ModuleSilent,
    NoCard,
    PortUnavailable,
    ReadFailed,
    SamFault,
    SelectFailed,
)

log = logging.getLogger("drivers.reader.idcard")

BAUD_RATES = (9600, 115200)


class IdCardReader(DocumentReader):
    """The resident identity card (and the two cards read like it) through the module."""

    # The documents this reader can hold: a combined reader puts a simulated persona's
    # document on the reader that reads its kind.
    reads = frozenset({"id_card", "foreign_permanent_residence_card",
                       "hk_macao_taiwan_residence_permit"})

    def __init__(self, name: str, port: str, baud: int = 115200,
                 answer_timeout_s: float = 1.0, read_timeout_s: float = 3.0,
                 poll_interval_s: float = 0.3, reconnect_interval_s: float = 2.0,
                 retries: int = 1, photo_decoder: str | None = None) -> None:
        super().__init__(name)
        if baud not in BAUD_RATES:
            raise ValueError(f"baud must be one of {BAUD_RATES}")
        self.port_path = port
        self.baud = baud
        self.answer_timeout_s = answer_timeout_s
        self.read_timeout_s = read_timeout_s
        self.poll_interval_s = poll_interval_s
        self.reconnect_interval_s = reconnect_interval_s
        self.retries = retries
        self.photos = PhotoDecoding(decoder_from_option(photo_decoder))
        self.trace = LinkTrace()
        self.sam_id: str | None = None  # the module's security module, for diagnostics
        # Tests may replace it with a function returning any Port.
        self._open_port: Callable[[], Port] = lambda: open_serial(self.port_path, self.baud)
        self._port: Any = None
        self._link: ModuleLink | None = None
        self._link_lock = threading.Lock()
        self._health = DeviceHealth(HealthState.UNKNOWN, "not_started")
        self._listener: DocumentListener | None = None
        self._present = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- what diagnostics read -----------------------------------------------------------

    @property
    def photo_status(self) -> str:
        """Whether photos are decoded, and how the last one went (no personal data)."""
        return self.photos.status

    @property
    def present(self) -> bool:
        return self._present

    def health(self) -> DeviceHealth:
        return self._health

    # --- the device's life ---------------------------------------------------------------

    def start(self, listener: DocumentListener) -> None:
        if self._thread is not None:
            return
        self._listener = listener
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"reader-idcard-{self.name}",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=self.read_timeout_s + self.answer_timeout_s * 4 + 2)
        self._disconnect()

    def close(self) -> None:
        self.stop()

    def connect(self) -> ModuleLink:
        """Open the port and check the SAM; the link, or a typed error (health says which)."""
        with self._link_lock:
            if self._link is not None:
                return self._link
            port = self._open_port()
            link = ModuleLink(port, baud=self.baud, answer_timeout_s=self.answer_timeout_s,
                              read_timeout_s=self.read_timeout_s, retries=self.retries,
                              trace=self.trace)
            commands = ModuleCommands(link)
            try:
                commands.sam_status()
                self.sam_id = commands.sam_id()
            except BaseException:
                _close_quietly(port)
                raise
            self._port, self._link = port, link
            self._health = DeviceHealth(HealthState.OK, "ok", f"SAM {self.sam_id}")
            log.info("ID card module on %s ready (SAM %s)", self.port_path, self.sam_id)
            return link

    def _disconnect(self) -> None:
        with self._link_lock:
            port, self._port, self._link = self._port, None, None
        if port is not None:
            _close_quietly(port)

    def _fail(self, exc: IdCardError) -> None:
        """Record why the module cannot be used; a silent or missing one is dropped."""
        state = HealthState.ERROR if isinstance(exc, SamFault) else HealthState.OFFLINE
        if isinstance(exc, ModuleSilent | PortUnavailable | SamFault):
            self._disconnect()
        elif isinstance(exc, FrameError):
            state = HealthState.WARNING
        if self._health.code != exc.code:
            log.warning("ID card module on %s: %s", self.port_path, exc.code)
        self._health = DeviceHealth(state, exc.code, exc.detail or str(exc))

    # --- presence ------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            if self._link is None:
                try:
                    self.connect()
                except IdCardError as exc:
                    self._fail(exc)
                    self._set_present(False)
                    self._stop.wait(self.reconnect_interval_s)
                    continue
            try:
                present = self.probe()
            except IdCardError as exc:
                self._fail(exc)
                if self._link is None:
                    self._set_present(False)
            else:
                if self._health.state is not HealthState.OK:
                    self._health = DeviceHealth(HealthState.OK, "ok", f"SAM {self.sam_id}")
                self._set_present(present)
            self._stop.wait(self.poll_interval_s)

    def probe(self) -> bool:
        """Whether a card is on the reader now (find, and select for a card seen before)."""
        link = self._require_link()
        with link.lock:
            commands = ModuleCommands(link)
            if commands.find():
                return True
            try:  # a card already woken (left on the reader, or read) answers find with 80
                commands.select()
            except (NoCard, SelectFailed):
                return False
            return True

    def _set_present(self, present: bool) -> None:
        if present == self._present:
            return
        self._present = present
        kind = DocumentEventKind.PRESENTED if present else DocumentEventKind.REMOVED
        if self._listener is not None:
            self._listener(DocumentEvent(kind, self.name, AccessKind.NONE))

    def _require_link(self) -> ModuleLink:
        link = self._link
        if link is None:
            raise PortUnavailable(f"the module on {self.port_path} is not connected "
                                  f"({self._health.code})")
        return link

    # --- reading -------------------------------------------------------------------------

    def read(self, key: AccessKey | None = None,
             progress: ProgressCallback | None = None) -> IdentityDocument:
        """Select and read the card; the document, or a ReaderError subclass."""
        link = self._link or self.connect()
        commands = ModuleCommands(link)
        selected = False
        with link.lock:
            try:
                commands.find()  # wakes a card just put down; one seen before answers 80
                if progress:
                    progress(0.1)
                commands.select()
                selected = True
                if progress:
                    progress(0.3)
                card = commands.read()
            except (ReadFailed, SelectFailed, NoCard) as exc:
                if self._still_there(commands):
                    raise
                if not selected:
                    raise NoCard("no card on the reader", status=exc.status) from exc
                raise CardRemoved("the card left the reader during the read",
                                  status=exc.status) from exc
            except IdCardError as exc:
                if isinstance(exc, ModuleSilent | PortUnavailable | SamFault):
                    self._fail(exc)
                raise
        if progress:
            progress(0.8)
        photo = self.photos.jpeg(card.wlt)
        document = to_identity(card.text, photo)
        if progress:
            progress(1.0)
        return document

    def _still_there(self, commands: ModuleCommands) -> bool:
        try:
            if commands.find():
                return True
            commands.select()
            return True
        except IdCardError:
            return False


def is_usable() -> tuple[bool, str]:
    """pyserial is all the driver needs; the port itself is tried by the driver's thread."""
    try:
        import serial
    except ImportError:
        return False, "pyserial is not installed"
    return True, f"pyserial {serial.VERSION}"


def _close_quietly(port: Any) -> None:
    try:
        port.close()
    except Exception:  # a port already gone
        pass
