"""Central's SQLite engine under many threads, on a real file: transactions queue on the
engine's lock, none is lost, and the lock is given back however a transaction ends."""

from __future__ import annotations

import gc
import threading

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, select, text, update

from central.cli.server import settle_heap
from central.storage.db import make_engine

meta = MetaData()
counters = Table("counters", meta, Column("id", Integer, primary_key=True),
                 Column("n", Integer, nullable=False))


@pytest.fixture
def engine(tmp_path):
    e = make_engine(f"sqlite:///{tmp_path / 'central.db'}")
    meta.create_all(e)
    with e.begin() as c:
        c.execute(counters.insert().values(id=1, n=0))
    yield e
    e.dispose()


def read_n(engine) -> int:
    with engine.connect() as c:
        return c.execute(select(counters.c.n)).scalar_one()


def test_threads_that_read_then_write_lose_no_update(engine):
    errors: list[BaseException] = []

    def bump(times: int) -> None:
        try:
            for _ in range(times):
                with engine.begin() as c:  # read, then write what was read plus one
                    n = c.execute(select(counters.c.n)).scalar_one()
                    c.execute(update(counters).values(n=n + 1))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=bump, args=(50,)) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert read_n(engine) == 12 * 50


def test_the_lock_is_given_back_after_a_failed_transaction(engine):
    with pytest.raises(ZeroDivisionError):
        with engine.begin() as c:
            c.execute(update(counters).values(n=99))
            raise ZeroDivisionError  # a transaction that fails part way
    done = threading.Event()

    def write() -> None:
        with engine.begin() as c:
            c.execute(update(counters).values(n=1))
        done.set()

    threading.Thread(target=write).start()
    assert done.wait(5), "a transaction after a rolled-back one still waits"
    assert read_n(engine) == 1


def test_the_lock_is_given_back_when_a_connection_is_closed_mid_transaction(engine):
    c = engine.connect()
    c.execute(text("SELECT 1"))  # a transaction is open: the lock is held
    c.close()  # back to the pool without commit: rolled back
    with engine.begin() as again:
        again.execute(update(counters).values(n=5))
    assert read_n(engine) == 5


def test_start_up_objects_are_frozen_out_of_full_collections():
    before = gc.get_freeze_count()
    try:
        settle_heap()
        assert gc.get_freeze_count() > before
    finally:
        gc.unfreeze()
