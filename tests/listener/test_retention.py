"""Stored post text: the SQLite file is readable by its owner only, and `storage.keep_text_days` masks or drops
the text of old posts in the housekeeping stage."""

from __future__ import annotations

import stat
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from listener.app import build
from listener.config import parse_config_text
from listener.pipeline import Pipeline
from listener.store import Store
from listener.store.models import PostRow

NOW = datetime(2026, 11, 30, 3, 0, tzinfo=timezone.utc)


def test_the_database_file_is_created_owner_only(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path}/var/fangsiang.db")
    store.migrate()
    with store.session() as session:
        session.add(_post("1", NOW, "โทร 081-234-5678"))
    for path in (tmp_path / "var").iterdir():  # the database and its -wal/-shm companions
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def _post(ident: str, posted: datetime, text: str) -> PostRow:
    return PostRow(source="s", kind="pantip", external_id=ident, thread_id=ident, url=f"https://pantip.com/topic/{ident}",
                   title=f"เรื่อง {ident} โทร 089-765-4321", text=text, posted_at=posted, first_seen_at=posted,
                   scored_at=posted, evaluated_at=posted)


class _NoModel:
    def __getattr__(self, name: str) -> object:
        raise AssertionError("housekeeping never scores")


@pytest.mark.parametrize(("mode", "expected_text"), [("mask", "ร้องเรียน โทร [phone] ด่วน"), ("drop", "")])
def test_old_post_text_is_masked_or_dropped_by_housekeeping(tmp_path: Path, mode: str, expected_text: str) -> None:
    loaded = parse_config_text(f"storage: {{url: 'sqlite:///{tmp_path}/r.db', keep_text_days: 30, "
                               f"expired_text: {mode}}}\nwatchlists: []\nalerting: {{daily_summary_at: null}}\n",
                               base_dir=tmp_path)
    pipeline = Pipeline(build(loaded, backend=_NoModel(), clock=lambda: NOW))
    old, fresh = NOW - timedelta(days=31), NOW - timedelta(days=29)
    with pipeline.parts.store.session() as session:
        session.add_all([_post("old", old, "ร้องเรียน โทร 081-234-5678 ด่วน"),
                         _post("new", fresh, "ร้องเรียน โทร 081-234-5678 ด่วน")])
    pipeline.housekeeping()
    pipeline.housekeeping()  # a second pass finds nothing more to do
    with pipeline.parts.store.session() as session:
        rows = {p.external_id: p for p in session.query(PostRow)}
    assert rows["old"].text == expected_text and "089-765-4321" not in rows["old"].title
    assert rows["old"].text_expired_at is not None
    assert rows["new"].text == "ร้องเรียน โทร 081-234-5678 ด่วน" and rows["new"].text_expired_at is None


def test_without_the_setting_text_is_kept(tmp_path: Path) -> None:
    loaded = parse_config_text(f"storage: {{url: 'sqlite:///{tmp_path}/k.db'}}\nwatchlists: []\n"
                               "alerting: {daily_summary_at: null}\n", base_dir=tmp_path)
    pipeline = Pipeline(build(loaded, backend=_NoModel(), clock=lambda: NOW))
    with pipeline.parts.store.session() as session:
        session.add(_post("old", NOW - timedelta(days=3000), "โทร 081-234-5678"))
    pipeline.housekeeping()
    with pipeline.parts.store.session() as session:
        assert session.query(PostRow).one().text == "โทร 081-234-5678"
