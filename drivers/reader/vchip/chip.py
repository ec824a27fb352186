"""The card side of ICAO 9303: an eMRTD that answers raw APDUs, for tests, the demo and benchmarks.

It speaks what the kiosk speaks: SELECT (applet by AID, EF by FID), READ BINARY
(offset, SFI, odd INS with DO'54'), BAC (GET CHALLENGE, EXTERNAL AUTHENTICATE),
secure messaging with 3DES or AES, and hands PACE and active authentication to
pluggable responders. It never raises for bad input; it answers a status word, as
a card does. Logs carry INS, SW and lengths only.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from drivers.base import FaultScript
from drivers.reader.base import DocumentRemoved, MrzKey
from drivers.reader.icao.apdu import (
    EXTENDED_MAX_NE,
    SHORT_MAX_NE,
    CommandApdu,
    ResponseApdu,
    ber_length,
)
from drivers.reader.icao.bac import (
    authentication_cryptogram,
    bac_keys_from_mrz,
    open_cryptogram,
    session_from_bac,
)
from drivers.reader.icao.errors import MalformedChipData, SecureMessagingError
from drivers.reader.icao.files import LDS1_AID, MF_FILES, sfi_of
from drivers.reader.icao.sm import ChipSecureMessaging

log = logging.getLogger("drivers.reader.vchip")

SW_OK = 0x9000
SW_END_OF_FILE = 0x6282
SW_AUTH_FAILED = 0x6300
SW_WRONG_LENGTH = 0x6700
SW_SM_NOT_SUPPORTED = 0x6882
SW_SECURITY_STATUS = 0x6982
SW_CONDITIONS = 0x6985
SW_NO_CURRENT_EF = 0x6986
SW_SM_OBJECTS = 0x6988
SW_WRONG_DATA = 0x6A80
SW_NOT_FOUND = 0x6A82
SW_WRONG_P1P2 = 0x6A86
SW_OFFSET = 0x6B00
SW_INS = 0x6D00
SW_CLA = 0x6E00
SW_UNKNOWN = 0x6F00


def _contactless_atr(historical: bytes) -> bytes:
    """A PC/SC contactless ATR (3B 8n 80 01, historical bytes, TCK), as readers synthesise."""
    body = bytes([0x80 | len(historical), 0x80, 0x01]) + historical
    tck = 0
    for b in body:
        tck ^= b
    return b"\x3b" + body + bytes([tck])


DEFAULT_ATR = _contactless_atr(bytes.fromhex("0000000000717181"))


@dataclass
class ChipProfile:
    """What is on the chip and how it guards it.

    ``access``: "none" (files readable at once), "bac", or "pace" (a PACE-only chip:
    GET CHALLENGE works, but EXTERNAL AUTHENTICATE answers 6985, "conditions of use
    not satisfied", and the kiosk reports AccessControlUnsupported).
    ``max_read``: the largest Le one READ BINARY serves (larger asks answer 6700).
    ``active_auth``: signs an INTERNAL AUTHENTICATE challenge; None answers 6D00.
    ``chip_auth``: a ``ChipAuthKey`` answering Chip Authentication under secure messaging.
    """

    files: dict[int, bytes]
    access: str = "bac"
    mrz_key: MrzKey | None = None
    can: str | None = None
    max_read: int = 231
    extended_length: bool = False
    atr: bytes = DEFAULT_ATR
    active_auth: Callable[[bytes], bytes] | None = None
    chip_auth: Any = None

    def __post_init__(self) -> None:
        """Catch a mistyped access mode when the profile is built, not mid-read."""
        if self.access not in ("none", "bac", "pace"):
            raise ValueError(f"access must be none, bac or pace, not {self.access!r}")


class _Refuse(Exception):
    """Internal: stop handling a command and answer this status word."""

    def __init__(self, sw: int) -> None:
        super().__init__(f"{sw:04X}")
        self.sw = sw


def _sw(sw: int) -> ResponseApdu:
    """A bare status word, the answer to anything refused."""
    return ResponseApdu(b"", sw)


def _do53_fit(ne: int) -> int:
    """Most file bytes whose DO'53' fits in Ne bytes."""
    n = ne - 2
    while n > 0 and 1 + len(ber_length(n)) + n > ne:
        n -= 1
    return n


def _do53(data: bytes) -> bytes:
    """File bytes as odd-INS READ BINARY returns them: inside DO'53'."""
    return b"\x53" + ber_length(len(data)) + data


def _do54_offset(data: bytes) -> int:
    """The offset in DO'54' of an odd-INS READ BINARY; 6A80 when it is not one."""
    if len(data) < 3 or data[0] != 0x54 or not 1 <= data[1] <= 3 or len(data) != 2 + data[1]:
        raise _Refuse(SW_WRONG_DATA)
    return int.from_bytes(data[2:], "big")


class VirtualChip:
    """An eMRTD in the field: ``transmit`` raw APDUs, ``power_on``/``power_off`` like a reader.

    Scripted faults (a dict or a ``FaultScript`` shared with the slot):

    - ``remove_at_apdu`` (int n): the n-th transmit since power_on finds the document
      gone: the chip calls ``on_removed``, raises DocumentRemoved, and keeps raising
      until the next power_on. The fault clears itself when it fires (one lift).
    - ``wrong_key`` (count): EXTERNAL AUTHENTICATE answers 6300 as if the MRZ were wrong.
    - ``corrupt_mac`` (count): the next protected answer has one MAC byte flipped.
    - ``mute`` (count): the next answers are a bare 6F00.
    - ``wrong_le`` (count): a READ BINARY that asks past the end of the file answers
      6Cxx (xx = the bytes left) instead of 6282, as some chips do.

    A new chip starts powered. ``internal_errors`` counts commands that tripped the
    simulator itself (answered 6F00); tests assert it stays 0.
    """

    def __init__(self, profile: ChipProfile, faults: dict[str, Any] | FaultScript | None = None, *,
                 pace_responder_factory: Callable[[VirtualChip], Any] | None = None,
                 rng: Callable[[int], bytes] = os.urandom) -> None:
        self.profile = profile
        self.faults = faults if isinstance(faults, FaultScript) else FaultScript(faults)
        self.rng = rng
        self.atr = profile.atr
        self.on_removed: Callable[[], None] | None = None
        self.internal_errors = 0
        self.pace_responder = pace_responder_factory(self) if pace_responder_factory else None
        self.power_on()

    # -- the field -------------------------------------------------------------------------
    def power_on(self) -> bytes:
        """Reset the applet selection and any SM session; return the ATR."""
        self.powered, self.removed, self.apdu_count = True, False, 0
        self._reset()
        return self.atr

    def power_off(self) -> None:
        """Leave the field: every session secret is gone."""
        self.powered = False
        self._reset()

    def _reset(self) -> None:
        """Back to the master file with no challenge and no session."""
        self._applet = False
        self._current: int | None = None
        self._challenge: bytes | None = None
        self._drop_session()

    def _drop_session(self) -> None:
        """Forget SM and the access it granted, as 9303-11 requires after an SM error."""
        self._sm: ChipSecureMessaging | None = None
        self._next_sm: ChipSecureMessaging | None = None
        self._authenticated = False
        if self.profile.chip_auth is not None:
            self.profile.chip_auth.reset()

    @property
    def session_active(self) -> bool:
        """Whether BAC or PACE has opened secure messaging (for tests and diagnostics)."""
        return self._sm is not None

    # -- APDUs -----------------------------------------------------------------------------
    def transmit(self, apdu: bytes) -> bytes:
        """Answer one raw APDU; DocumentRemoved only when the document is (scripted to be) gone."""
        if self.removed or not self.powered:
            raise DocumentRemoved("the chip is not in the field")
        self.apdu_count += 1
        self._maybe_remove()
        if self.faults.trigger("mute"):
            return _sw(SW_UNKNOWN).encode()
        try:
            response = self._answer(bytes(apdu))
        except Exception:  # a card that trips over itself answers 6F00 rather than dying
            self.internal_errors += 1
            log.exception("virtual chip failed on INS %02X", apdu[1] if len(apdu) > 1 else 0)
            self._drop_session()
            response = _sw(SW_UNKNOWN)
        log.debug("vchip ins=%02X sw=%04X len=%d", apdu[1] if len(apdu) > 1 else 0,
                  response.sw, len(response.data))
        return response.encode()

    def _maybe_remove(self) -> None:
        """Fire the ``remove_at_apdu`` fault when its APDU comes."""
        n = self.faults.value("remove_at_apdu")
        if isinstance(n, bool) or not isinstance(n, int) or n <= 0 or self.apdu_count < n:
            return
        self.faults.clear("remove_at_apdu")
        self.removed = True
        self._reset()
        if self.on_removed is not None:
            self.on_removed()
        raise DocumentRemoved(f"document lifted at APDU {n}")

    def _answer(self, raw: bytes) -> ResponseApdu:
        """Decode, route plain or protected, and adopt any session the command opened."""
        try:
            command = CommandApdu.decode(raw)
        except MalformedChipData:
            return _sw(SW_WRONG_LENGTH)
        if command.cla & 0xE0:
            return _sw(SW_CLA)
        refuse = SW_WRONG_LENGTH if command.extended and not self.profile.extended_length else None
        if command.cla & 0x0C == 0x0C:
            response = self._protected(command, refuse)
        elif command.cla & 0x0C:
            response = _sw(SW_SM_NOT_SUPPORTED)
        elif self._sm is not None:
            self._drop_session()
            response = _sw(SW_SM_OBJECTS)
        else:
            response = _sw(refuse) if refuse else self._execute(command)
        if self._next_sm is not None:
            self._sm, self._next_sm, self._authenticated = self._next_sm, None, True
        return response

    def _protected(self, outer: CommandApdu, refuse: int | None) -> ResponseApdu:
        """Unwrap, execute, wrap; later refusals are protected too, so counters stay in step."""
        sm = self._sm
        if sm is None:
            return _sw(SW_SM_OBJECTS)
        try:
            inner = sm.unwrap_command(outer)
        except SecureMessagingError:
            self._drop_session()
            return _sw(SW_SM_OBJECTS)
        response = _sw(refuse) if refuse else self._execute(inner)
        limit = outer.ne or (EXTENDED_MAX_NE if outer.extended else SHORT_MAX_NE)
        if sm.wrapped_length(len(response.data)) > limit:
            response = _sw(SW_WRONG_LENGTH)  # the protected answer would not fit in the APDU
        wrapped = sm.wrap_response(response, odd_ins=bool(inner.ins & 1))
        if self.faults.trigger("corrupt_mac"):
            wrapped = ResponseApdu(wrapped.data[:-1] + bytes([wrapped.data[-1] ^ 0x01]), wrapped.sw)
        return wrapped

    def _execute(self, command: CommandApdu) -> ResponseApdu:
        """Run one plain command; handlers refuse by raising _Refuse."""
        if self._is_chip_auth(command):
            return self._chip_auth(command)
        handler = {
            0xA4: self._select, 0xB0: self._read_binary, 0xB1: self._read_binary_odd,
            0x84: self._get_challenge, 0x82: self._external_authenticate,
            0x22: self._pace, 0x86: self._pace, 0x88: self._internal_authenticate,
        }.get(command.ins)
        if handler is None:
            return _sw(SW_INS)
        try:
            return handler(command)
        except _Refuse as refusal:
            return _sw(refusal.sw)

    # -- files -----------------------------------------------------------------------------
    def _visible(self) -> set[int]:
        """The files of the current DF: the applet's, or the master file's."""
        return {fid for fid in self.profile.files if (fid in MF_FILES) != self._applet}

    def _select(self, command: CommandApdu) -> ResponseApdu:
        """SELECT the LDS1 applet (P1=04), the MF (P1=00, 3F00) or an EF (P1=00/02, FID)."""
        if command.p1 == 0x04:
            if command.data != LDS1_AID:
                raise _Refuse(SW_NOT_FOUND)
            self._applet, self._current = True, None
            return _sw(SW_OK)
        if command.p1 not in (0x00, 0x02):
            raise _Refuse(SW_WRONG_P1P2)
        if command.p1 == 0x00 and command.data in (b"", b"\x3f\x00"):
            self._applet, self._current = False, None
            return _sw(SW_OK)
        if len(command.data) != 2:
            raise _Refuse(SW_WRONG_LENGTH)
        fid = int.from_bytes(command.data, "big")
        if fid not in self._visible():
            raise _Refuse(SW_NOT_FOUND)
        self._current = fid
        return _sw(SW_OK)

    def _by_sfi(self, sfi: int) -> int:
        """The visible file with this short identifier; 6A82 when there is none."""
        for fid in self._visible():
            if sfi_of(fid) == sfi:
                return fid
        raise _Refuse(SW_NOT_FOUND)

    def _current_ef(self) -> int:
        """The EF a SELECT or SFI read made current; 6986 when there is none."""
        if self._current is None:
            raise _Refuse(SW_NO_CURRENT_EF)
        return self._current

    def _require_access(self, fid: int) -> None:
        """Applet files need BAC or PACE first unless the chip has no access control."""
        if fid not in MF_FILES and self.profile.access != "none" and not self._authenticated:
            raise _Refuse(SW_SECURITY_STATUS)

    def _read_binary(self, command: CommandApdu) -> ResponseApdu:
        """READ BINARY B0: offset in P1P2, or SFI in P1 with the offset in P2."""
        if command.p1 & 0x80:
            if command.p1 & 0x60:
                raise _Refuse(SW_WRONG_P1P2)
            fid, offset = self._by_sfi(command.p1 & 0x1F), command.p2
        else:
            fid, offset = self._current_ef(), command.p1 << 8 | command.p2
        self._require_access(fid)
        self._current = fid
        return self._serve(fid, offset, command.ne, odd=False)

    def _read_binary_odd(self, command: CommandApdu) -> ResponseApdu:
        """READ BINARY B1: P1P2 0000 (current EF), an SFI in P2, or a FID; offset in DO'54'."""
        p1p2 = command.p1 << 8 | command.p2
        if p1p2 == 0:
            fid = self._current_ef()
        elif command.p1 == 0 and command.p2 < 0x1F:
            fid = self._by_sfi(command.p2)
        elif p1p2 in self._visible():
            fid = p1p2
        else:
            raise _Refuse(SW_NOT_FOUND)
        offset = _do54_offset(command.data)
        self._require_access(fid)
        self._current = fid
        return self._serve(fid, offset, command.ne, odd=True)

    def _serve(self, fid: int, offset: int, ne: int | None, *, odd: bool) -> ResponseApdu:
        """The bytes of a READ BINARY: 6282 when the file ends first, 6700 beyond max_read."""
        if ne is None or ne > self.profile.max_read:
            raise _Refuse(SW_WRONG_LENGTH)
        content = self.profile.files[fid]
        if offset > len(content):
            raise _Refuse(SW_OFFSET)
        wanted = _do53_fit(ne) if odd else ne
        if wanted <= 0:
            raise _Refuse(SW_WRONG_LENGTH)
        chunk = content[offset:offset + wanted]
        if 0 < len(chunk) < min(wanted, 0x100) and not odd and self.faults.trigger("wrong_le"):
            raise _Refuse(0x6C00 | len(chunk))
        sw = SW_OK if len(chunk) == wanted else SW_END_OF_FILE
        return ResponseApdu(_do53(chunk) if odd else chunk, sw)

    # -- authentication --------------------------------------------------------------------
    def _get_challenge(self, command: CommandApdu) -> ResponseApdu:
        """RND.IC for BAC (or a challenge for AA): exactly eight bytes."""
        if command.ne != 8:
            raise _Refuse(SW_WRONG_LENGTH)
        self._challenge = self.rng(8)
        return ResponseApdu(self._challenge, SW_OK)

    def _external_authenticate(self, command: CommandApdu) -> ResponseApdu:
        """BAC responder: check the kiosk's cryptogram, answer with ours, open the session."""
        challenge, self._challenge = self._challenge, None
        key = self.profile.mrz_key
        if self.profile.access == "pace":
            raise _Refuse(SW_CONDITIONS)
        if key is None:
            raise _Refuse(SW_INS)
        if challenge is None or self._sm is not None:
            raise _Refuse(SW_CONDITIONS)
        if self.faults.trigger("wrong_key"):
            raise _Refuse(SW_AUTH_FAILED)
        if len(command.data) != 40:
            raise _Refuse(SW_WRONG_LENGTH)
        k_enc, k_mac = bac_keys_from_mrz(key)
        plain = open_cryptogram(k_enc, k_mac, command.data)
        if plain is None or plain[8:16] != challenge:
            raise _Refuse(SW_AUTH_FAILED)
        rnd_ifd, k_ifd, k_ic = plain[:8], plain[16:32], self.rng(16)
        answer = authentication_cryptogram(k_enc, k_mac, challenge + rnd_ifd + k_ic)
        ks_enc, ks_mac, ssc = session_from_bac(k_ifd, k_ic, challenge, rnd_ifd)
        self._next_sm = ChipSecureMessaging(ks_enc, ks_mac, ssc, "3des")
        return ResponseApdu(answer, SW_OK)

    def _pace(self, command: CommandApdu) -> ResponseApdu:
        """MSE:SET AT and GENERAL AUTHENTICATE go to the PACE responder, if the chip has one."""
        if self.pace_responder is None:
            raise _Refuse(SW_INS)
        response, session = self.pace_responder.handle(command)
        if session is not None:
            self._next_sm = (session if isinstance(session, ChipSecureMessaging)
                             else ChipSecureMessaging.from_session(session))
        return response

    def _is_chip_auth(self, command: CommandApdu) -> bool:
        """MSE:SET KAT / SET AT (41A6 / 41A4) or its GENERAL AUTHENTICATE inside a session."""
        ca = self.profile.chip_auth
        if ca is None or self._sm is None:
            return False
        if command.ins == 0x22:
            return (command.p1, command.p2) in ((0x41, 0xA6), (0x41, 0xA4))
        return command.ins == 0x86 and ca.in_progress

    def _chip_auth(self, command: CommandApdu) -> ResponseApdu:
        """Chip Authentication: this answer goes out under the old keys, then the new ones rule."""
        response, secret = self.profile.chip_auth.respond(command)
        if secret is not None:
            self._next_sm = self.profile.chip_auth.chip_session(secret)
        return response

    def _internal_authenticate(self, command: CommandApdu) -> ResponseApdu:
        """Active authentication: the profile's key signs the kiosk's challenge."""
        if self.profile.active_auth is None:
            raise _Refuse(SW_INS)
        if self.profile.access != "none" and not self._authenticated:
            raise _Refuse(SW_SECURITY_STATUS)
        return ResponseApdu(self.profile.active_auth(bytes(command.data)), SW_OK)
