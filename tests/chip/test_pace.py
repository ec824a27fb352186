"""PACE-GM: the ICAO 9303-11 worked example, kiosk against responder, failures, hostile input."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drivers.reader.base import CanKey, MrzKey, ReaderError
from drivers.reader.icao import crypto, tlv
from drivers.reader.icao.apdu import CommandApdu, PlainSender, ResponseApdu
from drivers.reader.icao.card_access import ID_PACE_ECDH_GM_AES_CBC_CMAC_128
from drivers.reader.icao.errors import (
    AccessControlUnsupported,
    AccessKeyRejected,
    SecureMessagingError,
    StatusWordError,
)
from drivers.reader.icao.files import FileReader, select_applet
from drivers.reader.icao.pace import (
    PaceGroup,
    PaceParameters,
    authentication_token,
    choose_pace,
    pace_parameters,
    pace_password,
    password_key,
    perform_pace,
    public_key_data_object,
    session_keys,
)
from drivers.reader.icao.sm import ChipSecureMessaging, SecureMessaging, SecureSender
from drivers.reader.vchip.chip import ChipProfile, VirtualChip
from drivers.reader.vchip.pace_chip import PaceResponder, card_access_for

H = bytes.fromhex

# -- ICAO 9303-11 Appendix G.1 (PACE ECDH-GM, brainpoolP256r1, AES-128) ------------------------
ICAO_MRZ = MrzKey("T22000129", dt.date(1964, 8, 12), dt.date(2010, 10, 31))
G_K = H("7E2D2A41C74EA0B38CD36F863939BFA8E9032AAD")
G_K_PI = H("89DED1B26624EC1E634C1989302849DD")
G_Z = H("95A3A016522EE98D01E76CB6B98B42C3")
G_S = H("3F00C4D39D153F2B2A214A078D899B22")
G_SK_MAP_IFD = H("7F4EF07B9EA82FD78AD689B38D0BC78CF21F249D953BC46F4C6E19259C010F99")
G_PK_MAP_IFD = H("047ACF3EFC982EC45565A4B155129EFBC74650DCBFA6362D896FC70262E0C2CC5E"
                 "544552DCB6725218799115B55C9BAA6D9F6BC3A9618E70C25AF71777A9C4922D")
G_SK_MAP_IC = H("498FF49756F2DC1587840041839A85982BE7761D14715FB091EFA7BCE9058560")
G_PK_MAP_IC = H("04824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F57"
                "30D8C879AAA9C9F73991E61B58F4D52EB87A0A0C709A49DC63719363CCD13C54")
G_H = H("0460332EF2450B5D247EF6D3868397D398852ED6E8CAF6FFEEF6BF85CA57057FD5"
        "0840CA7415BAF3E43BD414D35AA4608B93A2CAF3A4E3EA4E82C9C13D03EB7181")
G_G_HAT = H("048CED63C91426D4F0EB1435E7CB1D74A46723A0AF21C89634F65A9AE87A9265E2"
            "8C879506743F8611AC33645C5B985C80B5F09A0B83407C1B6A4D857AE76FE522")
G_SK_IFD = H("A73FB703AC1436A18E0CFA5ABB3F7BEC7A070E7A6788486BEE230C4A22762595")
G_PK_IFD = H("042DB7A64C0355044EC9DF190514C625CBA2CEA48754887122F3A5EF0D5EDD301C"
             "3556F3B3B186DF10B857B58F6A7EB80F20BA5DC7BE1D43D9BF850149FBB36462")
G_SK_IC = H("107CF58696EF6155053340FD633392BA81909DF7B9706F226F32086C7AFF974A")
G_PK_IC = H("049E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB"
            "7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F094")
G_SHARED = H("28768D20701247DAE81804C9E780EDE582A9996DB4A315020B2733197DB84925")
G_KS_ENC = H("F5F0E35C0D7161EE6724EE513A0D9A7F")
G_KS_MAC = H("FE251C7858B356B24514B3BD5F4297D1")
G_T_IFD = H("C2B0BD78D94BA866")
G_T_IC = H("3ABB9674BCE93C08")
G_TRANSCRIPT = [  # (terminal command, chip response); MSE:SET AT with the optional 84 tag
    (H("0022C1A412800A04007F0007020204020283010184010D"), H("9000")),
    (H("10860000027C0000"), H("7C128010") + G_Z + H("9000")),
    (H("10860000457C438141") + G_PK_MAP_IFD + H("00"), H("7C438241") + G_PK_MAP_IC + H("9000")),
    (H("10860000457C438341") + G_PK_IFD + H("00"), H("7C438441") + G_PK_IC + H("9000")),
    (H("008600000C7C0A8508") + G_T_IFD + H("00"), H("7C0A8608") + G_T_IC + H("9000")),
]
G_PARAMS = PaceParameters(ID_PACE_ECDH_GM_AES_CBC_CMAC_128, 13, "aes", 128)

CAN = "123456"


def _scripted_rng(*chunks: bytes) -> Callable[[int], bytes]:
    queue: Iterator[bytes] = iter(chunks)

    def rng(n: int) -> bytes:
        chunk = next(queue)
        assert len(chunk) == n
        return chunk
    return rng


class ScriptedChannel:
    """Expects exactly these commands and answers these responses."""

    def __init__(self, script: list[tuple[bytes, bytes]]) -> None:
        self.script = list(script)

    def transmit(self, apdu: bytes) -> bytes:
        expected, response = self.script.pop(0)
        assert apdu.hex().upper() == expected.hex().upper()
        return response


class ResponderChannel:
    """A CardChannel that decodes commands and hands them to a PaceResponder."""

    def __init__(self, responder: PaceResponder,
                 tamper: Callable[[CommandApdu, ResponseApdu], ResponseApdu] | None = None) -> None:
        self.responder = responder
        self.session: SecureMessaging | None = None
        self.tamper = tamper

    def transmit(self, apdu: bytes) -> bytes:
        command = CommandApdu.decode(apdu)
        response, session = self.responder.handle(command)
        if session is not None:
            self.session = session
        if self.tamper is not None:
            response = self.tamper(command, response)
        return response.encode()


def _chip(mrz: MrzKey | None = ICAO_MRZ, can: str | None = CAN) -> SimpleNamespace:
    return SimpleNamespace(profile=SimpleNamespace(mrz_key=mrz, can=can))


def _assert_sessions_agree(kiosk: SecureMessaging, chip_side: SecureMessaging) -> None:
    chip_sm = ChipSecureMessaging.from_session(chip_side)
    for payload in (b"", b"\x01" * 7, bytes(range(40))):
        wrapped = kiosk.wrap(CommandApdu(0x00, 0xB0, 0x00, 0x10, payload, le=256))
        plain = chip_sm.unwrap_command(CommandApdu.decode(wrapped.encode()))
        assert (plain.ins, plain.p2, plain.data, plain.ne) == (0xB0, 0x10, payload, 256)
        answer = chip_sm.wrap_response(ResponseApdu(payload[::-1], 0x9000))
        assert kiosk.unwrap(ResponseApdu.parse(answer.encode())) == ResponseApdu(payload[::-1], 0x9000)


# -- known answers ------------------------------------------------------------------------------
def test_icao_password_key_from_the_mrz() -> None:
    password, reference = pace_password(ICAO_MRZ)
    assert (password, reference) == (G_K, 1)
    assert password_key(password, G_PARAMS) == G_K_PI
    assert crypto.decrypt("aes", G_K_PI, G_Z) == G_S


def test_icao_generic_mapping_and_keys() -> None:
    group = PaceGroup(13)
    sk_map = int.from_bytes(G_SK_MAP_IFD, "big")
    assert group.encode(group.public_key(sk_map)) == G_PK_MAP_IFD
    assert group.encode(group.decode(G_PK_MAP_IC) * sk_map) == G_H
    mapped = group.map_generator(G_S, sk_map, group.decode(G_PK_MAP_IC))
    assert group.encode(mapped) == G_G_HAT
    assert group.encode(group.public_key(int.from_bytes(G_SK_IFD, "big"), mapped)) == G_PK_IFD
    shared = group.shared_secret(int.from_bytes(G_SK_IFD, "big"), group.decode(G_PK_IC))
    assert shared == G_SHARED
    assert session_keys(shared, G_PARAMS) == (G_KS_ENC, G_KS_MAC)
    assert public_key_data_object(G_PARAMS.protocol_oid, G_PK_IC)[:16] == H(
        "7F494F060A04007F0007020204020286")
    assert authentication_token(G_PARAMS, G_KS_MAC, G_PK_IC) == G_T_IFD
    assert authentication_token(G_PARAMS, G_KS_MAC, G_PK_IFD) == G_T_IC


def test_icao_transcript_kiosk_side_byte_for_byte() -> None:
    channel = ScriptedChannel(G_TRANSCRIPT)
    sm = perform_pace(channel, ICAO_MRZ, G_PARAMS, rng=_scripted_rng(G_SK_MAP_IFD, G_SK_IFD))
    assert channel.script == []
    assert (sm.ks_enc, sm.ks_mac, sm.ssc, sm.cipher) == (G_KS_ENC, G_KS_MAC, 0, "aes")


def test_icao_transcript_chip_side_byte_for_byte() -> None:
    responder = PaceResponder(_chip(), rng=_scripted_rng(G_S, G_SK_MAP_IC, G_SK_IC))
    session = None
    for command, expected in G_TRANSCRIPT:
        response, session = responder.handle(CommandApdu.decode(command))
        assert response.encode() == expected
    assert session is not None
    assert (session.ks_enc, session.ks_mac, session.ssc) == (G_KS_ENC, G_KS_MAC, 0)


def test_icao_card_access_leads_to_the_example_parameters() -> None:
    assert choose_pace(H("31143012060A04007F0007020204020202010202010D")) == G_PARAMS
    assert card_access_for() == H("31143012060A04007F0007020204020202010202010D")


# -- kiosk against responder --------------------------------------------------------------------
@pytest.mark.parametrize("parameter_id,cipher,bits", [
    (13, "aes", 128), (12, "aes", 128), (12, "aes", 256), (15, "aes", 192), (16, "aes", 256),
    (17, "aes", 256), (18, "aes", 256), (8, "3des", 112), (11, "aes", 128), (14, "aes", 128),
])
@pytest.mark.parametrize("key", [ICAO_MRZ, CanKey(CAN)], ids=["mrz", "can"])
def test_kiosk_and_responder_agree(parameter_id: int, cipher: str, bits: int, key) -> None:
    responder = PaceResponder(_chip(), parameter_id=parameter_id, cipher=cipher, key_bits=bits)
    channel = ResponderChannel(responder)
    params = choose_pace(card_access_for(parameter_id, cipher, bits))
    assert params == pace_parameters(parameter_id, cipher, bits)
    sm = perform_pace(channel, key, params)
    assert channel.session is not None and sm.cipher == cipher
    assert (sm.ks_enc, sm.ks_mac) == (channel.session.ks_enc, channel.session.ks_mac)
    _assert_sessions_agree(sm, channel.session)


@pytest.mark.parametrize("key", [CanKey("123457"), CanKey("000000"),
                                 MrzKey("T22000128", dt.date(1964, 8, 12), dt.date(2010, 10, 31)),
                                 MrzKey("T22000129", dt.date(1964, 8, 13), dt.date(2010, 10, 31))])
def test_wrong_password_is_rejected(key) -> None:
    responder = PaceResponder(_chip(), parameter_id=12)
    channel = ResponderChannel(responder)
    with pytest.raises(AccessKeyRejected):
        perform_pace(channel, key, pace_parameters(12))
    assert responder.failures == 1 and channel.session is None
    # the chip starts over: the right password works on the next run
    perform_pace(channel, CanKey(CAN) if isinstance(key, CanKey) else ICAO_MRZ, pace_parameters(12))
    assert channel.session is not None


@pytest.mark.parametrize("sw", [0x6300, 0x63C2, 0x63C0])
def test_failure_status_at_the_last_step_is_a_wrong_key(sw: int) -> None:
    def tamper(command: CommandApdu, response: ResponseApdu) -> ResponseApdu:
        return ResponseApdu(b"", sw) if command.data[2:3] == b"\x85" else response
    with pytest.raises(AccessKeyRejected):
        perform_pace(ResponderChannel(PaceResponder(_chip()), tamper), CanKey(CAN),
                     pace_parameters(13))


def test_chip_token_that_does_not_verify_is_a_wrong_key() -> None:
    def tamper(command: CommandApdu, response: ResponseApdu) -> ResponseApdu:
        if command.data[2:3] == b"\x85" and response.ok:
            data = bytearray(response.data)
            data[-1] ^= 1
            return ResponseApdu(bytes(data), response.sw)
        return response
    with pytest.raises(AccessKeyRejected):
        perform_pace(ResponderChannel(PaceResponder(_chip()), tamper), ICAO_MRZ, pace_parameters(13))


def _replace_point(tag: int, point: Callable[[PaceGroup], bytes]):
    def tamper(command: CommandApdu, response: ResponseApdu) -> ResponseApdu:
        if response.ok and response.data[2:3] == bytes([tag]):
            value = point(PaceGroup(13))
            inner = bytes([tag, len(value)]) + value
            return ResponseApdu(bytes([0x7C, len(inner)]) + inner, 0x9000)
        return response
    return tamper


def _off_curve(group: PaceGroup) -> bytes:
    good = bytearray(group.encode(group.generator))
    good[-1] ^= 1
    return bytes(good)


@pytest.mark.parametrize("tag,point", [
    (0x82, _off_curve),
    (0x84, _off_curve),
    (0x82, lambda g: b"\x00"),  # the identity's encoding
    (0x82, lambda g: g.encode(g.generator)[:-1]),  # short
    (0x84, lambda g: b"\x02" + g.encode(g.generator)[1:33]),  # compressed: not allowed
    (0x82, lambda g: b"\x04" + (g.curve.p() + 1).to_bytes(32, "big") * 2),  # coordinates >= p
])
def test_invalid_points_from_the_chip(tag: int, point) -> None:
    channel = ResponderChannel(PaceResponder(_chip()), _replace_point(tag, point))
    with pytest.raises(SecureMessagingError):
        perform_pace(channel, ICAO_MRZ, pace_parameters(13))


def test_chip_echoing_the_kiosk_key_is_refused() -> None:
    def tamper(command: CommandApdu, response: ResponseApdu) -> ResponseApdu:
        if command.data[2:3] == b"\x83":
            return ResponseApdu(b"\x7C\x43\x84\x41" + command.data[4:], 0x9000)
        return response
    with pytest.raises(SecureMessagingError):
        perform_pace(ResponderChannel(PaceResponder(_chip()), tamper), ICAO_MRZ, pace_parameters(13))


def test_bad_nonce_length() -> None:
    def tamper(command: CommandApdu, response: ResponseApdu) -> ResponseApdu:
        if response.data[2:3] == b"\x80":
            return ResponseApdu(b"\x7C\x07\x80\x05" + b"\x00" * 5, 0x9000)
        return response
    with pytest.raises(SecureMessagingError):
        perform_pace(ResponderChannel(PaceResponder(_chip()), tamper), ICAO_MRZ, pace_parameters(13))


def test_mse_refused_is_unsupported_and_unknown_parameters_too() -> None:
    # the responder speaks brainpoolP256r1 only; the kiosk asks for P-256
    with pytest.raises(AccessControlUnsupported):
        perform_pace(ResponderChannel(PaceResponder(_chip())), ICAO_MRZ, pace_parameters(12))
    with pytest.raises(AccessControlUnsupported):
        perform_pace(ResponderChannel(PaceResponder(_chip())), ICAO_MRZ,
                     PaceParameters(ID_PACE_ECDH_GM_AES_CBC_CMAC_128, 2, "aes", 128))
    with pytest.raises(AccessControlUnsupported):
        perform_pace(ResponderChannel(PaceResponder(_chip())), ICAO_MRZ,
                     PaceParameters(ID_PACE_ECDH_GM_AES_CBC_CMAC_128, 13, "aes", 256))


def test_other_status_words_are_status_errors() -> None:
    def tamper(command: CommandApdu, response: ResponseApdu) -> ResponseApdu:
        return ResponseApdu(b"", 0x6F00) if command.data[2:3] == b"\x81" else response
    with pytest.raises(StatusWordError) as info:
        perform_pace(ResponderChannel(PaceResponder(_chip()), tamper), ICAO_MRZ, pace_parameters(13))
    assert info.value.sw == 0x6F00


def test_can_is_refused_when_the_document_has_none() -> None:
    with pytest.raises(AccessControlUnsupported):
        perform_pace(ResponderChannel(PaceResponder(_chip(can=None))), CanKey(CAN),
                     pace_parameters(13))


# -- the responder's state machine ---------------------------------------------------------------
def _send(responder: PaceResponder, raw: str) -> int:
    response, session = responder.handle(CommandApdu.decode(H(raw)))
    assert session is None
    return response.sw


def test_responder_refuses_out_of_order_and_bad_commands() -> None:
    responder = PaceResponder(_chip())
    mse = "0022C1A40F800A04007F00070202040202830101"
    assert _send(responder, "10860000027C0000") == 0x6985  # no MSE:SET AT yet
    assert _send(responder, "0022C1A60F800A04007F00070202040202830101") == 0x6A86
    assert _send(responder, "0022C1A40F800A04007F00070202040201830101") == 0x6A80  # 3DES OID
    assert _send(responder, "0022C1A412800A04007F0007020204020283010184010C") == 0x6A80
    assert _send(responder, "0022C1A40F800A04007F00070202040202830103") == 0x6A88
    assert _send(responder, mse) == 0x9000
    assert _send(responder, "00860000027C0000") == 0x6985  # step 1 must be chained
    assert _send(responder, mse) == 0x9000
    assert _send(responder, "10860000047C02810000") == 0x6A80  # data where none belongs
    assert _send(responder, mse) == 0x9000
    assert _send(responder, "10860000027C0000") == 0x9000
    assert _send(responder, "10860000027C0000") == 0x6A80  # step 2 needs 81
    assert _send(responder, "10860000027C0000") == 0x6985  # and now the run is over
    assert _send(responder, "00B0000000") == 0x6D00


# -- hostile input ------------------------------------------------------------------------------
_commands = st.builds(
    CommandApdu,
    cla=st.sampled_from([0x00, 0x10, 0x0C, 0x1C]), ins=st.sampled_from([0x22, 0x86, 0x88]),
    p1=st.sampled_from([0x00, 0xC1, 0x41]), p2=st.sampled_from([0x00, 0xA4]),
    data=st.one_of(st.binary(max_size=80),
                   st.binary(max_size=70).map(lambda b: b"\x7C" + bytes([len(b)]) + b),
                   st.sampled_from([0x81, 0x83, 0x85]).flatmap(
                       lambda t: st.binary(min_size=0, max_size=66).map(
                           lambda b: b"\x7C" + bytes([len(b) + 2, t, len(b)]) + b))),
    le=st.sampled_from([None, 256]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_commands, max_size=6), st.booleans())
def test_responder_answers_anything_with_a_status_word(commands, start_with_mse: bool) -> None:
    responder = PaceResponder(_chip(), parameter_id=12)
    if start_with_mse:
        assert _send(responder, "0022C1A412800A04007F0007020204020283010284010C") == 0x9000
        assert _send(responder, "10860000027C0000") == 0x9000
    for command in commands:
        response, session = responder.handle(command)
        assert isinstance(response, ResponseApdu) and session is None
        assert response.sw == 0x9000 or not response.data


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_kiosk_survives_any_chip_answer(data: st.DataObject) -> None:
    """Whatever the chip answers at whichever step, the kiosk raises a typed reader error."""
    step = data.draw(st.integers(0, 4))
    garbage = data.draw(st.one_of(
        st.binary(min_size=2, max_size=80),
        st.binary(max_size=70).map(lambda b: b"\x7C" + bytes([len(b)]) + b + b"\x90\x00"),
        st.sampled_from([0x80, 0x82, 0x84, 0x86]).flatmap(
            lambda t: st.binary(max_size=66).map(
                lambda b: b"\x7C" + bytes([len(b) + 2, t, len(b)]) + b + b"\x90\x00"))))
    seen = []

    class Channel(ResponderChannel):
        def transmit(self, apdu: bytes) -> bytes:
            seen.append(apdu)
            real = super().transmit(apdu)
            return garbage if len(seen) - 1 == step else real

    try:
        perform_pace(Channel(PaceResponder(_chip())), ICAO_MRZ, pace_parameters(13))
    except ReaderError:
        pass


# -- through the virtual chip ---------------------------------------------------------------------
COM = bytes.fromhex("601A5F0104303130375F36063034303030305C08617563756B6C6E6F")
DG1_FID, COM_FID, CARD_ACCESS_FID = 0x0101, 0x011E, 0x011C


def _virtual_chip(parameter_id: int, *, cipher: str = "aes", bits: int = 128, can: str | None = CAN):
    files = {CARD_ACCESS_FID: card_access_for(parameter_id, cipher, bits), COM_FID: COM,
             DG1_FID: tlv.encode(0x61, tlv.encode(0x5F1F, b"P<UTO" + b"<" * 83))}
    profile = ChipProfile(files=files, access="pace", mrz_key=ICAO_MRZ, can=can)
    return VirtualChip(profile, pace_responder_factory=lambda chip: PaceResponder(
        chip, parameter_id=parameter_id, cipher=cipher, key_bits=bits))


def _read_card_access(chip) -> bytes:
    raw = bytearray()
    FileReader(PlainSender(chip), read_size=128).read_file(CARD_ACCESS_FID, raw)
    return bytes(raw)


def _secure_read(chip, sm: SecureMessaging, fid: int) -> bytes:
    sender = SecureSender(chip, sm)
    select_applet(sender)
    raw = bytearray()
    FileReader(sender, read_size=100).read_file(fid, raw)
    return bytes(raw)


@pytest.mark.parametrize("parameter_id", [12, 13])
@pytest.mark.parametrize("key", [ICAO_MRZ, CanKey(CAN)], ids=["mrz", "can"])
def test_pace_with_the_virtual_chip_then_secure_reads(parameter_id: int, key) -> None:
    chip = _virtual_chip(parameter_id)
    params = choose_pace(_read_card_access(chip))
    assert params == pace_parameters(parameter_id)
    sm = perform_pace(chip, key, params)
    assert chip.session_active
    assert _secure_read(chip, sm, COM_FID) == COM
    assert _secure_read(chip, sm, DG1_FID) == chip.profile.files[DG1_FID]
    assert chip.internal_errors == 0


def test_virtual_chip_refuses_a_wrong_can_and_accepts_the_right_one() -> None:
    chip = _virtual_chip(13)
    params = choose_pace(_read_card_access(chip))
    with pytest.raises(AccessKeyRejected):
        perform_pace(chip, CanKey("654321"), params)
    assert not chip.session_active and chip.pace_responder.failures == 1
    sm = perform_pace(chip, CanKey(CAN), params)
    assert _secure_read(chip, sm, COM_FID) == COM
    assert chip.internal_errors == 0


def test_virtual_chip_with_3des_pace() -> None:
    chip = _virtual_chip(12, cipher="3des", bits=112)
    sm = perform_pace(chip, ICAO_MRZ, choose_pace(_read_card_access(chip)))
    assert sm.cipher == "3des"
    assert _secure_read(chip, sm, COM_FID) == COM


def test_virtual_chip_applet_files_stay_closed_without_pace() -> None:
    chip = _virtual_chip(13)
    sender = PlainSender(chip)
    select_applet(sender)
    response = sender.send(CommandApdu(0x00, 0xB0, 0x9E, 0x00, le=16))  # EF.COM by SFI
    assert response.sw == 0x6982
