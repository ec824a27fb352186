"""ICAO 9303-11 secure messaging (section 9.8), both halves of it.

``SecureMessaging`` is the kiosk's half: it protects commands and checks answers.
``ChipSecureMessaging`` is the chip's half, used by the virtual chip. Both share
the counter rules: the SSC is incremented before every command MAC and before
every response MAC, so each side's counter stays in step with the other's.
"""

from __future__ import annotations

import hmac
import logging

from drivers.reader.icao.apdu import (
    EXTENDED_MAX_NE,
    SHORT_MAX_NE,
    SW_OK,
    ApduTrace,
    CardChannel,
    CommandApdu,
    ResponseApdu,
    ber_length,
    exchange,
    parse_ber_length,
)
from drivers.reader.icao.crypto import Cipher, block_size, decrypt, encrypt, mac, pad, unpad
from drivers.reader.icao.errors import MalformedChipData, SecureMessagingError

log = logging.getLogger("drivers.reader.icao")

SM_CLA = 0x0C
SM_ERRORS = (0x6987, 0x6988)  # "SM data objects missing" / "incorrect": the chip dropped SM
_RESPONSE_TAGS = (0x85, 0x87, 0x99, 0x8E)
_COMMAND_TAGS = (0x85, 0x87, 0x97, 0x8E)


def _parse_dos(data: bytes, allowed: tuple[int, ...]) -> dict[int, tuple[bytes, bytes]]:
    """Split SM data objects into tag -> (value, raw TLV); SecureMessagingError on any oddity."""
    found: dict[int, tuple[bytes, bytes]] = {}
    pos = 0
    while pos < len(data):
        tag = data[pos]
        if tag not in allowed or tag in found or 0x8E in found:
            raise SecureMessagingError(f"unexpected SM object {tag:02X}")
        try:
            length, start = parse_ber_length(data, pos + 1)
        except MalformedChipData as exc:
            raise SecureMessagingError(str(exc)) from exc
        if start + length > len(data):
            raise SecureMessagingError(f"SM object {tag:02X} truncated")
        found[tag] = (data[start:start + length], data[pos:start + length])
        pos = start + length
    return found


def _do(tag: int, value: bytes) -> bytes:
    """One BER-TLV data object."""
    return bytes([tag]) + ber_length(len(value)) + value


class _Session:
    """Keys, counter and the cryptographic steps both halves of SM share."""

    def __init__(self, ks_enc: bytes, ks_mac: bytes, ssc: int, cipher: Cipher = "3des") -> None:
        if cipher not in ("3des", "aes"):
            raise ValueError(f"unknown cipher {cipher!r}")
        self.ks_enc = ks_enc
        self.ks_mac = ks_mac
        self.cipher: Cipher = cipher
        self._block = block_size(cipher)
        self._ssc = ssc % (1 << (8 * self._block))

    @property
    def ssc(self) -> int:
        return self._ssc

    def _next_ssc(self) -> None:
        """Advance the counter, wrapping at its width as a fixed-size block does."""
        self._ssc = (self._ssc + 1) % (1 << (8 * self._block))

    def _ssc_block(self) -> bytes:
        """The counter as one cipher block, the form the MAC and the AES IV use."""
        return self._ssc.to_bytes(self._block, "big")

    def _iv(self) -> bytes | None:
        """Zero IV for 3DES; E(KSenc, SSC) for AES, as 9303-11 9.8.6.1 says."""
        if self.cipher == "3des":
            return None
        return encrypt("aes", self.ks_enc, self._ssc_block())

    def _mac(self, message: bytes) -> bytes:
        """MAC over SSC || message, padded."""
        return mac(self.cipher, self.ks_mac, pad(self._ssc_block() + message, self._block))

    def _check_mac(self, message: bytes, objects: dict[int, tuple[bytes, bytes]]) -> None:
        """Compare DO'8E' with the MAC we compute, in constant time."""
        if 0x8E not in objects:
            raise SecureMessagingError("DO'8E' missing")
        if not hmac.compare_digest(objects[0x8E][0], self._mac(message)):
            raise SecureMessagingError("MAC mismatch")

    def _cryptogram(self, data: bytes, odd_ins: bool) -> bytes:
        """DO'87' (padding indicator 01) or, for odd INS, DO'85' around the encrypted data."""
        body = encrypt(self.cipher, self.ks_enc, pad(data, self._block), self._iv())
        return _do(0x85, body) if odd_ins else _do(0x87, b"\x01" + body)

    def _plaintext(self, objects: dict[int, tuple[bytes, bytes]]) -> bytes:
        """Decrypt DO'87' or DO'85'; empty when neither is present."""
        if 0x87 in objects and 0x85 in objects:
            raise SecureMessagingError("both DO'85' and DO'87'")
        if 0x87 in objects:
            value = objects[0x87][0]
            if value[:1] != b"\x01":
                raise SecureMessagingError("DO'87' padding indicator is not 01")
            value = value[1:]
        elif 0x85 in objects:
            value = objects[0x85][0]
        else:
            return b""
        return unpad(decrypt(self.cipher, self.ks_enc, value, self._iv()))


class SecureMessaging(_Session):
    """The kiosk's SM session: ``wrap`` commands, ``unwrap`` answers. ``ssc`` is readable."""

    def wrap(self, command: CommandApdu) -> CommandApdu:
        """Protect a command: DO'87'/'85' for data, DO'97' for Le, DO'8E' MAC; CLA gains 0C."""
        self._next_ssc()
        cla = command.cla | SM_CLA
        header = bytes([cla, command.ins, command.p1, command.p2])
        extended = command.is_extended
        body = self._cryptogram(command.data, bool(command.ins & 1)) if command.data else b""
        if command.ne is not None:
            size = 2 if extended else 1
            body += _do(0x97, (command.ne % (1 << (8 * size))).to_bytes(size, "big"))
        body += _do(0x8E, self._mac(pad(header, self._block) + body))
        outer_extended = extended or len(body) > 0xFF
        le = EXTENDED_MAX_NE if outer_extended else SHORT_MAX_NE
        return CommandApdu(cla, command.ins, command.p1, command.p2, body, le, outer_extended)

    def unwrap(self, response: ResponseApdu) -> ResponseApdu:
        """Check the MAC, decrypt, return the real answer; SecureMessagingError if unsound."""
        self._next_ssc()
        if not response.data:
            if response.sw in SM_ERRORS:
                raise SecureMessagingError(f"chip dropped secure messaging ({response.sw:04X})")
            if response.sw == SW_OK:
                raise SecureMessagingError("unprotected 9000 in a protected session")
            return response
        objects = _parse_dos(response.data, _RESPONSE_TAGS)
        if 0x99 not in objects or len(objects[0x99][0]) != 2:
            raise SecureMessagingError("DO'99' missing or malformed")
        message = b"".join(raw for tag, (_, raw) in objects.items() if tag != 0x8E)
        self._check_mac(message, objects)
        data = self._plaintext(objects)
        return ResponseApdu(data, int.from_bytes(objects[0x99][0], "big"))


class ChipSecureMessaging(_Session):
    """The chip's SM session: ``unwrap_command`` checks and decrypts, ``wrap_response`` protects."""

    @classmethod
    def from_session(cls, session: _Session) -> ChipSecureMessaging:
        """The chip's twin of a kiosk-side session (keys and counter copied), e.g. after PACE."""
        return cls(session.ks_enc, session.ks_mac, session.ssc, session.cipher)

    def unwrap_command(self, command: CommandApdu) -> CommandApdu:
        """The plain command inside a protected one; SecureMessagingError if it does not verify."""
        self._next_ssc()
        if command.cla & SM_CLA != SM_CLA:
            raise SecureMessagingError("command is not protected")
        objects = _parse_dos(command.data, _COMMAND_TAGS)
        header = bytes([command.cla, command.ins, command.p1, command.p2])
        message = b"".join(raw for tag, (_, raw) in objects.items() if tag != 0x8E)
        self._check_mac(pad(header, self._block) + message, objects)
        data = self._plaintext(objects)
        le, extended = self._le(objects)
        return CommandApdu(command.cla & ~SM_CLA & 0xFF, command.ins, command.p1, command.p2,
                           data, le, extended)

    @staticmethod
    def _le(objects: dict[int, tuple[bytes, bytes]]) -> tuple[int | None, bool]:
        """Ne from DO'97' (one byte short, two bytes extended; zero means the maximum)."""
        if 0x97 not in objects:
            return None, False
        value = objects[0x97][0]
        if len(value) == 1:
            return value[0] or SHORT_MAX_NE, False
        if len(value) == 2:
            return int.from_bytes(value, "big") or EXTENDED_MAX_NE, True
        raise SecureMessagingError("DO'97' length")

    def wrap_response(self, response: ResponseApdu, *, odd_ins: bool = False) -> ResponseApdu:
        """Protect an answer: DO'87'/'85' for data, DO'99' status, DO'8E' MAC."""
        self._next_ssc()
        body = self._cryptogram(response.data, odd_ins) if response.data else b""
        body += _do(0x99, response.sw.to_bytes(2, "big"))
        body += _do(0x8E, self._mac(body))
        return ResponseApdu(body, response.sw)

    def wrapped_length(self, data_len: int) -> int:
        """Bytes of the protected answer (worst case DO'87'), so the chip refuses what won't fit."""
        if data_len == 0:
            return 4 + 2 + 8  # DO'99', DO'8E'
        cryptogram = data_len + self._block - data_len % self._block + 1
        return 1 + len(ber_length(cryptogram)) + cryptogram + 4 + 2 + 8


class SecureSender:
    """ApduSender over SM: wrap, transmit (following 61xx), unwrap."""

    def __init__(self, channel: CardChannel, sm: SecureMessaging,
                 trace: ApduTrace | None = None) -> None:
        self.channel = channel
        self.sm = sm
        self.trace = trace

    def send(self, command: CommandApdu) -> ResponseApdu:
        """One protected exchange; SecureMessagingError when the answer does not verify."""
        raw = exchange(self.channel, self.sm.wrap(command).encode(), self.trace)
        response = self.sm.unwrap(ResponseApdu.parse(raw))
        log.debug("sm ins=%02X sw=%04X len=%d", command.ins, response.sw, len(response.data))
        return response
