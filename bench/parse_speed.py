"""Posts per second of every scraper parser on the captured pages in tests/fixtures, on one CPU core.

Usage (from the repository root): python -m bench.parse_speed [--seconds 1.0] [--kind pantip ...]
Each parser runs on the raw bytes of its captured files (decoding and JSON/HTML parsing included, as after
an HTTP fetch) for about `--seconds`; the figure is posts produced per second of wall time. The process pins
itself to one core so the figure does not depend on how many cores the machine has. Files named
`*_synthetic.*` are used only where a kind has no capture at all (rss), and are marked so.
Prints one line per parser and, first, the command that reproduces the run.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from scrapers import bluesky, facebook, mastodon, reddit, weibo, x, youtube
from scrapers.pantip_html import parse_topic_html
from scrapers.pantip_parse import parse_comments, parse_legacy_topic_list, parse_topic_list
from scrapers.rss import parse_feed

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
S = "bench"  # source name stamped on the posts; irrelevant to speed


@dataclass(frozen=True)
class Case:
    kind: str
    parser: str
    files: tuple[str, ...]
    run: Callable[[bytes], int]  # parse one body, return the number of posts it gave


CASES = [
    Case("pantip", "parse_comments", ("render_comments_tid37553384_2018.json",),
         lambda b: len(parse_comments(b, "37553384", S).posts)),
    Case("pantip", "parse_topic_list", ("forum_service_get_suggest_topic_popular_item_2024.json",),
         lambda b: len(parse_topic_list(b, S).posts)),
    Case("pantip", "parse_legacy_topic_list", ("ajax_json_all_topic_info_loadmore_food_2018.json",),
         lambda b: len(parse_legacy_topic_list(b, S).posts)),
    Case("pantip", "parse_topic_html", ("topic_30000000_rendered_2019.html",),
         lambda b: (parse_topic_html(b, "30000000"), 1)[1]),
    Case("rss", "parse_feed (synthetic files)", ("brand_blog_atom_synthetic.xml", "google_news_search_th_synthetic.xml"),
         lambda b: len(parse_feed(b, S))),
    Case("facebook", "parse_feed", ("page_feed_fields_reactions_p1_2021.json", "page_feed_fields_reactions_p2_2021.json",
                                    "page_posts_minimal_fields_p1_2021.json"),
         lambda b: len(facebook.parse_feed(b, source=S).posts)),
    Case("facebook", "parse_comments", ("post_comments_p1_2021.json", "post_comments_p2_2021.json"),
         lambda b: len(facebook.parse_comments(b, source=S, post_id="1_2").posts)),
    Case("youtube", "parse_comment_threads", ("comment_threads_snippet_replies_2023.json",),
         lambda b: len(youtube.parse_comment_threads(b, source=S).posts)),
    Case("x", "parse_search", ("search_recent_expanded_page1_2020.json", "search_recent_expanded_page2_2020.json",
                               "search_recent_minimal_tweepy_2022.json"),
         lambda b: len(x.parse_search(b, source=S).posts)),
    Case("reddit", "parse_listing", ("listing_r_popular_hot_2026.json", "search_r_all_2016.json",
                                     "listing_subreddit_comments_2023.json"),
         lambda b: len(reddit.parse_listing(b, source=S).posts)),
    Case("reddit", "parse_thread", ("comments_thread_jlbw48_2022.json",),
         lambda b: len(reddit.parse_thread(b, source=S).posts)),
    Case("mastodon", "parse_statuses", ("timeline_tag_localhost_2026.json",),
         lambda b: len(mastodon.parse_statuses(b, source=S).posts)),
    Case("mastodon", "parse_search", ("search_v2_mastodon_social_2026.json",),
         lambda b: len(mastodon.parse_search(b, source=S).posts)),
    Case("mastodon", "parse_context", ("status_context_mastodon_social_2026.json",),
         lambda b: len(mastodon.parse_context(b, source=S, thread_id="1").posts)),
    Case("bluesky", "parse_search", ("search_posts_redistricting_2025.json",),
         lambda b: len(bluesky.parse_search(b, source=S).posts)),
    Case("bluesky", "parse_thread", ("get_post_thread_2025.json",),
         lambda b: len(bluesky.parse_thread(b, source=S).posts)),
    Case("weibo", "parse_container", ("getindex_containerid_102803_hot_2022.json",),
         lambda b: len(weibo.parse_container(b, source=S).posts)),
    Case("weibo", "parse_hotflow", ("comments_hotflow_2022.json", "comments_hotflow_with_replies_2022.json"),
         lambda b: len(weibo.parse_hotflow(b, source=S, mid="1").posts)),
]


def pin_to_one_core() -> str:
    """Run on a single core, so the figure is per core whatever the machine; returns which one."""
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity on this platform)"
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return f"core {core}"


def measure(case: Case, seconds: float) -> tuple[float, int, int]:
    """(posts per second, posts per pass over the files, bytes per pass), over at least `seconds`."""
    bodies = [(FIXTURES / case.kind / name).read_bytes() for name in case.files]
    per_pass = sum(case.run(body) for body in bodies)  # warm-up pass, and the count to multiply
    passes, start = 0, time.perf_counter()
    while True:
        for body in bodies:
            case.run(body)
        passes += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return per_pass * passes / elapsed, per_pass, sum(len(b) for b in bodies)


def main(argv: list[str] | None = None) -> None:
    args = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    args.add_argument("--seconds", type=float, default=1.0, help="time per parser")
    args.add_argument("--kind", action="append", help="only these kinds (repeatable)")
    opts = args.parse_args(argv)
    where = pin_to_one_core()
    print("command: python -m bench.parse_speed " + " ".join(sys.argv[1:] if argv is None else argv))
    print(f"python {sys.version.split()[0]}, {where}, {opts.seconds:g} s per parser")
    print(f"{'kind':<9} {'parser':<30} {'posts/pass':>10} {'KiB/pass':>9} {'posts/s':>10}")
    for case in CASES:
        if opts.kind and case.kind not in opts.kind:
            continue
        rate, per_pass, size = measure(case, opts.seconds)
        shown = f"{rate:,.0f}" if rate >= 100 else f"{rate:.2f}"  # the big HTML page parses at under 1/s
        print(f"{case.kind:<9} {case.parser:<30} {per_pass:>10} {size / 1024:>9.0f} {shown:>10}")


if __name__ == "__main__":
    main()
