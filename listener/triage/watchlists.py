"""Watchlists at run time: load them from YAML, reload them on change, and match post text against them.

Reads `watchlists:` from config.yaml: either a path (one YAML file, or a folder of `*.yaml`/`*.yml` files
read in name order) relative to the config's folder, or the list of watchlists inline. The keys of one
watchlist are described in `listener.config.watchlists`; how terms match is in `listener.triage.matching`.

A watchlist matches a post when at least one of its `terms` occurs (if it has terms), its `query` holds (if
it has one), none of its `exclude` terms occurs, and the post's source is among its `sources` (if set).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from listener.config.alerting import AlertingConfig
from listener.config.watchlists import (PlacedWatchlist, Watchlist, check_unique, validate_watchlists,
                                        with_alerting_defaults)
from listener.config.yamlio import KeyPath, LocatedYaml, load_yaml
from listener.errors import ConfigError
from listener.triage.matching import Pattern, Span, TermIndex, compile_term
from listener.triage.query import Node, all_terms, evaluate, parse_query, positive_terms

log = logging.getLogger(__name__)

WatchlistSpec = str | Path | list[Any]


@dataclass(frozen=True)
class WatchMatch:
    """A watchlist that matched a post, the terms that made it match, and its own cue phrases found."""

    watchlist: Watchlist
    terms: tuple[str, ...]
    cues: tuple[str, ...] = ()


@dataclass
class _Compiled:
    watchlist: Watchlist
    terms: list[tuple[str, int]]  # (term as written, pattern id)
    exclude: list[int]
    cues: list[tuple[str, int]]
    query: Node | None
    query_ids: dict[str, int]


class WatchlistSet:
    """An immutable set of watchlists with one shared term index, so each post is segmented once."""

    def __init__(self, watchlists: Sequence[Watchlist]) -> None:
        self.watchlists = tuple(watchlists)
        self._pattern_ids: dict[Pattern, int] = {}
        self._compiled = [self._compile(w) for w in self.watchlists]
        self._index = TermIndex(list(self._pattern_ids))
        # Which watchlists a pattern can switch on: only those are examined when it occurs.
        self._triggers: dict[int, list[int]] = {}
        for number, compiled in enumerate(self._compiled):
            wanted = [pid for _, pid in compiled.terms]
            if compiled.query is not None:
                wanted += [compiled.query_ids[t] for t in positive_terms(compiled.query)]
            for pid in dict.fromkeys(wanted):
                self._triggers.setdefault(pid, []).append(number)

    def __len__(self) -> int:
        return len(self.watchlists)

    def __iter__(self) -> Iterator[Watchlist]:
        return iter(self.watchlists)

    def get(self, name: str) -> Watchlist | None:
        return next((w for w in self.watchlists if w.name == name), None)

    def segment(self, text: str) -> list[str]:
        """The tokens matching runs on (normalised, Thai segmented with the watched names); for diagnostics."""
        return self._index.prepare(text)

    def match(self, text: str, source: str | None = None) -> list[WatchMatch]:
        """The watchlists this text matches, in file order. `source=None` skips the `sources` filter."""
        hits = self._index.scan(self._index.prepare(text))
        candidates = sorted({n for pid in hits for n in self._triggers.get(pid, ())})
        matches = []
        for number in candidates:
            compiled = self._compiled[number]
            found = _evaluate(compiled, hits, source)
            if found is not None:
                cues = tuple(cue for cue, pid in compiled.cues if pid in hits)
                matches.append(WatchMatch(compiled.watchlist, found, cues))
        return matches

    def _pattern(self, term: str) -> int:
        pattern = compile_term(term)
        assert pattern is not None, "validation refuses terms without letters"
        return self._pattern_ids.setdefault(pattern, len(self._pattern_ids))

    def _compile(self, watchlist: Watchlist) -> _Compiled:
        query = parse_query(watchlist.query) if watchlist.query is not None else None
        return _Compiled(
            watchlist=watchlist,
            terms=[(t, self._pattern(t)) for t in watchlist.terms.all()],
            exclude=[self._pattern(t) for t in watchlist.exclude.all()],
            cues=[(t, self._pattern(t)) for t in watchlist.cues.all()],
            query=query,
            query_ids={t: self._pattern(t) for t in all_terms(query)} if query is not None else {},
        )


def _evaluate(compiled: _Compiled, hits: dict[int, list[Span]], source: str | None) -> tuple[str, ...] | None:
    """The terms that make this watchlist match, or None when it does not."""
    watchlist = compiled.watchlist
    if not watchlist.enabled:
        return None
    if source is not None and watchlist.sources is not None and source not in watchlist.sources:
        return None
    if any(pid in hits for pid in compiled.exclude):
        return None
    found = [term for term, pid in compiled.terms if pid in hits]
    if compiled.terms and not found:
        return None
    if compiled.query is not None:
        if not evaluate(compiled.query, lambda t: hits.get(compiled.query_ids[t], [])):
            return None
        found += [t for t in positive_terms(compiled.query) if compiled.query_ids[t] in hits]
    return tuple(dict.fromkeys(found))


def watchlist_files(spec: str | Path, base_dir: str | Path = ".") -> list[Path]:
    """The files a path spec names: the file itself, or the folder's YAML files in name order."""
    path = Path(base_dir) / spec
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    return [path]


def load_watchlists(spec: WatchlistSpec, base_dir: str | Path = ".", located: LocatedYaml | None = None,
                    prefix: KeyPath = ("watchlists",), alerting: AlertingConfig | None = None) -> WatchlistSet:
    """Load and validate watchlists from a file, a folder, or an inline list.

    For an inline list, pass the main config as `located` and the key path of the list as `prefix`, so
    errors name config.yaml and the right line. `alerting` supplies the default route and tiers of
    watchlists that set none. Raises ConfigError on the first problem.
    """
    entries: list[PlacedWatchlist] = []
    if isinstance(spec, list):
        entries = validate_watchlists(located or LocatedYaml(data=None, file="<inline>"), spec, prefix)
    else:
        path = Path(base_dir) / spec
        if not path.exists():
            raise ConfigError("watchlist file or folder not found", file=str(path))
        for file in watchlist_files(spec, base_dir):
            entries += validate_watchlists(load_yaml(file))
    check_unique(entries)
    return WatchlistSet([with_alerting_defaults(entry.watchlist, alerting) for entry in entries])


class WatchlistReloader:
    """Keeps the live WatchlistSet and swaps it when the files change and the new version is valid.

    A bad edit is logged once and refused; the last good set stays live and `last_error` holds the
    problem (the daemon posts it to the ops channel). `digest` names the version of the files last read,
    good or bad. An inline spec never changes at run time.
    """

    def __init__(self, spec: WatchlistSpec, base_dir: str | Path = ".", located: LocatedYaml | None = None,
                 prefix: KeyPath = ("watchlists",), alerting: AlertingConfig | None = None) -> None:
        self._spec, self._base_dir, self._located, self._prefix = spec, base_dir, located, prefix
        self._alerting = alerting
        self.current = self._load()  # a bad file at start-up stops start-up
        self.last_error: ConfigError | None = None
        self._stamp = self._stat()
        self._digest = self._hash()

    @property
    def digest(self) -> str:
        return self._digest

    def reload_if_changed(self) -> bool:
        """Reload if any file changed; True when a new set went live."""
        if isinstance(self._spec, list):
            return False
        stamp = self._stat()
        if stamp == self._stamp:
            return False
        self._stamp = stamp
        digest = self._hash()
        if digest == self._digest:
            return False  # touched or rewritten with the same content
        self._digest = digest  # remembered even when bad, so a bad edit is reported once, not every poll
        try:
            self.current = self._load()
        except ConfigError as exc:
            self.last_error = exc
            log.error("watchlists not reloaded, the last good version stays live: %s", exc)
            return False
        self.last_error = None
        log.info("watchlists reloaded: %d watchlists", len(self.current))
        return True

    def _load(self) -> WatchlistSet:
        return load_watchlists(self._spec, self._base_dir, self._located, self._prefix, self._alerting)

    def _files(self) -> list[Path]:
        return [] if isinstance(self._spec, list) else watchlist_files(self._spec, self._base_dir)

    def _stat(self) -> tuple[tuple[str, int, int], ...]:
        stamps = []
        for file in self._files():
            try:
                st = file.stat()
                stamps.append((str(file), st.st_mtime_ns, st.st_size))
            except OSError:
                stamps.append((str(file), -1, -1))
        return tuple(stamps)

    def _hash(self) -> str:
        digest = hashlib.sha256()
        for file in self._files():
            digest.update(str(file).encode() + b"\0")
            try:
                digest.update(file.read_bytes())
            except OSError:
                digest.update(b"\0missing")
        return digest.hexdigest()
