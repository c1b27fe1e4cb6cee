"""Ten writers recording a hundred assessments each, at once, in separate processes (ten app
servers on one database), on SQLite and on PostgreSQL: no row is lost and every chain verifies.
The p95 latency of one write is printed for tests/robustness/README.md, not asserted (a time
depends on the machine)."""

from __future__ import annotations

import multiprocessing as mp
import statistics
import time
from pathlib import Path

import pytest

from riskcheck.history import History

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "nordvale-g2g-approve.yaml"
WRITERS = 10
RECORDS = 100


def _writer(url: str, who: int, start_at: float, out: mp.Queue) -> None:
    from riskcheck import assess
    from riskcheck.loader import load_rules, load_scenario

    a = assess(load_rules(ROOT / "rules" / "baseline.yaml"), load_scenario(SCENARIO))
    text = SCENARIO.read_text()
    store = History(url)
    while time.time() < start_at:  # every writer starts at the same moment
        time.sleep(0.002)
    took = []
    for i in range(RECORDS):
        t0 = time.perf_counter()
        store.record(a, text, recipient="XNV", origin="test", note=f"w{who}:{i}")
        took.append(time.perf_counter() - t0)
    store.dispose()
    out.put(took)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'history.db'}"
    return request.getfixturevalue("pg_server").new_database()  # type: ignore[no-any-return]


def test_ten_writers_times_a_hundred_records_lose_nothing(url: str):
    History(url).dispose()  # the tables exist before the race: the race is about rows
    ctx = mp.get_context("spawn")
    out: mp.Queue = ctx.Queue()
    start_at = time.time() + 6.0  # after every child has imported riskcheck and assessed once
    procs = [ctx.Process(target=_writer, args=(url, n, start_at, out)) for n in range(WRITERS)]
    for p in procs:
        p.start()
    latencies: list[float] = []
    for _ in procs:
        latencies += out.get(timeout=300)  # bounded: a hung writer fails the test, not the run
    for p in procs:
        p.join(timeout=30)
    assert [p.exitcode for p in procs] == [0] * WRITERS
    store = History(url)
    try:
        notes = {r.note for r in store.list(limit=WRITERS * RECORDS + 10)}
        expected = {f"w{n}:{i}" for n in range(WRITERS) for i in range(RECORDS)}
        lost = len(expected - notes)
        assert lost == 0 and store.count() == WRITERS * RECORDS
        assert store.verify() == {}
    finally:
        store.dispose()
    p95 = statistics.quantiles(latencies, n=20)[-1] * 1000
    print(
        f"\nledger writers [{url.split(':')[0]}]: {WRITERS} processes x {RECORDS} assessments, "
        f"{lost} rows lost, chains intact, write p50 {statistics.median(latencies) * 1000:.0f} ms, "
        f"p95 {p95:.0f} ms"
    )
