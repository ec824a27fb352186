"""A card slot on a real PC/SC reader, through pcscd and pyscard.

One ``PcscSlot`` is one reader where a document can lie. Its monitor thread waits in
``SCardGetStatusChange`` (with a timeout, and ``SCardCancel`` from ``stop``) on the
reader it matched by name and on pcsc-lite's ``\\\\?PnP?\\Notification`` pseudo
reader, and tells its listener ``(present, atr)`` on every insertion and removal. It
keeps going when the reader is unplugged and plugged back, and when pcscd is stopped
and started again (health is OFFLINE meanwhile and the context is re-established with
a backoff). ``connect`` hands out a ``PcscChannel``: raw APDUs in, raw responses out.

pyscard is imported only here and only when first needed, so the package imports on
machines without it; ``is_usable`` says whether it can run. The log carries reader
names, ATRs and status words, never APDU data: documents hold personal data.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol

from drivers.base import DeviceHealth, DeviceOffline, HealthState
from drivers.reader.base import DocumentRemoved, ReaderError, UnreadableDocument
from drivers.reader.icao.errors import ChipError

log = logging.getLogger("drivers.reader.pcsc")

PNP_READER = "\\\\?PnP?\\Notification"
BACKOFF_FIRST_S = 0.2
BACKOFF_MAX_S = 2.0
GONE_CHECK_S = 1.0  # how long a transmit failure waits to see whether the card left

SlotListener = Callable[[bool, "bytes | None"], None]


class CardChannel(Protocol):
    def transmit(self, apdu: bytes) -> bytes: ...


# -- pyscard, imported on demand --------------------------------------------------------

_scard: Any = None
_import_error = ""


def _sc() -> Any:
    """The ``smartcard.scard`` module, or DeviceOffline when pyscard cannot be imported."""
    global _scard, _import_error
    if _scard is None and not _import_error:
        try:
            from smartcard import scard
        except Exception as exc:  # ImportError, or libpcsclite missing under pyscard
            _import_error = f"{type(exc).__name__}: {exc}"
        else:
            _scard = scard
    if _scard is None:
        raise DeviceOffline(f"pyscard is not usable: {_import_error}", code="pyscard_missing")
    return _scard


def is_usable() -> tuple[bool, str]:
    """Can this driver run here? (pyscard importable; pcscd may come up later.)"""
    try:
        _sc()
    except DeviceOffline as exc:
        return False, exc.detail
    readers = list_readers()
    where = f"pcscd shows {len(readers)} reader(s)" if readers else "pcscd shows no reader yet"
    return True, f"pyscard available; {where}"


def _u32(hr: int) -> int:
    return hr & 0xFFFFFFFF


def _error_name(hr: int) -> str:
    """'SCARD_E_NO_SERVICE (0x8010001D)' for a PC/SC return code."""
    code = _u32(hr)
    name = ""
    if _scard is not None:
        for attr in dir(_scard):
            if attr.startswith(("SCARD_E_", "SCARD_W_", "SCARD_F_", "SCARD_P_")):
                value = getattr(_scard, attr)
                if isinstance(value, int) and _u32(value) == code:
                    name = attr
                    break
    return f"{name or 'PC/SC error'} (0x{code:08X})"


def _codes(*names: str) -> frozenset[int]:
    sc = _sc()
    return frozenset(_u32(getattr(sc, n)) for n in names if hasattr(sc, n))


def _removed_codes() -> frozenset[int]:
    return _codes("SCARD_W_REMOVED_CARD", "SCARD_E_NO_SMARTCARD")


def _service_codes() -> frozenset[int]:
    return _codes("SCARD_E_NO_SERVICE", "SCARD_E_SERVICE_STOPPED", "SCARD_E_INVALID_HANDLE")


def _reader_gone_codes() -> frozenset[int]:
    return _codes("SCARD_E_READER_UNAVAILABLE", "SCARD_E_UNKNOWN_READER")


def _raise_for(hr: int, what: str) -> None:
    """Turn a failed PC/SC call into the driver's typed errors (never returns if hr != 0)."""
    sc = _sc()
    code = _u32(hr)
    if code == 0:
        return
    text = f"{what}: {_error_name(hr)}"
    if code in _removed_codes():
        raise DocumentRemoved(text)
    if code in _codes("SCARD_E_NO_SERVICE", "SCARD_E_SERVICE_STOPPED"):
        raise DeviceOffline(text, code="pcscd_unavailable")
    if code in _reader_gone_codes():
        raise DeviceOffline(text, code="reader_missing")
    if code == _u32(sc.SCARD_E_INVALID_HANDLE):
        raise DeviceOffline(text, code="pcsc_handle_lost")  # pcscd restarted under us
    if code in _codes("SCARD_W_UNRESPONSIVE_CARD", "SCARD_W_UNPOWERED_CARD"):
        raise UnreadableDocument(text, code="card_mute")
    if code == _u32(sc.SCARD_E_SHARING_VIOLATION):
        raise ReaderError(text, code="reader_busy")
    raise ReaderError(text, code="pcsc_error")


def _establish() -> tuple[int, int | None]:
    sc = _sc()
    hr, context = sc.SCardEstablishContext(sc.SCARD_SCOPE_USER)
    return (hr, context) if _u32(hr) == 0 else (hr, None)


def _release(context: int | None) -> None:
    if context is None or _scard is None:
        return
    try:
        _scard.SCardReleaseContext(context)
    except Exception:  # pcscd already gone: nothing left to release
        pass


def _list(context: int) -> tuple[int, list[str]]:
    sc = _sc()
    hr, readers = sc.SCardListReaders(context, [])
    if _u32(hr) == _u32(sc.SCARD_E_NO_READERS_AVAILABLE):
        return 0, []
    return hr, list(readers or []) if _u32(hr) == 0 else []


def list_readers() -> list[str]:
    """The PC/SC reader names pcscd shows now; [] when pcscd is not running. Never raises."""
    try:
        hr, context = _establish()
        if context is None:
            return []
        try:
            hr, readers = _list(context)
            return readers if _u32(hr) == 0 else []
        finally:
            _release(context)
    except Exception:
        return []


def _protocol_name(protocol: int | None) -> str:
    if protocol is None or _scard is None:
        return ""
    if protocol == _scard.SCARD_PROTOCOL_T1:
        return "T=1"
    if protocol == _scard.SCARD_PROTOCOL_T0:
        return "T=0"
    return f"0x{protocol:X}"


# -- a connection to the card -----------------------------------------------------------

class PcscChannel:
    """A connection to the card on one reader; owns its own PC/SC context."""

    def __init__(self, slot: PcscSlot, context: int, handle: int, protocol: int,
                 atr: bytes, reader: str) -> None:
        self._slot = slot
        self._context: int | None = context
        self._handle = handle
        self.protocol = protocol
        self.atr = atr
        self.reader = reader
        self._lock = threading.Lock()

    def transmit(self, apdu: bytes) -> bytes:
        """Send one command APDU; return data + SW1 SW2 as the card answered them."""
        sc = _sc()
        with self._lock:
            if self._context is None:
                raise ReaderError("the channel is closed", code="channel_closed")
            hr, response = sc.SCardTransmit(self._handle, self.protocol, list(apdu))
            if _u32(hr) == _u32(sc.SCARD_W_RESET_CARD):
                log.info("%s: card was reset; reconnecting once", self.reader)
                self._reconnect()
                hr, response = sc.SCardTransmit(self._handle, self.protocol, list(apdu))
                if _u32(hr) == _u32(sc.SCARD_W_RESET_CARD):
                    raise DocumentRemoved(f"{self.reader}: card reset again")
            if _u32(hr) != 0:
                self._slot._note_error(hr)
                if _u32(hr) in _codes("SCARD_E_NOT_TRANSACTED", "SCARD_F_COMM_ERROR",
                                      "SCARD_E_COMM_DATA_LOST", "SCARD_W_UNRESPONSIVE_CARD"):
                    self._failed(f"transmit failed: {_error_name(hr)}")
                _raise_for(hr, f"{self.reader}: transmit")
            answer = bytes(response)
            if len(answer) < 2:
                # vpcd (and some readers) answer nothing when the card left mid-command
                self._failed(f"the card answered {len(answer)} byte(s)")
            log.debug("%s: SW %02X%02X (%d bytes)", self.reader, answer[-2], answer[-1],
                      len(answer) - 2)
            return answer

    def _reconnect(self) -> None:
        sc = _sc()
        hr, protocol = sc.SCardReconnect(self._handle, sc.SCARD_SHARE_SHARED,
                                         sc.SCARD_PROTOCOL_T0 | sc.SCARD_PROTOCOL_T1,
                                         sc.SCARD_LEAVE_CARD)
        if _u32(hr) == _u32(sc.SCARD_W_RESET_CARD) or _u32(hr) in _removed_codes():
            raise DocumentRemoved(f"{self.reader}: reconnect after reset: {_error_name(hr)}")
        _raise_for(hr, f"{self.reader}: reconnect")
        self.protocol = protocol

    def _failed(self, what: str) -> None:
        """A command got no answer: removed if the card goes within a second, else a chip error."""
        if self._slot._card_gone_soon(self._handle, GONE_CHECK_S):
            raise DocumentRemoved(f"{self.reader}: {what}; the card left")
        raise ChipError(f"{self.reader}: {what}")

    def close(self) -> None:
        """Leave the card as it is and release the connection; safe twice."""
        with self._lock:
            context, self._context = self._context, None
        if context is None or _scard is None:
            return
        try:
            _scard.SCardDisconnect(self._handle, _scard.SCARD_LEAVE_CARD)
        except Exception:
            pass
        _release(context)

    def __enter__(self) -> PcscChannel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- the slot and its monitor thread ----------------------------------------------------

class _ContextLost(Exception):
    """pcscd went away under the monitor; establish a new context."""


class PcscSlot:
    """One reader, chosen by a case-insensitive part of its name."""

    def __init__(self, reader: str = "", *, poll_timeout_s: float = 0.5) -> None:
        self.pattern = reader
        self.name = reader
        self.poll_timeout_s = poll_timeout_s
        self._lock = threading.Lock()
        self._listener: SlotListener | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._context: int | None = None  # the monitor's, for SCardCancel
        self._reader: str | None = None
        self._present = False
        self._atr: bytes | None = None
        self._health: DeviceHealth | None = None
        self._last_error = ""
        self._protocol: int | None = None

    # -- watching -----------------------------------------------------------------------

    def start(self, listener: SlotListener) -> None:
        """Watch the reader on one thread; a card already present is announced at once."""
        self._listener = listener
        if self._thread is not None:
            return
        _sc()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(self._stop,),
                                        name=f"pcsc-slot-{self.pattern or 'any'}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop watching: cancel the wait, join the thread (it releases its context)."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stop.set()
        # SCardCancel wakes a wait in progress only; the thread may be just about to
        # start one, so cancel again until it has gone.
        for _ in range(50):
            self._cancel_wait()
            thread.join(timeout=0.1)
            if not thread.is_alive():
                return
        log.error("PC/SC monitor for %r did not stop within 5 s", self.pattern)

    def _cancel_wait(self) -> None:
        with self._lock:
            context = self._context
        if context is not None and _scard is not None:
            try:
                _scard.SCardCancel(context)
            except Exception:
                pass

    def close(self) -> None:
        self.stop()

    def _run(self, stop: threading.Event) -> None:
        backoff = BACKOFF_FIRST_S
        while not stop.is_set():
            hr, context = _establish()
            if context is None:
                self._offline("pcscd_unavailable", f"no PC/SC service: {_error_name(hr)}", hr)
                stop.wait(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX_S)
                continue
            backoff = BACKOFF_FIRST_S
            with self._lock:
                self._context = context
            try:
                self._watch(context, stop)
            except _ContextLost as lost:
                self._offline("pcscd_unavailable", f"pcscd went away: {lost}", None)
                stop.wait(BACKOFF_FIRST_S)
            except Exception:  # never let the monitor die: log, back off, start over
                log.exception("PC/SC monitor for %r failed; starting over", self.pattern)
                stop.wait(BACKOFF_MAX_S)
            finally:
                with self._lock:
                    self._context = None
                _release(context)
        self._set_present(False, None, quiet=True)

    def _watch(self, context: int, stop: threading.Event) -> None:
        sc = _sc()
        timeout_ms = max(1, int(self.poll_timeout_s * 1000))
        pnp_state = sc.SCARD_STATE_UNAWARE
        use_pnp = True
        reader: str | None = None
        card_state = sc.SCARD_STATE_UNAWARE
        while not stop.is_set():
            if reader is None:
                reader = self._find_reader(context)
                card_state = sc.SCARD_STATE_UNAWARE
                if reader is None:
                    self._offline("reader_missing", f"no reader matches {self.pattern!r}", None)
            states = ([(reader, card_state)] if reader else []) + \
                     ([(PNP_READER, pnp_state)] if use_pnp else [])
            if not states:  # no PnP support and no reader: poll the list
                stop.wait(self.poll_timeout_s)
                continue
            hr, out = sc.SCardGetStatusChange(context, timeout_ms, states)
            code = _u32(hr)
            if code in (_u32(sc.SCARD_E_TIMEOUT), _u32(sc.SCARD_E_CANCELLED)):
                continue
            if code in _service_codes():
                self._note_error(hr)
                raise _ContextLost(_error_name(hr))
            if code in _reader_gone_codes() | _codes("SCARD_E_NO_READERS_AVAILABLE"):
                self._note_error(hr)
                if reader is not None:
                    self._reader_lost(reader)
                    reader = None
                else:
                    stop.wait(self.poll_timeout_s)  # no reader at all: poll the list
                continue
            if code != 0:
                self._note_error(hr)
                log.warning("PC/SC status wait on %r: %s", reader or self.pattern, _error_name(hr))
                stop.wait(self.poll_timeout_s)
                continue
            for name, event, atr in out:
                if name == PNP_READER:
                    if event & sc.SCARD_STATE_UNKNOWN:
                        use_pnp = False  # this pcsc-lite has no PnP notification: poll
                        log.info("PC/SC: no PnP notification; polling the reader list")
                    pnp_state = event & ~sc.SCARD_STATE_CHANGED
                    continue  # a missing reader is looked for again on the next round
                if event & (sc.SCARD_STATE_UNKNOWN | sc.SCARD_STATE_UNAVAILABLE):
                    self._reader_lost(name)
                    reader = None
                    break
                card_state = self._card_event(name, card_state, event, bytes(atr or b""))

    def _find_reader(self, context: int) -> str | None:
        hr, readers = _list(context)
        if _u32(hr) != 0:
            self._note_error(hr)
            if _u32(hr) in _service_codes():
                raise _ContextLost(_error_name(hr))
            return None
        reader = _match(self.pattern, readers)
        if reader is not None:
            with self._lock:
                changed = reader != self._reader
                self._reader = reader
                self.name = reader
                self._health = DeviceHealth(HealthState.OK, "", reader)
            if changed:
                log.info("PC/SC slot %r uses reader %r", self.pattern, reader)
        return reader

    def _card_event(self, reader: str, before: int, event: int, atr: bytes) -> int:
        sc = _sc()
        present = bool(event & sc.SCARD_STATE_PRESENT)
        mute = bool(event & sc.SCARD_STATE_MUTE)
        with self._lock:
            was = self._present
        # pcsc-lite counts insertions and removals in the high 16 bits: a document lifted
        # and put back between two waits shows as "still present" with a new count.
        swapped = (was and present and before != sc.SCARD_STATE_UNAWARE
                   and (before >> 16) != (event >> 16))
        if swapped:
            self._set_present(False, None)
        if present != was or swapped:
            self._set_present(present, None if mute else atr)
            if present:
                log.info("%s: card present, ATR %s%s", reader, atr.hex().upper(),
                         " (mute)" if mute else "")
            else:
                log.info("%s: card removed", reader)
        return event & ~sc.SCARD_STATE_CHANGED

    def _reader_lost(self, reader: str | None) -> None:
        log.warning("PC/SC reader %r is gone", reader)
        self._set_present(False, None)
        with self._lock:
            self._reader = None  # ``name`` keeps the last reader's name for the technician
        self._offline("reader_missing", f"reader {reader!r} disappeared", None)

    def _set_present(self, present: bool, atr: bytes | None, quiet: bool = False) -> None:
        with self._lock:
            if self._present == present and not present:
                return
            self._present = present
            self._atr = atr if present else None
            listener = self._listener
        if quiet or listener is None:
            return
        try:
            listener(present, atr if present else None)
        except Exception:  # a listener's bug must not kill the monitor
            log.exception("PC/SC slot listener failed")

    def _offline(self, code: str, detail: str, hr: int | None) -> None:
        if hr is not None:
            self._note_error(hr)
        with self._lock:
            before = self._health
            self._health = DeviceHealth(HealthState.OFFLINE, code, detail)
        if code == "pcscd_unavailable":
            self._set_present(False, None)  # whatever was read through the old context is lost
        if before is None or before.code != code:
            log.warning("PC/SC slot %r offline: %s", self.pattern, detail)

    def _note_error(self, hr: int) -> None:
        with self._lock:
            self._last_error = _error_name(hr)

    # -- using the card -----------------------------------------------------------------

    def connect(self) -> PcscChannel:
        """Connect to the card on the reader (T=1 or T=0, shared)."""
        sc = _sc()
        hr, context = _establish()
        if context is None:
            self._note_error(hr)
            raise DeviceOffline(f"no PC/SC service: {_error_name(hr)}", code="pcscd_unavailable")
        try:
            with self._lock:
                reader = self._reader
            if reader is None:
                hr, readers = _list(context)
                _raise_for(hr, "list readers")
                reader = _match(self.pattern, readers)
                if reader is None:
                    raise DeviceOffline(f"no reader matches {self.pattern!r}",
                                        code="reader_missing")
            hr, handle, protocol = sc.SCardConnect(context, reader, sc.SCARD_SHARE_SHARED,
                                                   sc.SCARD_PROTOCOL_T0 | sc.SCARD_PROTOCOL_T1)
            if _u32(hr) != 0:
                self._note_error(hr)
                _raise_for(hr, f"{reader}: connect")
            hr, _name, _state, _proto, atr = sc.SCardStatus(handle)
            if _u32(hr) != 0:
                sc.SCardDisconnect(handle, sc.SCARD_LEAVE_CARD)
                self._note_error(hr)
                _raise_for(hr, f"{reader}: status")
        except BaseException:
            _release(context)
            raise
        with self._lock:
            self._protocol = protocol
        log.info("%s: connected (%s), ATR %s", reader, _protocol_name(protocol),
                 bytes(atr).hex().upper())
        return PcscChannel(self, context, handle, protocol, bytes(atr), reader)

    def _card_gone_soon(self, handle: int, within_s: float) -> bool:
        """After a failed command: does the card turn out to be gone within ``within_s``?

        vpcd, and some readers, report a card lifted mid-command only a moment later.
        """
        sc = _sc()
        gone = _removed_codes() | _service_codes() | _reader_gone_codes()
        pause = threading.Event()
        for _ in range(max(1, int(within_s / 0.05))):
            hr = sc.SCardStatus(handle)[0]
            if _u32(hr) in gone:
                return True
            pause.wait(0.05)
        return False

    # -- what the technician sees -------------------------------------------------------

    def health(self) -> DeviceHealth:
        """OK with the reader's name, or OFFLINE pcscd_unavailable / reader_missing."""
        try:
            with self._lock:
                watched = self._thread is not None and self._health is not None
                current = self._health
            if watched and current is not None:
                return current
            return self._probe()
        except Exception as exc:  # health must never raise
            return DeviceHealth(HealthState.UNKNOWN, "health_failed", type(exc).__name__)

    def _probe(self) -> DeviceHealth:
        ok, why = is_usable()
        if not ok:
            return DeviceHealth(HealthState.OFFLINE, "pyscard_missing", why)
        hr, context = _establish()
        if context is None:
            return DeviceHealth(HealthState.OFFLINE, "pcscd_unavailable",
                                f"no PC/SC service: {_error_name(hr)}")
        try:
            hr, readers = _list(context)
        finally:
            _release(context)
        if _u32(hr) != 0:
            return DeviceHealth(HealthState.OFFLINE, "pcscd_unavailable", _error_name(hr))
        reader = _match(self.pattern, readers)
        if reader is None:
            return DeviceHealth(HealthState.OFFLINE, "reader_missing",
                                f"no reader matches {self.pattern!r}")
        return DeviceHealth(HealthState.OK, "", reader)

    def status(self) -> dict[str, Any]:
        """For the technician: reader, presence, ATR, protocol, last PC/SC error."""
        health = self.health()
        with self._lock:
            return {
                "reader": self._reader or "",
                "pattern": self.pattern,
                "watching": self._thread is not None,
                "present": self._present,
                "atr": (self._atr or b"").hex().upper(),
                "protocol": _protocol_name(self._protocol),
                "last_error": self._last_error,
                "health": health.state.value,
                "health_code": health.code,
            }


def _match(pattern: str, readers: list[str]) -> str | None:
    """The first reader whose name contains ``pattern`` (case-insensitive), never PnP."""
    wanted = pattern.casefold()
    for reader in readers:
        if reader != PNP_READER and wanted in reader.casefold():
            return reader
    return None


__all__ = ["CardChannel", "PcscChannel", "PcscSlot", "SlotListener", "is_usable",
           "list_readers"]
