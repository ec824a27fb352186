"""The alert runner in a process of its own, beside the server.

Judging a whole city's fleet every half minute is pure Python work; in the server's process
it holds the interpreter that 140 heartbeats a second need, and their slowest answers wait
for it. In a child process it runs on the other core, reading and writing the same database
(SQLite's WAL and busy timeout, or PostgreSQL), and the server stays quick.
"""

from __future__ import annotations

import logging
import multiprocessing
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from central.fleet.alerts import AlertConfig
from central.fleet.states import Thresholds

log = logging.getLogger("central.alerts")


class AlertProcess:
    """A Service (central/schedule.py): started with the server, stopped and joined with it."""

    def __init__(self, database: str, thresholds: Thresholds, config: AlertConfig,
                 log_level: str = "INFO") -> None:
        self.database, self.thresholds, self.config = database, thresholds, config
        self.log_level = log_level
        self._context = multiprocessing.get_context("spawn")  # no copy of the server's threads
        # our end of a pipe: a word on it, or its closing, stops the child
        self._line: Connection | None = None
        self._process: BaseProcess | None = None

    def start(self) -> None:
        if self._process is not None:
            return
        theirs, self._line = self._context.Pipe(duplex=False)
        process = self._context.Process(
            target=run_alerts, name="fleet-alerts", daemon=True,
            args=(self.database, self.thresholds.model_dump(), self.config.model_dump(),
                  self.log_level, theirs))
        process.start()
        self._process = process
        theirs.close()  # only the child holds it now: our death closes the line
        log.info("alerts run in process %s", process.pid)

    def stop(self, timeout_s: float = 15.0) -> None:
        process, self._process = self._process, None
        line, self._line = self._line, None
        if process is None or line is None:
            return
        try:
            line.send("stop")
        except OSError:
            pass
        line.close()
        process.join(timeout_s)
        if process.is_alive():  # a notifier stuck past its timeouts: end it all the same
            process.terminate()
            process.join(5)
        log.info("alerts process ended (exit %s)", process.exitcode)


def run_alerts(database: str, thresholds: dict, config: dict, log_level: str, line) -> None:
    """The child: the same AlertRunner as ever, on the same database, until a word comes down
    the line or the line closes (the server ended, however it ended)."""
    from central.api.requestlog import configure_logging
    from central.fleet.alerts import AlertRunner, notifiers_from
    from central.fleet.service import Fleet
    from central.storage.db import make_engine

    configure_logging(log_level)
    alerts = AlertConfig(**config)
    fleet = Fleet(make_engine(database), Thresholds(**thresholds))
    runner = AlertRunner(fleet, alerts, notifiers_from(alerts))
    runner.start()
    try:
        line.poll(None)  # True on a word and on end-of-file alike
    finally:
        runner.stop()
        fleet.engine.dispose()
