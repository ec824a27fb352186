"""A real display for the UI tests: Xvfb when DISPLAY is unset, and the central server."""

from __future__ import annotations

import pytest

from tests.central_server import central_on
from tools.display import virtual_display


@pytest.fixture(scope="session")
def display():
    """DISPLAY to use: the existing one, or an Xvfb we start, wait for, and stop by its PID."""
    with virtual_display() as name:
        yield name


@pytest.fixture(scope="session")
def central(tmp_path_factory):
    server = central_on(tmp_path_factory.mktemp("central")).start()
    try:
        yield server
    finally:
        server.stop()
