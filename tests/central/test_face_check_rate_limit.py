"""The per-kiosk limit on registry face checks holds when many requests arrive at once: the
count is read and written under one lock (a check-then-write), so 80 parallel checks from one
kiosk let exactly the limit through. (One central process: several processes each keep their
own count, as the closing note of the change says.)"""

from __future__ import annotations

import threading

from central.identity.face_check import RateLimit


def test_parallel_checks_from_one_kiosk_pass_exactly_the_limit():
    limit = RateLimit(30, window_s=60.0)
    start, allowed = threading.Barrier(80), []

    def check() -> None:
        start.wait()
        if limit.take("kiosk-1") is None:
            allowed.append(1)

    threads = [threading.Thread(target=check) for _ in range(80)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(allowed) == 30
    assert limit.take("kiosk-2") is None, "another kiosk has its own count"
