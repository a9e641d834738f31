"""Time `fangsiang`'s YAML reader on hostile files: each must be refused with file:line, fast.

    python bench/yaml_limits.py [--repeat 5]

Prints, per file, the best of --repeat runs in milliseconds and the error a user sees, after the command.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from listener.config.yamlio import MAX_BYTES, parse_yaml  # noqa: E402
from listener.errors import ConfigError  # noqa: E402
from tests.listener.test_yaml_limits import HOSTILE  # noqa: E402

EXTRA = {
    "20,000-deep [a,[a,…": "x: " + "[a," * 20000 + "]" * 20000 + "\n",
    "largest allowed file (valid)": "x:\n" + "- item\n" * ((MAX_BYTES - 10) // 7),
    "billion laughs, 12 levels": "a0: &a0 lol\n" + "".join(
        f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 12) + "]\n" for i in range(1, 13)),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"$ python bench/yaml_limits.py --repeat {args.repeat}")
    cases = {name: text for name, (text, _, _) in HOSTILE.items()} | EXTRA
    for name, text in cases.items():
        best, outcome = float("inf"), "accepted"
        for _ in range(args.repeat):
            start = time.perf_counter()
            try:
                parse_yaml(text, "watchlist.yaml")
                outcome = "accepted"
            except ConfigError as exc:
                outcome = str(exc)
            best = min(best, time.perf_counter() - start)
        print(f"{name:28} {len(text):>9,} chars {best * 1000:9.1f} ms  {outcome[:80]}")


if __name__ == "__main__":
    main()
