"""Tests start the central server through the same helper the demo and benchmarks use."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from central.fleet.enrolment import Enrolment, default_key_path, load_or_create_central_key
from central.storage.db import make_engine
from tools.central_process import CentralProcess, central_on, free_port

__all__ = ["CentralProcess", "central_on", "enrolment_at", "free_port"]


@contextmanager
def enrolment_at(central: CentralProcess) -> Iterator[Enrolment]:
    """The enrolment book of a running central: its database and its own signing key, so
    codes issued here are the ones the server accepts."""
    e = Enrolment(make_engine(central.database),
                  load_or_create_central_key(default_key_path(central.database)), central.url)
    try:
        yield e
    finally:
        e.engine.dispose()
