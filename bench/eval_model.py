"""Print the full dev table of the shipped embedded model: `python bench/eval_model.py [--model FILE]`.

A thin wrapper over `sentiment.evaluate.main`, which reads every `<dataset>/dev.jsonl` under --data-dir.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sentiment.evaluate import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
