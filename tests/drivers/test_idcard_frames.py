"""The ID-card module's frames, statuses and frame reader, from the public layout by hand.

The fuzz test feeds the frame reader random and mutated answers directly (no pty): every
one must give an Answer or a typed FrameError, never anything else, never a hang.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drivers.reader.base import DocumentNotGenuine, DocumentRemoved, UnreadableDocument
from drivers.reader.idcard import frames, status
from drivers.reader.idcard.commands import parse_read_data
from drivers.reader.idcard.frames import Answer, Request, check_byte, decode_answer
from drivers.reader.idcard.link import AnswerCutShort, ModuleLink, read_answer
from drivers.reader.idcard.status import (
    BadCheckByte,
    BadLength,
    BadPreamble,
    FrameError,
    ModuleSilent,
)


class FakePort:
    """Bytes waiting on a line; an empty read is a timeout (at once, to keep tests fast)."""

    def __init__(self, data: bytes = b"") -> None:
        self.data = bytearray(data)
        self.timeout: float | None = None
        self.written = bytearray()

    def read(self, size: int = 1) -> bytes:
        out = bytes(self.data[:size])
        del self.data[:size]
        return out

    def write(self, data: bytes) -> int:
        self.written += data
        return len(data)

    def reset_input_buffer(self) -> None:
        pass


# Requests and answers as the public examples print them (yzsam.com/html/CNvfzM.html).
FIND_REQUEST = bytes.fromhex("AAAAAA9669000320 0122".replace(" ", ""))
SELECT_REQUEST = bytes.fromhex("AAAAAA96690003200221")
READ_REQUEST = bytes.fromhex("AAAAAA96690003300132")
READ_FP_REQUEST = bytes.fromhex("AAAAAA96690003301023")
FOUND_ANSWER = bytes.fromhex("AAAAAA9669000800009F0000000097")
SELECTED_ANSWER = bytes.fromhex("AAAAAA9669000C00009000000000000000009C")


def test_requests_match_the_published_bytes():
    assert Request(0x20, 0x01).encode() == FIND_REQUEST
    assert Request(0x20, 0x02).encode() == SELECT_REQUEST
    assert Request(0x30, 0x01).encode() == READ_REQUEST
    assert Request(0x30, 0x10).encode() == READ_FP_REQUEST
    assert frames.FIND_CARD.label == "20 01" and frames.SAM_ID.label == "12 FF"


def test_answers_match_the_published_bytes():
    assert Answer(0, 0, 0x9F, bytes(4)).encode() == FOUND_ANSWER
    assert Answer(0, 0, 0x90, bytes(8)).encode() == SELECTED_ANSWER
    assert decode_answer(FOUND_ANSWER) == Answer(0, 0, 0x9F, bytes(4))
    # the length counts everything after itself, the check byte included
    assert int.from_bytes(FOUND_ANSWER[5:7], "big") == len(FOUND_ANSWER) - 7
    assert check_byte(FOUND_ANSWER[5:-1]) == FOUND_ANSWER[-1]


def test_a_read_answer_is_1295_bytes_as_published():
    text, photo = bytes(256), bytes(1024)
    data = (256).to_bytes(2, "big") + (1024).to_bytes(2, "big") + text + photo
    frame = Answer(0, 0, 0x90, data).encode()
    assert len(frame) == 1295
    read = parse_read_data(decode_answer(frame).data)
    assert read.wlt == photo


def test_frame_reader_takes_an_answer_in_pieces_after_noise():
    port = FakePort(b"\x00\x13" + FOUND_ANSWER)
    assert read_answer(port, 0.1) == Answer(0, 0, 0x9F, bytes(4))


@pytest.mark.parametrize("data, error", [
    (b"", ModuleSilent),
    (b"\x55" * 100, BadPreamble),
    (b"\x55\x55\x55", BadPreamble),
    (frames.PREAMBLE + b"\x00\x02\x00\x00", BadLength),
    (frames.PREAMBLE + b"\xff\xff", BadLength),
    (FOUND_ANSWER[:-1] + bytes([FOUND_ANSWER[-1] ^ 1]), BadCheckByte),
    (FOUND_ANSWER[:-3], AnswerCutShort),
])
def test_frame_reader_errors_are_typed(data, error):
    with pytest.raises(error) as caught:
        read_answer(FakePort(data), 0.05)
    assert caught.value.code.startswith("idcard_")


def test_statuses_map_to_typed_errors_with_stable_codes():
    assert isinstance(status.error_for(0, 0, 0x80), DocumentRemoved)
    assert status.error_for(0, 0, 0x80).code == "idcard_no_card"
    assert status.error_for(0, 0, 0x81).code == "idcard_select_failed"
    assert isinstance(status.error_for(0, 0, 0x41), UnreadableDocument)
    assert status.error_for(0, 0, 0x41).code == "idcard_read_failed"
    assert isinstance(status.error_for(0, 0, 0x32), DocumentNotGenuine)
    assert status.error_for(0, 0, 0x60).code == "idcard_sam_fault"
    assert status.error_for(0x6A, 0x82, 0x41).status == "6A 82 41"
    assert status.error_for(0, 0, 0x77).code == "idcard_unknown_status"
    assert status.is_success(0x90) and status.is_success(0x9F) and not status.is_success(0x80)
    codes = status.status_codes()
    assert len(set(codes.values())) == 8 and all(c.startswith("idcard_") for c in codes.values())


def test_link_asks_again_after_a_garbled_answer_and_traces_each_try():
    bad = FOUND_ANSWER[:-1] + bytes([FOUND_ANSWER[-1] ^ 1])
    link = ModuleLink(FakePort(bad + FOUND_ANSWER), retries=1)
    assert link.transact(frames.FIND_CARD).sw3 == 0x9F
    assert [e.status for e in link.trace.entries()] == ["idcard_bad_check_byte", "00 00 9F"]
    link = ModuleLink(FakePort(bad + bad), retries=1)
    with pytest.raises(BadCheckByte):
        link.transact(frames.FIND_CARD)
    with pytest.raises(status.NoCard):
        ModuleLink(FakePort(Answer(0, 0, 0x80).encode())).transact(frames.SELECT_CARD)


# --- fuzzing -----------------------------------------------------------------------------

_VALID = [FOUND_ANSWER, SELECTED_ANSWER, Answer(0, 0, 0x80).encode(),
          Answer(0, 0, 0x90, bytes(range(256)) * 5).encode(),
          Answer(0, 0, 0x90, (256).to_bytes(2, "big") + (1024).to_bytes(2, "big")
                 + bytes(1280)).encode()]
PER_EXAMPLE = 50
EXAMPLES = 2000  # 2,000 x 50 = 100,000 answers


def _mutate(rng: random.Random, frame: bytes) -> bytes:
    data = bytearray(frame)
    for _ in range(rng.randint(0, 4)):
        kind = rng.randrange(6)
        if kind == 0 and data:
            data[rng.randrange(len(data))] = rng.randrange(256)
        elif kind == 1 and data:
            del data[rng.randrange(len(data)):]
        elif kind == 2:
            data[rng.randrange(len(data) + 1):0] = rng.randbytes(rng.randint(1, 8))
        elif kind == 3 and len(data) > 7:
            data[5:7] = rng.randrange(65536).to_bytes(2, "big")
        elif kind == 4:
            data = bytearray(rng.randbytes(rng.randint(0, 64))) + data
        else:
            data = bytearray(rng.randbytes(rng.randint(0, 300)))
    return bytes(data)


@pytest.mark.slow
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), raw=st.binary(max_size=64))
def test_fuzzed_answers_give_an_answer_or_a_typed_error(seed, raw):
    rng = random.Random(seed)
    for i in range(PER_EXAMPLE):
        candidate = raw if i == 0 else _mutate(rng, rng.choice(_VALID))
        try:
            answer = read_answer(FakePort(candidate), 0.0)
        except FrameError:
            continue
        assert isinstance(answer, Answer)
        try:
            parse_read_data(answer.data)
        except status.BadCardText:
            pass
