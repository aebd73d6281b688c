"""The built site served as GitHub Pages serves it: text compressed with gzip.

``tests/browser/test_mobile_performance.py`` measures what a phone downloads, so the site must be
served compressed as it is once published: GitHub Pages sends HTML, CSS, JavaScript, JSON, SVG
and XML with ``Content-Encoding: gzip`` to a browser that accepts it; images and fonts, already
compressed, as they are. ``overlay`` serves extra or replaced files from memory (the planted
pages of the performance tests), without touching the build.
"""

from __future__ import annotations

import functools
import gzip
import http.server
import mimetypes
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlsplit

#: Content types compressed, as GitHub Pages does (images and fonts are compressed already).
COMPRESSED_TYPES = ("text/", "application/javascript", "application/json", "application/xml", "image/svg+xml")
LEVEL = 6


def compressible(content_type: str) -> bool:
    return content_type.startswith(COMPRESSED_TYPES)


class GzipHandler(http.server.SimpleHTTPRequestHandler):
    """``SimpleHTTPRequestHandler`` that gzips text to clients that accept it, with an overlay."""

    overlay: dict[str, bytes] = {}
    _cache: dict[tuple[str, float], bytes] = {}

    def log_message(self, format, *args):  # the base class's signature
        pass

    def do_GET(self):
        path = unquote(urlsplit(self.path).path)
        if path.endswith("/"):
            path += "index.html"
        if path in self.overlay:
            data = self.overlay[path]
        else:
            file = Path(self.translate_path(path))
            if not file.is_file():
                return super().do_GET()  # a folder's redirect, a 404: as http.server does
            data = file.read_bytes()
        content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type.endswith("javascript"):
            content_type += "; charset=utf-8"
        if "gzip" in self.headers.get("Accept-Encoding", "") and compressible(content_type):
            key = (path, hash(data))
            if key not in self._cache:
                self._cache[key] = gzip.compress(data, compresslevel=LEVEL, mtime=0)
            return self._send(self._cache[key], content_type, compressed=True)
        return self._send(data, content_type, compressed=False)

    def _send(self, data: bytes, content_type: str, compressed: bool) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        if compressed:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Vary", "Accept-Encoding")
        self.send_header("Cache-Control", "max-age=600")
        self.end_headers()
        self.wfile.write(data)


@contextmanager
def serve(site: Path, host: str = "127.0.0.1", overlay: dict[str, bytes] | None = None) -> Iterator[str]:
    """Serve ``site`` gzip-compressed on a free port of ``host``; yields the base URL."""
    handler_class = type("SiteHandler", (GzipHandler,), {"overlay": dict(overlay or {}), "_cache": {}})
    handler = functools.partial(handler_class, directory=str(site))
    httpd = http.server.ThreadingHTTPServer((host, 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
