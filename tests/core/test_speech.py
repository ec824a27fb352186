"""The guidance is spoken by a real child process; a new sentence cuts off the old one."""

from __future__ import annotations

import shutil
import stat
import time

from kiosk.devices.speech import Speaker


def recorder(tmp_path, seconds: float = 5.0):
    """A stand-in voice that records its arguments and speaks for ``seconds``."""
    log = tmp_path / "said.txt"
    script = tmp_path / "voice"
    script.write_text(f'#!/bin/sh\necho "$@" >> {log}\nexec sleep {seconds}\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script), log


def test_each_sentence_in_its_language_and_the_old_one_cut_off(tmp_path):
    program, log = recorder(tmp_path)
    speaker = Speaker(program=program)
    speaker.say("请再靠近一点", "zh_CN")
    first = speaker._process
    time.sleep(0.2)
    started = time.monotonic()
    speaker.say("Move a little closer", "en")
    assert time.monotonic() - started < 0.5, "saying never waits for the old voice"
    first.wait(timeout=5)  # it was told to end: it does, long before its 5 s were up
    assert time.monotonic() - started < 4, "the first sentence was cut off, not left speaking"
    deadline = time.monotonic() + 5
    while len(log.read_text(encoding="utf-8").splitlines()) < 2:
        assert time.monotonic() < deadline, "the second sentence was never spoken"
        time.sleep(0.02)
    speaker.stop()
    assert speaker._ending == [] and first.returncode is not None
    lines = log.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("-v cmn") and lines[0].endswith("请再靠近一点")
    assert lines[1].startswith("-v en") and lines[1].endswith("Move a little closer")
    assert speaker._process is None


def test_speech_off_or_missing_says_nothing_and_fails_nothing(tmp_path):
    assert not Speaker(enabled=False).available
    missing = Speaker(program="no-such-voice-program")
    missing.say("你好", "zh_CN")
    missing.stop()


def test_the_real_espeak_ng_runs_when_installed():
    assert shutil.which("espeak-ng"), "make installs espeak-ng"
    speaker = Speaker()
    speaker.say("请保持不动", "zh_CN")
    speaker._process.wait(timeout=10)  # no sound card here: it ends at once, not hangs
    speaker.stop()
