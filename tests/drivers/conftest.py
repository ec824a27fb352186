"""Every simulator thread must be gone when a test ends."""

from __future__ import annotations

import pytest

from tests.drivers.helpers import Recorder, sim_threads


@pytest.fixture(autouse=True)
def no_thread_left_behind():
    yield
    assert sim_threads() == [], "a simulator thread outlived its test"


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()
