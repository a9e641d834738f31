"""The shared schedule (listener/leases.py) on one database seen by two daemons: a due job goes to exactly one
of them and its next run is booked; a daemon that stops renewing (it died) loses the job to the other once its
lease runs out; a finished run frees the job for whoever is first at its next due time."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from listener.leases import Leases, SharedJob
from listener.store import Store, leases_repo
from tests.listener.test_incidents_world import Clock

EVERY = timedelta(minutes=5)


def _job(ran: list[str], who: str) -> SharedJob:
    return SharedJob("source:pantip", lambda: ran.append(who), lambda now: now + EVERY, EVERY)


def _daemons(tmp_path: Path) -> tuple[Store, Clock, Leases, Leases]:
    store = Store(f"sqlite:///{tmp_path}/leases.db")
    store.create_all()
    clock = Clock()
    return store, clock, Leases(store, clock, ttl=timedelta(seconds=30), owner="a"), \
        Leases(store, clock, ttl=timedelta(seconds=30), owner="b")


def test_a_due_job_goes_to_one_daemon_and_its_next_run_is_booked(tmp_path: Path) -> None:
    store, clock, a, b = _daemons(tmp_path)
    ran: list[str] = []
    a.register([_job(ran, "a")])
    b.register([_job(ran, "b")])  # a second daemon starting up does not reset the schedule
    claimed = a.claim_due([_job(ran, "a")], limit=4) + b.claim_due([_job(ran, "b")], limit=4)
    assert [job.name for job in claimed] == ["source:pantip"]
    for job in claimed:
        a.run(job)
    assert ran == ["a"]
    clock.advance(minutes=4)  # not due yet for anyone
    assert a.claim_due([_job(ran, "a")], limit=4) == b.claim_due([_job(ran, "b")], limit=4) == []
    clock.advance(minutes=1)
    assert [j.name for j in b.claim_due([_job(ran, "b")], limit=4)] == ["source:pantip"]  # whoever is first
    assert a.claim_due([_job(ran, "a")], limit=4) == []


def test_a_dead_daemons_job_is_taken_over_when_its_lease_runs_out(tmp_path: Path) -> None:
    store, clock, a, b = _daemons(tmp_path)
    ran: list[str] = []
    a.register([_job(ran, "a")])
    assert a.claim_due([_job(ran, "a")], limit=1)  # a claims it, then dies without finishing or renewing
    clock.advance(minutes=5, seconds=1)  # due again, but a's lease (30 s after its last renewal) is long gone
    taken = b.claim_due([_job(ran, "b")], limit=1)
    assert [job.name for job in taken] == ["source:pantip"]
    with store.session() as session:
        assert [(lease.last_owner, lease.owner) for lease in leases_repo.all_leases(session)] == [("b", "b")]


def test_a_running_daemon_keeps_its_job_by_renewing(tmp_path: Path) -> None:
    store, clock, a, b = _daemons(tmp_path)
    ran: list[str] = []
    a.register([_job(ran, "a")])
    assert a.claim_due([_job(ran, "a")], limit=1)  # a long poll starts
    for _ in range(15):  # 7.5 minutes of ticks: a renews its claim, b never takes the job meanwhile
        clock.advance(seconds=30)
        a.claim_due([], limit=0)
        assert b.claim_due([_job(ran, "b")], limit=1) == []
