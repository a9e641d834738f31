"""Reading a response body within a size cap, on the wire and after decompression, as it streams in.

`read_body(chunks, content_encoding, cap=...)` takes the raw (still compressed) chunks and undoes every
layer named in `Content-Encoding` (`gzip`, `x-gzip`, `deflate`, `identity`; `gzip, gzip` is two layers).
Each layer hands on at most `PIECE` bytes at a time and may produce at most `cap` bytes in all, so a
980-byte "gzip, gzip" bomb that expands to a gigabyte costs `cap` bytes of memory, not a gigabyte:
decompression stops as soon as the cap is passed. Reads no config keys (`HttpClient` passes
`max_body_bytes`).
"""

from __future__ import annotations

import zlib
from typing import Iterable, Iterator

from scrapers.base import ScrapeError

PIECE = 64 * 1024  # bytes one decompression step may produce
ACCEPT_ENCODING = "gzip, deflate"  # what we ask for; only what we can undo within the cap


class BodyTooLarge(ScrapeError):
    """The body passed its cap, on the wire or once decompressed."""


class _Layer:
    """One content coding, undone a piece at a time."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        self.produced = 0
        self._head = b""  # deflate: the first two bytes tell a zlib stream from raw deflate
        self._inflater: "zlib._Decompress | None" = (
            zlib.decompressobj(zlib.MAX_WBITS | 16) if coding != "deflate" else None)

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._inflater is None:
            self._head += data
            if len(self._head) < 2:
                return
            data, self._head = self._head, b""
            # RFC 9110 says zlib-wrapped, but servers also send raw deflate; a zlib header is 8 in the low
            # nibble and a multiple of 31 over both bytes.
            wrapped = data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
            self._inflater = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
        while data:
            try:
                out = self._inflater.decompress(data, PIECE)
            except zlib.error as exc:
                raise ScrapeError(f"corrupt {self.coding} body: {exc}") from exc
            self.produced += len(out)
            yield out
            data = self._inflater.unconsumed_tail
            if self._inflater.eof and self._inflater.unused_data and self.coding != "deflate":
                data = self._inflater.unused_data  # another gzip member follows
                self._inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)


def _layers(content_encoding: str) -> list[_Layer]:
    codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
    unknown = [c for c in codings if c not in ("gzip", "x-gzip", "deflate", "identity")]
    if unknown:
        raise ScrapeError(f"unsupported Content-Encoding {content_encoding!r}")
    # The last coding listed was applied last, so it is undone first.
    return [_Layer(c) for c in reversed(codings) if c != "identity"]


def read_body(chunks: Iterable[bytes], content_encoding: str = "", *, cap: int, url: str = "",
              truncate: bool = False) -> bytes:
    """The decoded body, at most `cap` bytes; past the cap, `BodyTooLarge` (or, with `truncate`, the
    first `cap` bytes: error bodies and robots.txt are read that way)."""
    layers = _layers(content_encoding)
    kept: list[bytes] = []
    size = wire = 0
    try:
        for chunk in chunks:
            wire += len(chunk)
            if wire > cap and not truncate:
                raise BodyTooLarge(f"body exceeds the {cap}-byte cap on the wire")
            for piece in _undo(layers, chunk, cap):
                kept.append(piece)
                size += len(piece)
                if size > cap:
                    raise BodyTooLarge(f"body exceeds the {cap}-byte cap once decompressed")
            if wire > cap:  # truncating: what was read is all we keep
                break
    except BodyTooLarge as exc:
        if truncate:
            return b"".join(kept)[:cap]
        raise BodyTooLarge(str(exc), url=url) from None
    except ScrapeError as exc:
        raise ScrapeError(str(exc), url=url) from exc
    return b"".join(kept)


def _undo(layers: list[_Layer], data: bytes, cap: int) -> Iterator[bytes]:
    """Push `data` through every layer, a piece at a time; any layer past `cap` stops the body."""
    if not layers:
        yield data
        return
    first, rest = layers[0], layers[1:]
    for piece in first.feed(data):
        if first.produced > cap:
            raise BodyTooLarge(f"body exceeds the {cap}-byte cap once decompressed ({first.coding})")
        yield from _undo(rest, piece, cap)
