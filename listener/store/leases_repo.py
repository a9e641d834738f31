"""Queries behind the shared schedule (table `job_leases`): create a job's row, claim it when due, renew and
release the claim. Every claim is one conditional UPDATE, atomic on SQLite and PostgreSQL alike: when two
daemons claim the same job at once, PostgreSQL makes the second wait for the first's commit, re-checks the
condition and updates nothing.

Reads no config.
"""

from __future__ import annotations

from datetime import datetime
from typing import Iterable, Sequence

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from listener.store.models import JobLease


def ensure(session: Session, name: str, *, now: datetime, latest: datetime) -> None:
    """Create the job's row, due now; a job due later than `latest` (its schedule was shortened) is due now."""
    if session.get(JobLease, name) is None:
        try:
            with session.begin_nested():  # another daemon starting at the same moment may create it first
                session.add(JobLease(name=name, next_run_at=now))
                session.flush()
        except IntegrityError:
            pass
    session.execute(update(JobLease).where(JobLease.name == name, JobLease.next_run_at > latest)
                    .values(next_run_at=now))


def due(session: Session, names: Iterable[str], now: datetime) -> Sequence[str]:
    """Jobs among `names` that are due and not running anywhere (or whose runner's lease ran out), most overdue
    first."""
    query = (select(JobLease.name).where(JobLease.name.in_(list(names)), JobLease.next_run_at <= now,
                                         or_(JobLease.lease_until.is_(None), JobLease.lease_until < now))
             .order_by(JobLease.next_run_at))
    return session.scalars(query).all()


def claim(session: Session, name: str, *, owner: str, now: datetime, lease_until: datetime,
          next_run_at: datetime) -> bool:
    """Take the job for this run and book its next one; False when another daemon was first."""
    query = (update(JobLease)
             .where(JobLease.name == name, JobLease.next_run_at <= now,
                    or_(JobLease.lease_until.is_(None), JobLease.lease_until < now))
             .values(owner=owner, lease_until=lease_until, next_run_at=next_run_at, last_owner=owner,
                     last_started_at=now))
    return session.execute(query).rowcount == 1


def renew(session: Session, owner: str, names: Iterable[str], lease_until: datetime) -> None:
    names = list(names)
    if names:
        session.execute(update(JobLease).where(JobLease.owner == owner, JobLease.name.in_(names))
                        .values(lease_until=lease_until))


def release(session: Session, name: str, owner: str) -> None:
    """The run is over (either way); a claim that expired and was taken over meanwhile is not ours to clear."""
    session.execute(update(JobLease).where(JobLease.name == name, JobLease.owner == owner)
                    .values(owner=None, lease_until=None))


def all_leases(session: Session) -> Sequence[JobLease]:
    return session.scalars(select(JobLease).order_by(JobLease.name)).all()
