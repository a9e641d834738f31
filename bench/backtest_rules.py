"""How long `fangsiang backtest --since 30d` takes on a busy month: a generated store of topics and comments
with stored verdicts (so the model is never loaded), replayed at a few `--step`s.

    python bench/backtest_rules.py [--topics 400] [--comments 4] [--steps 5m,30m]

Prints the posts, the wall and CPU seconds of each replay, and the incidents and messages it counted.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import random
import resource
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

CONFIG = """
storage: {url: "sqlite:///live.db"}
metrics: {enabled: false}
alerting: {default_channel: "#social", cooldown_minutes: 0}
sources:
  - {name: pantip-mbk, kind: pantip, options: {rooms: [mbk]}}
watchlists:
  - name: saifah-net
    terms: {th: ["สายฟ้าเน็ต"]}
    tiers: {watch: 0.5, high: 0.7, critical: 0.9}
"""
TEXTS = ["เน็ตหลุดทุกคืน แย่มาก", "ใช้ดีค่ะ", "ใครใช้อยู่บ้าง", "จะร้องเรียน สคบ."]


def fill(folder: Path, topics: int, comments: int) -> int:
    """Half the topics name the brand; every post has a stored verdict, as after the daemon scored it."""
    from listener.store import Store
    from listener.store.models import PostRow, VerdictRow

    rng = random.Random(7)
    store = Store(f"sqlite:///{folder / 'live.db'}")
    store.create_all()
    now = datetime.now(timezone.utc)
    post_id = 0
    with store.session() as session:
        for topic in range(topics):
            at = now - timedelta(days=30) + timedelta(minutes=rng.uniform(0, 30 * 24 * 60 - 600))
            brand = rng.random() < 0.5
            for n in range(comments + 1):
                post_id += 1
                posted = at + timedelta(minutes=20 * n)
                text = ("สายฟ้าเน็ต " if brand and n == 0 else "") + rng.choice(TEXTS)
                session.add(PostRow(id=post_id, source="pantip-mbk", kind="pantip", external_id=f"{topic}-{n}",
                                    thread_id=str(topic), is_thread_start=n == 0, url=f"https://pantip.com/topic/{topic}",
                                    title="หัวข้อ" if n == 0 else "", text=text, author="a", posted_at=posted,
                                    first_seen_at=posted, scored_at=now, evaluated_at=now))
                complaint = rng.random()
                session.add(VerdictRow(post_id=post_id, lang="th", label="negative" if complaint > 0.5 else "neutral",
                                       probs={"negative": complaint, "neutral": 1 - complaint}, complaint=complaint,
                                       cues=[], model="bench", scored_at=now))
    store.dispose()
    return post_id


def replay(folder: Path, step: str) -> tuple[float, float, dict]:
    from listener.cli import main

    out = io.StringIO()
    cpu, wall = time.process_time(), time.perf_counter()
    with contextlib.redirect_stdout(out):
        code = main(["--config", str(folder / "config.yaml"), "backtest", "--watchlist", "saifah-net",
                     "--since", "30d", "--step", step, "--json"])
    if code != 0:
        sys.exit(f"backtest exited {code}")
    return time.perf_counter() - wall, time.process_time() - cpu, json.loads(out.getvalue())["totals"]["all"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--topics", type=int, default=400)
    parser.add_argument("--comments", type=int, default=4)
    parser.add_argument("--steps", default="5m,30m")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        (folder / "config.yaml").write_text(CONFIG, encoding="utf-8")
        posts = fill(folder, args.topics, args.comments)
        print(f"python bench/backtest_rules.py --topics {args.topics} --comments {args.comments} "
              f"--steps {args.steps}")
        print(f"{posts} posts over 30 days, {args.topics} threads")
        for step in args.steps.split(","):
            wall, cpu, totals = replay(folder, step)
            print(f"--step {step}: {wall:.1f} s wall, {cpu:.1f} s CPU; {totals['incidents']} incidents, "
                  f"{totals['messages']} messages")
    print(f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
