"""The guidance spoken aloud, once when it changes, with Debian's espeak-ng.

One utterance at a time: a new sentence stops the one still speaking (our own child
process, ended by its PID), so the voice never lags behind what the screen shows.
Where espeak-ng is missing or speech is off in config, nothing is said and nothing fails.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import threading

log = logging.getLogger("kiosk.speech")

VOICES = {"zh_CN": "cmn", "en": "en"}


class Speaker:
    def __init__(self, enabled: bool = True, program: str = "espeak-ng",
                 words_per_minute: int = 150) -> None:
        self.program = shutil.which(program) if enabled else None
        self.words_per_minute = words_per_minute
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._ending: list[subprocess.Popen[bytes]] = []  # told to stop, not yet reaped

    @property
    def available(self) -> bool:
        return self.program is not None

    def say(self, text: str, language: str) -> None:
        """Say ``text`` now, cutting off whatever is still being said. Never blocks: it is
        called on the UI thread."""
        if self.program is None or not text:
            return
        with self._lock:
            self._cut_off_locked()
            try:
                self._process = subprocess.Popen(
                    [self.program, "-v", VOICES.get(language, "en"),
                     "-s", str(self.words_per_minute), text],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            except OSError as exc:
                log.warning("speech unavailable: %s", type(exc).__name__)
                self.program = None

    def stop(self) -> None:
        """Cut off the voice and reap every process it started (briefly waits)."""
        with self._lock:
            self._cut_off_locked()
            for process in self._ending:
                try:
                    process.wait(timeout=1.0)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            self._ending.clear()

    def _cut_off_locked(self) -> None:
        """Signal the sentence still being said to end; reap, without waiting, the ended."""
        process, self._process = self._process, None
        if process is not None:
            if process.poll() is None:
                process.terminate()
            self._ending.append(process)
        self._ending = [p for p in self._ending if p.poll() is None]
