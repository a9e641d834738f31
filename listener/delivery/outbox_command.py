"""`fangsiang outbox list` and `fangsiang outbox resend [--id N ... | --all-dead]`: see what is waiting,
failing or dead in the alert outbox, and put dead alerts back in line once their cause is fixed.

Reads config key `storage.url` (through the store the caller opens).
"""

from __future__ import annotations

from typing import Any, Sequence

from listener.delivery.outbox import requeue_dead
from listener.store import Store, outbox_repo

# sent, digested and superseded rows are history; these are the ones a person may want to look at
OPEN_STATUSES = ("dead", "sending", "pending", "held", "digest")


def list_rows(store: Store, statuses: Sequence[str] = OPEN_STATUSES) -> str:
    """One line per row: id, status, kind, channel, incident, attempts, and the last error."""
    with store.session() as session:
        rows = sorted((r for s in statuses for r in outbox_repo.rows_with_status(session, s)), key=lambda r: r.id)
        lines = [_line(r) for r in rows]
    if not lines:
        return f"no alerts {'/'.join(statuses)} in the outbox"
    header = f"{'id':>6}  {'status':<8} {'kind':<10} {'channel':<24} {'incident':>8} {'tries':>5}  last error"
    return "\n".join([header, *lines])


def resend(store: Store, ids: Sequence[int] | None) -> str:
    """Re-queue the dead rows among `ids` (all dead rows when None); says how many and which were not dead."""
    with store.session() as session:
        count = requeue_dead(session, ids)
    message = f"re-queued {count} dead alert(s); the running daemon sends them on its next dispatch"
    if ids is not None and count < len(set(ids)):
        message += f" ({len(set(ids)) - count} of the ids given were not dead: see `fangsiang outbox list`)"
    return message


def _line(row: Any) -> str:
    error = " ".join((row.last_error or "").split())[:100]
    return (f"{row.id:>6}  {row.status:<8} {row.kind:<10} {row.channel[:24]:<24} "
            f"{row.incident_id or '-':>8} {row.attempts:>5}  {error}")
