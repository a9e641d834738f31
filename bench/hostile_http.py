"""What hostile servers cost the HTTP client: memory for decompression bombs, seconds for dripping servers.

Usage (from the repository root): python -m bench.hostile_http [--bomb-mb 1024] [--case bomb robots drip stop]

Each case runs in a fresh child process against a server on 127.0.0.1 and prints one line: the child's
resident memory before the request and its peak after (ru_maxrss), the wall time, and how the request ended.
- bomb: a `Content-Encoding: gzip, gzip` answer of about a kilobyte that expands to `--bomb-mb` MiB;
- robots: a gzipped robots.txt that expands to `--bomb-mb` MiB (its rules first, then comment lines);
- drip: an answer sent one byte every 3 s, with `deadline_s` 5;
- stop: the same drip with no deadline in sight, the stop flag (SIGTERM in the daemon) raised after 1 s.
Run it on an older checkout to see the figures before the caps, deadlines and stop flag existed.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

MB = 1024 * 1024


def gzipped(pieces: list[bytes], repeat: bytes = b"", times: int = 0) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    out = [packer.compress(p) for p in pieces] + [packer.compress(repeat) for _ in range(times)]
    return b"".join(out) + packer.flush()


def answers(bomb_mb: int) -> dict[str, tuple[dict[str, str], bytes, float]]:
    """path -> (headers, body, seconds between bytes)."""
    bomb = gzipped([gzipped([], bytes(MB), bomb_mb)])
    robots = gzipped([b"User-agent: *\nDisallow: /private\n"], b"#" * 1023 + b"\n", bomb_mb * 1024)
    return {
        "/bomb": ({"Content-Encoding": "gzip, gzip", "Content-Type": "application/json"}, bomb, 0.0),
        "/robots.txt": ({"Content-Encoding": "gzip", "Content-Type": "text/plain"}, robots, 0.0),
        "/drip": ({"Content-Type": "application/json"}, b"{}" + b" " * 18, 3.0),
        "/page": ({"Content-Type": "text/plain"}, b"ok", 0.0),
    }


def serve(bomb_mb: int) -> tuple[ThreadingHTTPServer, dict[str, int]]:
    table = answers(bomb_mb)
    sizes = {path: len(body) for path, (_, body, _) in table.items()}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            headers, body, drip = table.get(self.path, ({}, b"", 0.0))
            try:
                self.send_response(200 if self.path in table else 404)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                for at in range(0, len(body), 1 if drip else len(body) or 1):
                    self.wfile.write(body[at:at + (1 if drip else len(body))])
                    self.wfile.flush()
                    time.sleep(drip)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, sizes


def child(case: str, base: str) -> None:
    """One request in this (fresh) process; prints rss_before_kb, rss_peak_kb, seconds, outcome."""
    from scrapers.http import HttpClient, HttpPolicy

    stop = threading.Event()
    kwargs = {"stopping": stop.is_set} if "stopping" in HttpClient.__init__.__code__.co_varnames else {}
    policy = {"rate_per_host": 0, "retries": 0, "timeout_s": 20}
    if case == "drip" and "deadline_s" in HttpPolicy.__dataclass_fields__:
        policy["deadline_s"] = 5
    client = HttpClient(HttpPolicy(**policy), **kwargs)
    url = {"bomb": "/bomb", "robots": "/page", "drip": "/drip", "stop": "/drip"}[case]
    if case != "robots":
        client.policy.respect_robots = False
    if case == "stop":
        threading.Timer(1.0, stop.set).start()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    try:
        client.get(base + url)
        outcome = "answered"
    except BaseException as exc:  # the outcome is the figure
        outcome = f"{type(exc).__name__}: {str(exc)[:110]}"
    seconds = time.monotonic() - started
    print(before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, f"{seconds:.1f}", outcome, flush=True)
    sys.stdout.flush()
    import os

    os._exit(0)  # a dripping answer may still hold a thread; the figures are printed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bomb-mb", type=int, default=1024)
    parser.add_argument("--case", nargs="*", default=["bomb", "robots", "drip", "stop"])
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    print(f"# python -m bench.hostile_http --bomb-mb {args.bomb_mb} --case {' '.join(args.case)}"
          f"  (code in {Path(__file__).resolve().parent.parent})")
    server, sizes = serve(args.bomb_mb)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    print(f"# bomb body {sizes['/bomb']} bytes on the wire, gzipped robots.txt {sizes['/robots.txt']} bytes; "
          f"both expand to {args.bomb_mb} MiB")
    print(f"{'case':8} {'rss before':>11} {'rss peak':>10} {'added':>9} {'seconds':>8}  outcome")
    for case in args.case:
        done = subprocess.run([sys.executable, "-m", "bench.hostile_http", "--child", case, base],
                              capture_output=True, text=True, timeout=900)
        line = (done.stdout.strip().splitlines() or ["0 0 0 no output: " + done.stderr[-200:]])[-1]
        before, peak, seconds, outcome = line.split(" ", 3)
        print(f"{case:8} {int(before) / 1024:9.0f} MB {int(peak) / 1024:8.0f} MB "
              f"{(int(peak) - int(before)) / 1024:+7.0f} MB {seconds:>8}  {outcome}")
    server.shutdown()


if __name__ == "__main__":
    main()
