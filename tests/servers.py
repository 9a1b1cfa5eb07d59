"""An HTTP server on loopback for tests: it answers from a table of routes and records requests.

Used where the code under test fetches over HTTP (listing images, the SSRF
checks, the evidence report that must fetch nothing): the test sets the
routes, the code fetches, the test reads ``requests``.
"""

import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.files import png_bytes


@dataclass(frozen=True)
class Route:
    """One answer: status, headers and body; without Content-Length, or late, if asked."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_length: bool = True
    delay: float = 0.0


NOT_FOUND = Route(b"no such image", status=404)


def png_route() -> Route:
    return Route(png_bytes(), headers={"Content-Type": "image/png"})


@dataclass
class RecordingServer:
    """The server's address, its routes by path and the requests it received."""

    host: str = "127.0.0.1"
    port: int = 0
    scheme: str = "http"
    routes: dict[str, Route] = field(default_factory=dict)
    # The answer for a path without a route.
    default: Route = NOT_FOUND
    # (path, Host header) of every request received, in order.
    requests: list[tuple[str, str]] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"{self.scheme}://{self.host}:{self.port}{path}"

    def serve(self, path: str, body: bytes = b"", **route) -> str:
        """Answer ``path`` with ``body`` (an image/png unless headers say otherwise); its URL."""
        route.setdefault("headers", {"Content-Type": "image/png"})
        self.routes[path] = Route(body, **route)
        return self.url(path)

    def serve_png(self, path: str) -> str:
        return self.serve(path, png_bytes())

    def redirect(self, path: str, location: str, status: int = 302) -> str:
        return self.serve(path, status=status, headers={"Location": location})


@contextmanager
def recording_server(
    *, default: Route = NOT_FOUND, tls: ssl.SSLContext | None = None
) -> Iterator[RecordingServer]:
    """Run a RecordingServer on 127.0.0.1 at an ephemeral port (HTTPS with ``tls``) while inside."""
    state = RecordingServer(default=default, scheme="https" if tls else "http")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            state.requests.append((self.path, self.headers.get("Host", "")))
            route = state.routes.get(self.path) or state.default
            time.sleep(route.delay)
            self.send_response(route.status)
            for name, value in route.headers.items():
                self.send_header(name, value)
            if route.content_length:
                self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            try:
                self.wfile.write(route.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client stopped reading: that is what some tests check

        def log_message(self, format, *args) -> None:  # noqa: A002
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    if tls is not None:
        httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
    state.port = httpd.server_address[1]
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
