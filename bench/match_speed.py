"""How many posts per second watchlist matching handles: 1,000 Thai, English and Chinese posts against 50
watchlists (terms in three languages, exclusions, and a NEAR query in every fifth one).

Usage (from the repository root): python -m bench.match_speed DATA_DIR [--posts 1000] [--watchlists 50] [--rounds 3]
DATA_DIR holds one folder per data set, each with a dev.jsonl of {"text": ...} lines; folder names starting
with th-, en- and zh- give the language. Prints the load time, segmentation-only and full-match posts/s.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from pathlib import Path

from listener.config.yamlio import LocatedYaml
from listener.triage.watchlists import WatchlistSet, load_watchlists

# Topic words of the kind care teams watch: brands, products and service words in each language.
THAI = ["ทรู", "ดีแทค", "เอไอเอส", "เน็ต", "สัญญาณ", "โปร", "ค่าโทร", "แพ็กเกจ", "ซิม", "ร้าน", "อาหาร", "ส่ง",
        "ไลน์แมน", "แกร็บ", "ฟู้ดแพนด้า", "ธนาคาร", "แอป", "บัตร", "โอนเงิน", "พนักงาน", "บริการ", "คอลเซ็นเตอร์",
        "ราคา", "ของแถม", "เครื่อง", "มือถือ", "ไวไฟ", "ไฟเบอร์", "ค่าบริการ", "เติมเงิน"]
ENGLISH = ["flight", "delay", "united", "jetblue", "bag", "refund", "customer service", "cancelled flight",
           "seat", "crew", "gate", "airline", "credit card", "bank", "loan", "account", "fee", "app", "phone",
           "internet", "support", "delivery", "order", "late", "rude", "wifi", "baggage", "ticket"]
CHINESE = ["外卖", "送餐", "快递", "酒店", "手机", "客服", "退款", "服务", "味道", "商家", "配送", "电池", "屏幕",
           "房间", "早餐", "价格", "质量", "包装", "物流", "骑手", "差评", "速度", "前台", "网络"]
QUERY = '("{a}" OR "{b}") NEAR/3 ("{c}" OR "{d}") AND NOT "{e}"'


def build_watchlists(count: int, rng: random.Random) -> WatchlistSet:
    entries = []
    for n in range(count):
        entry: dict[str, object] = {
            "name": f"topic-{n}",
            "terms": {"th": rng.sample(THAI, 4), "en": rng.sample(ENGLISH, 3), "zh": rng.sample(CHINESE, 3)},
            "exclude": [rng.choice(THAI), rng.choice(ENGLISH), rng.choice(CHINESE)],
            "route": {"channel": f"#care-{n}"},
        }
        if n % 5 == 0:
            th, en = rng.sample(THAI, 3), rng.sample(ENGLISH, 2)
            entry["query"] = QUERY.format(a=th[0], b=en[0], c=th[1], d=en[1], e=th[2])
        entries.append(entry)
    return load_watchlists(entries, located=LocatedYaml(data=None, file="<bench>"))


def read_posts(data_dir: Path, count: int, rng: random.Random) -> list[str]:
    by_lang: dict[str, list[str]] = {"th": [], "en": [], "zh": []}
    for file in sorted(data_dir.glob("*/dev.jsonl")):
        lang = file.parent.name[:2]
        if lang in by_lang:
            with file.open(encoding="utf-8") as fh:
                by_lang[lang] += [json.loads(line)["text"] for line in fh if line.strip()]
    share = {"th": 0.4, "en": 0.3, "zh": 0.3}  # a Thai-first team's mix
    posts = [text for lang, texts in by_lang.items() for text in rng.sample(texts, int(count * share[lang]))]
    rng.shuffle(posts)
    return posts


def rate(fn: object, posts: list[str], rounds: int) -> float:
    """Median posts per second over `rounds` passes."""
    speeds = []
    for _ in range(rounds):
        start = time.perf_counter()
        for text in posts:
            fn(text)  # type: ignore[operator]
        speeds.append(len(posts) / (time.perf_counter() - start))
    return statistics.median(speeds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--watchlists", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(7)
    posts = read_posts(args.data_dir, args.posts, rng)
    start = time.perf_counter()
    watchlists = build_watchlists(args.watchlists, rng)
    watchlists.match("ทรู")  # the first Thai post builds the segmentation dictionary; count it as loading
    print(f"load {len(watchlists)} watchlists + Thai dictionary: {time.perf_counter() - start:.2f} s")
    matched = sum(1 for text in posts if watchlists.match(text))
    print(f"posts: {len(posts)}, matched at least one watchlist: {matched}")
    # Segmentation alone, to show where the time goes.
    print(f"segmentation only: {rate(watchlists.segment, posts, args.rounds):,.0f} posts/s")
    print(f"full match:        {rate(watchlists.match, posts, args.rounds):,.0f} posts/s")


if __name__ == "__main__":
    main()
