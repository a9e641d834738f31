"""`fangsiang backtest --watchlist NAME --since 30d`: an edited watchlist re-run over the posts already stored.

The live store is filled the way the daemon fills it: posts stored through the store's repos, matched and
scored by the shipped model, evaluated by the incident engine and dispatched, each on a clock set to the
post's time. The backtest then reads that database (which must stay byte-for-byte as it was) and replays it.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from listener.app import build
from listener.backtest.harness import RecordingSink, SimClock
from listener.cli import main
from listener.config import load_config
from listener.pipeline import Pipeline
from listener.store.posts_repo import store_posts
from scrapers.base import Post

BANGKOK = ZoneInfo("Asia/Bangkok")
NOW = datetime.now(timezone.utc).replace(microsecond=0)
OUTAGE_AT = NOW - timedelta(days=3)
BILLING_AT = NOW - timedelta(days=2)
OLD_AT = NOW - timedelta(days=40)  # outside --since 30d

CONFIG = """
storage: {url: "sqlite:///live.db", keep_text_days: 1}
metrics: {enabled: false}
alerting: {default_channel: "#social", cooldown_minutes: 0}
sources:
  - {name: pantip-mbk, kind: pantip, options: {rooms: [mbk]}}
watchlists: watchlists
"""
LOOSE = """
watchlists:
  - name: saifah-net
    terms: {th: ["สายฟ้าเน็ต"]}
    route: {channel: "#care"}
    tiers: {watch: 0.5, high: 0.7, critical: 0.9}
  - name: other-brand
    terms: {en: ["OtherBrand"]}
"""
EXCLUDING_BILLING = LOOSE.replace('terms: {th: ["สายฟ้าเน็ต"]}',
                                  'terms: {th: ["สายฟ้าเน็ต"]}\n    exclude: {th: ["หักเงิน"]}')


def _topic(tid: str, at: datetime, title: str, text: str) -> Post:
    return Post(source="pantip-mbk", kind="pantip", external_id=tid, thread_id=tid,
                url=f"https://pantip.com/topic/{tid}", title=title, text=text, author="member", posted_at=at)


def _comment(tid: str, n: int, at: datetime, text: str) -> Post:
    return Post(source="pantip-mbk", kind="pantip", external_id=f"{tid}-c{n}", thread_id=tid,
                url=f"https://pantip.com/topic/{tid}", title="", text=text, author="other", posted_at=at,
                parent_id=tid, is_thread_start=False)


POSTS = [
    _topic("1000", OLD_AT, "สายฟ้าเน็ต เน็ตล่มทั้งวัน",
           "เน็ตสายฟ้าเน็ตล่มทั้งวัน โทรไปไม่มีใครรับสาย แย่มาก จะร้องเรียน สคบ."),
    _topic("1001", OUTAGE_AT, "สายฟ้าเน็ต เน็ตหลุดทุกคืน แจ้งคอลเซ็นเตอร์สามรอบแล้วยังไม่แก้",
           "ใช้เน็ตบ้านสายฟ้าเน็ตมาสองปี เน็ตหลุดทุกคืน โทรแจ้งไปสามครั้งไม่มีช่างมาเลย แย่มาก ไม่ไหวแล้ว "
           "จะร้องเรียน สคบ."),
    _comment("1001", 1, OUTAGE_AT + timedelta(minutes=20), "เป็นเหมือนกันเลยค่ะ หลุดทุกคืนช่วงสี่ทุ่ม"),
    _topic("1002", BILLING_AT, "สายฟ้าเน็ต คิดเงินซ้ำสองรอบ",
           "โดนหักเงินค่าเน็ตสายฟ้าเน็ตซ้ำสองเดือน โทรไปก็ไม่มีใครรับสาย แย่มาก จะฟ้อง สคบ."),
    _topic("1003", BILLING_AT + timedelta(hours=1), "สายฟ้าเน็ต โปรโมชั่นใหม่ ดีไหมคะ",
           "สนใจโปรสายฟ้าเน็ต 1000 เมก ใครใช้อยู่บ้างคะ"),
    # no live watchlist names this brand: the daemon never scored it
    _topic("1004", BILLING_AT + timedelta(hours=2), "ThaiNet เน็ตล่ม",
           "ThaiNet เน็ตล่มทั้งวัน โทรไปไม่มีใครรับสาย แย่มาก จะร้องเรียน สคบ."),
    # a late question under the old topic: the topic is read for context, the comment inherits its watchlist
    _comment("1000", 1, NOW - timedelta(days=1), "ตอนนี้ใช้ได้ปกติหรือยังคะ"),
]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A config folder whose live.db holds the posts above, run through the daemon's stages as they came in."""
    folder = tmp_path_factory.mktemp("live")
    (folder / "config.yaml").write_text(CONFIG, encoding="utf-8")
    (folder / "watchlists").mkdir()
    (folder / "watchlists" / "brands.yaml").write_text(LOOSE, encoding="utf-8")
    clock = SimClock(OLD_AT)
    pipeline = Pipeline(build(load_config(folder / "config.yaml"), clock=clock, notifier=RecordingSink(clock)))
    for post in POSTS:
        clock.now = post.posted_at + timedelta(minutes=1)
        with pipeline.parts.store.session() as session:
            store_posts(session, [post], now=clock.now, backfill=False)
        pipeline.score(), pipeline.evaluate(), pipeline.dispatch()
    pipeline.housekeeping()  # storage.keep_text_days: the texts of the first two days are masked by now
    pipeline.parts.store.dispose()
    return folder


@pytest.fixture
def watchlists(live: Path):  # type: ignore[no-untyped-def]
    """The watchlist file, put back as it was after each test that edits it."""
    path = live / "watchlists" / "brands.yaml"
    yield path
    path.write_text(LOOSE, encoding="utf-8")


def _backtest(live: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["--config", str(live / "config.yaml"), "backtest", *extra])
    out, err = capsys.readouterr()
    return code, out, err


def _report(live: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict:
    code, out, err = _backtest(live, capsys, "--watchlist", "saifah-net", "--since", "30d", "--json", *extra)
    assert code == 0, err
    return json.loads(out)


def _day(moment: datetime) -> str:
    return moment.astimezone(BANGKOK).date().isoformat()


def test_counts_incidents_per_day_and_tier_of_the_window(live: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = _report(live, capsys)

    opened = {(row["day"], row["tier"]): row["incidents"] for row in report["days"] if row["incidents"]}
    assert sum(opened.values()) == 2, report["days"]  # the outage and the billing complaint; the old one is out
    assert {day for day, _ in opened} == {_day(OUTAGE_AT), _day(BILLING_AT)}
    assert report["totals"]["all"]["incidents"] == 2 and report["totals"]["all"]["messages"] >= 2
    assert report["posts"]["in_window"] == 6 and report["posts"]["rescored"] == 0  # stored scores reused
    assert report["posts"]["context_topics"] == 1 and report["posts"]["matched_now"] == 5
    assert report["posts"]["expired_text"] == 3 and any("keep_text_days" in note for note in report["notes"])
    titles = [e["title"] for tier in report["examples"].values() for e in tier]
    assert "สายฟ้าเน็ต เน็ตหลุดทุกคืน แจ้งคอลเซ็นเตอร์สามรอบแล้วยังไม่แก้" in titles
    example = next(e for tier in report["examples"].values() for e in tier)
    assert example["url"].startswith("https://pantip.com/topic/") and "complaint" in example["reason"]
    assert report["live"]["incidents"] == 2  # what the daemon recorded for the same window


def test_an_exclusion_produces_fewer_incidents_than_the_loose_rule(live: Path, watchlists: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    loose = _report(live, capsys)
    watchlists.write_text(EXCLUDING_BILLING, encoding="utf-8")

    tight = _report(live, capsys)

    assert tight["totals"]["all"]["incidents"] == 1 < loose["totals"]["all"]["incidents"]
    assert {row["day"] for row in tight["days"] if row["incidents"]} == {_day(OUTAGE_AT)}
    assert tight["posts"]["matched_now"] < tight["posts"]["matched_live"]
    code, out, _ = _backtest(live, capsys, "--watchlist", "saifah-net", "--since", "30d")
    assert code == 0
    assert "now: 1 incidents" in out and "was: 2 incidents" in out


def test_the_live_database_is_left_as_it_was(live: Path, watchlists: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    database = live / "live.db"

    def state() -> tuple:
        # the database and its write-ahead log; not the -shm file, the WAL index every reader maps and
        # stamps (SQLite's own bookkeeping, no data)
        files = [f for f in (database, live / "live.db-wal") if f.exists()]
        connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        try:
            rows = {table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                    for table in ("posts", "verdicts", "matches", "incidents", "outbox")}
        finally:
            connection.close()
        return ([(f.name, hashlib.sha256(f.read_bytes()).hexdigest(), f.stat().st_mtime_ns) for f in files], rows)

    before = state()
    watchlists.write_text(EXCLUDING_BILLING, encoding="utf-8")
    _report(live, capsys)

    assert state() == before
    assert before[1]["incidents"] == 3 and before[1]["posts"] == 7  # the live history is still all there


def test_the_table_shows_days_tiers_totals_and_examples(live: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _backtest(live, capsys, "--watchlist", "saifah-net", "--since", "30d")

    assert code == 0
    lines = out.splitlines()
    assert any(line.split()[:1] == ["day"] and "incidents" in line and "messages" in line for line in lines)
    assert any(line.startswith(_day(OUTAGE_AT)) for line in lines)
    assert any(line.startswith("total") and line.split()[1] == "all" for line in lines)
    assert "examples:" in out and "https://pantip.com/topic/1001" in out


def test_an_unknown_watchlist_lists_the_known_ones(live: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _backtest(live, capsys, "--watchlist", "saifah", "--since", "30d")

    assert code == 2 and out == ""
    assert "unknown watchlist 'saifah'" in err and "saifah-net, other-brand" in err


def test_a_bad_since_and_an_empty_window_are_explained(live: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _backtest(live, capsys, "--watchlist", "saifah-net", "--since", "thirty days")
    assert code == 2 and "--since 'thirty days'" in err and "30d" in err

    code, _, err = _backtest(live, capsys, "--watchlist", "saifah-net", "--since", "1h")
    assert code == 1 and "no stored posts since" in err

    code, _, err = _backtest(live, capsys, "--watchlist", "saifah-net", "--since", "30d", "--step", "0m")
    assert code == 2 and "--step '0m'" in err


def test_a_bad_edit_is_refused_with_the_file_and_line(live: Path, watchlists: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    watchlists.write_text(LOOSE.replace("tiers: {watch: 0.5", "tiers: {wach: 0.5"), encoding="utf-8")

    code, out, err = _backtest(live, capsys, "--watchlist", "saifah-net", "--since", "30d")

    assert code == 2 and out == ""
    assert "brands.yaml:6" in err and "tiers.wach" in err


def test_only_posts_with_no_stored_score_are_judged_by_the_model(live: Path, watchlists: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    watchlists.write_text(LOOSE.replace('terms: {en: ["OtherBrand"]}', 'terms: {en: ["OtherBrand", "ThaiNet"]}'),
                          encoding="utf-8")

    code, out, err = _backtest(live, capsys, "--watchlist", "other-brand", "--since", "30d", "--json")

    assert code == 0, err
    report = json.loads(out)
    assert report["posts"]["rescored"] == 1 and report["posts"]["matched_now"] == 1
    assert report["posts"]["matched_live"] == 0 and "loading the model" in err
    assert report["totals"]["all"]["incidents"] == 1 and report["live"]["incidents"] == 0
