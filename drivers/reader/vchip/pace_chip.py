"""The virtual chip's side of PACE-GM (ICAO 9303-11 4.4): MSE:SET AT and GENERAL AUTHENTICATE.

``VirtualChip`` hands INS 22 and 86 to ``PaceResponder.handle``; a returned
``SecureMessaging`` becomes the chip's session. The responder keeps the run's state
between the four GENERAL AUTHENTICATE steps and starts over (a new MSE:SET AT is
needed) after any refusal, as a card does.

Status words: 6A80 bad data (wrong OID or parameter, undecodable template, a point not
on the curve), 6A86 wrong P1/P2, 6A88 no such password on this document, 6985 a step
out of order, 6300 the terminal's token does not verify (wrong MRZ or CAN).
"""

from __future__ import annotations

import hmac
import os
from dataclasses import dataclass
from typing import Any

from asn1crypto import core
from ecdsa.ellipticcurve import PointJacobi

from drivers.reader.base import CanKey, MrzKey
from drivers.reader.icao import crypto, tlv
from drivers.reader.icao.apdu import CommandApdu, ResponseApdu
from drivers.reader.icao.card_access import Cipher, build_card_access
from drivers.reader.icao.errors import AccessKeyRejected, MalformedChipData
from drivers.reader.icao.pace import (
    PASSWORD_CAN,
    PASSWORD_MRZ,
    InvalidPoint,
    PaceGroup,
    Rng,
    authentication_token,
    pace_parameters,
    pace_password,
    password_key,
    session_keys,
)
from drivers.reader.icao.sm import SecureMessaging

DEFAULT_PARAMETER_ID = 13  # brainpoolP256r1

SW_OK = 0x9000
SW_AUTH_FAILED = 0x6300
SW_WRONG_DATA = 0x6A80
SW_WRONG_P1P2 = 0x6A86
SW_NO_REFERENCE = 0x6A88
SW_SEQUENCE = 0x6985
SW_INS = 0x6D00


def card_access_for(parameter_id: int = DEFAULT_PARAMETER_ID, cipher: Cipher = "aes",
                    key_bits: int = 128) -> bytes:
    """EF.CardAccess offering exactly what a default-configured responder runs."""
    params = pace_parameters(parameter_id, cipher, key_bits)
    return build_card_access(params.protocol_oid, params.parameter_id)


class _Refusal(Exception):
    def __init__(self, sw: int) -> None:
        super().__init__(f"{sw:04X}")
        self.sw = sw


@dataclass
class _Run:
    """One PACE run from MSE:SET AT on."""

    k_pi: bytes
    step: int = 1  # the GENERAL AUTHENTICATE step expected next
    nonce: bytes = b""
    map_private: int = 0
    mapped: PointJacobi | None = None
    eph_public: bytes = b""
    terminal_eph: bytes = b""
    ks_enc: bytes = b""
    ks_mac: bytes = b""


class PaceResponder:
    """PACE-GM on the chip: encrypts a nonce under the password key, maps, agrees, checks tokens.

    ``parameter_id`` (standardized curve), ``cipher`` and ``key_bits`` choose the protocol;
    the defaults match ``card_access_for()``. ``rng`` gives the nonce and the private keys.
    """

    def __init__(self, chip: Any, *, parameter_id: int = DEFAULT_PARAMETER_ID,
                 cipher: Cipher = "aes", key_bits: int = 128, rng: Rng = os.urandom) -> None:
        self.chip = chip
        self.params = pace_parameters(parameter_id, cipher, key_bits)
        self.group = PaceGroup(parameter_id)
        self.rng = rng
        self.failures = 0  # tokens that did not verify, for tests and the demo
        self._oid = core.ObjectIdentifier(self.params.protocol_oid).contents
        self._run: _Run | None = None

    # -- dispatch -----------------------------------------------------------------------------
    def handle(self, command: CommandApdu) -> tuple[ResponseApdu, SecureMessaging | None]:
        """Answer one command; never raises for anything a terminal can send."""
        try:
            if command.ins == 0x22:
                return self._mse_set_at(command), None
            if command.ins == 0x86:
                return self._general_authenticate(command)
            raise _Refusal(SW_INS)
        except _Refusal as refusal:
            self._run = None
            return ResponseApdu(b"", refusal.sw), None
        except (MalformedChipData, InvalidPoint):
            self._run = None
            return ResponseApdu(b"", SW_WRONG_DATA), None

    # -- MSE:SET AT -----------------------------------------------------------------------------
    def _mse_set_at(self, command: CommandApdu) -> ResponseApdu:
        self._run = None
        if (command.p1, command.p2) != (0xC1, 0xA4):
            raise _Refusal(SW_WRONG_P1P2)
        fields = {t.tag: t.value for t in tlv.parse_all(command.data)}
        if fields.get(0x80) != self._oid:
            raise _Refusal(SW_WRONG_DATA)
        if 0x84 in fields and int.from_bytes(fields[0x84], "big") != self.params.parameter_id:
            raise _Refusal(SW_WRONG_DATA)
        reference = fields.get(0x83)
        if reference is None or len(reference) != 1:
            raise _Refusal(SW_WRONG_DATA)
        password = self._password(reference[0])
        self._run = _Run(k_pi=password_key(password, self.params))
        return ResponseApdu(b"", SW_OK)

    def _password(self, reference: int) -> bytes:
        profile = getattr(self.chip, "profile", None)
        if reference == PASSWORD_MRZ:
            key = getattr(profile, "mrz_key", None)
            if not isinstance(key, MrzKey):
                raise _Refusal(SW_NO_REFERENCE)
            return pace_password(key)[0]
        if reference == PASSWORD_CAN:
            can = getattr(profile, "can", None)
            if isinstance(can, str):
                can = CanKey(can)
            if not isinstance(can, CanKey) or not can.can:
                raise _Refusal(SW_NO_REFERENCE)
            try:
                return pace_password(can)[0]
            except AccessKeyRejected:
                raise _Refusal(SW_NO_REFERENCE) from None
        raise _Refusal(SW_NO_REFERENCE)

    # -- GENERAL AUTHENTICATE ----------------------------------------------------------------
    def _general_authenticate(self, command: CommandApdu
                              ) -> tuple[ResponseApdu, SecureMessaging | None]:
        run = self._run
        if run is None:
            raise _Refusal(SW_SEQUENCE)
        if (command.p1, command.p2) != (0x00, 0x00):
            raise _Refusal(SW_WRONG_P1P2)
        chained = bool(command.cla & 0x10)
        if chained != (run.step < 4):
            raise _Refusal(SW_SEQUENCE)
        template = tlv.parse_one(command.data, expect=0x7C, allow_trailing=False)
        if not template.constructed:
            raise _Refusal(SW_WRONG_DATA)
        children = template.children()
        if run.step == 1:
            if children:
                raise _Refusal(SW_WRONG_DATA)
            return self._reply(0x80, self._encrypted_nonce(run)), None
        expected_tag = {2: 0x81, 3: 0x83, 4: 0x85}[run.step]
        if len(children) != 1 or children[0].tag != expected_tag:
            raise _Refusal(SW_WRONG_DATA)
        value = children[0].value
        if run.step == 2:
            return self._reply(0x82, self._map(run, value)), None
        if run.step == 3:
            return self._reply(0x84, self._agree(run, value)), None
        return self._authenticate(run, value)

    def _reply(self, tag: int, value: bytes) -> ResponseApdu:
        return ResponseApdu(tlv.encode(0x7C, tlv.encode(tag, value)), SW_OK)

    def _encrypted_nonce(self, run: _Run) -> bytes:
        run.nonce = self.rng(crypto.block_size(self.params.cipher))
        run.step = 2
        return crypto.encrypt(self.params.cipher, run.k_pi, run.nonce)

    def _map(self, run: _Run, terminal_map: bytes) -> bytes:
        other = self.group.decode(terminal_map)
        run.map_private = self.group.random_scalar(self.rng)
        public = self.group.encode(self.group.public_key(run.map_private))
        run.mapped = self.group.map_generator(run.nonce, run.map_private, other)
        run.step = 3
        return public

    def _agree(self, run: _Run, terminal_eph: bytes) -> bytes:
        assert run.mapped is not None
        other = self.group.decode(terminal_eph)
        private = self.group.random_scalar(self.rng)
        run.eph_public = self.group.encode(self.group.public_key(private, run.mapped))
        run.terminal_eph = self.group.encode(other)
        if run.terminal_eph == run.eph_public:
            raise _Refusal(SW_WRONG_DATA)
        shared = self.group.shared_secret(private, other)
        run.ks_enc, run.ks_mac = session_keys(shared, self.params)
        run.step = 4
        return run.eph_public

    def _authenticate(self, run: _Run, token: bytes
                      ) -> tuple[ResponseApdu, SecureMessaging | None]:
        expected = authentication_token(self.params, run.ks_mac, run.eph_public)
        self._run = None
        if not hmac.compare_digest(token, expected):
            self.failures += 1
            return ResponseApdu(b"", SW_AUTH_FAILED), None
        reply = authentication_token(self.params, run.ks_mac, run.terminal_eph)
        session = SecureMessaging(run.ks_enc, run.ks_mac, 0, self.params.cipher)
        return self._reply(0x86, reply), session
