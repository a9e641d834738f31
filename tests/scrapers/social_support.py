"""Test helpers shared by the social-API scraper tests: a fast client, fixture paths, and the
hypothesis strategies used to check that parsers let nothing but ScrapeError escape."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

from hypothesis import strategies as st

from scrapers.base import ScrapeError
from scrapers.http import HttpClient, HttpPolicy
from tests.fixture_server import Answer

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
# The captures are years old; a backfill window this wide reads all of them on a first run.
ALL_TIME_HOURS = 24 * 365 * 40


def fast_client(sleeps: list[float]) -> HttpClient:
    """A real client with no per-host spacing; sleeps are recorded instead of slept."""
    policy = HttpPolicy(rate_per_host=0, respect_robots=False, backoff_base_s=0.01, backoff_max_s=0.01)
    return HttpClient(policy, sleep=sleeps.append)


def fixture(kind: str, name: str) -> Path:
    return FIXTURES / kind / name


def load(kind: str, name: str) -> Any:
    return json.loads(fixture(kind, name).read_text(encoding="utf-8"))


def json_answer(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> Answer:
    merged = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
    return Answer(status=status, body=json.dumps(value).encode("utf-8"), headers=merged)


def file_answer(kind: str, name: str, headers: dict[str, str] | None = None) -> Answer:
    return Answer.from_file(fixture(kind, name), headers=headers)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=30)


def truncations(raw: bytes) -> st.SearchStrategy[bytes]:
    """Prefixes of a captured body: what a dropped connection delivers."""
    return st.integers(min_value=0, max_value=len(raw)).map(lambda n: raw[:n])


def _paths(doc: Any, prefix: tuple = (), limit: int = 400) -> list[tuple]:
    found: list[tuple] = [prefix]
    children = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else ()
    for key, value in children:
        if len(found) >= limit:
            break
        found.extend(_paths(value, prefix + (key,), limit - len(found)))
    return found


def _replace(doc: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    copy = dict(doc) if isinstance(doc, dict) else list(doc)
    copy[path[0]] = _replace(copy[path[0]], path[1:], value)
    return copy


def mutations(doc: Any) -> st.SearchStrategy[Any]:
    """A captured document with one field (anywhere in it) replaced by a random JSON value."""
    return st.tuples(st.sampled_from(_paths(doc)), json_values).map(lambda pv: _replace(doc, pv[0], pv[1]))


def only_scrape_errors(parse: Callable[[Any], Any], body: Any) -> None:
    try:
        parse(body)
    except ScrapeError:
        pass
