"""Fetch listing images from URLs platforms send, without letting a URL reach inside.

A feed is untrusted input: an image URL may point at the metadata service
(169.254.169.254), at localhost, at the office network, or at a public name
whose DNS answer is any of those (or changes between two lookups). So:

- only http and https, no credentials in the URL;
- the host is resolved once, every address it resolves to must be public
  (or inside ``TAKEDOWN_IMAGE_FETCH_ALLOW_NETS``), IPv4-mapped and other
  embedded IPv4 forms of IPv6 addresses included;
- the connection goes to that checked address itself, with the original name
  in the Host header and, for HTTPS, as SNI and the name the certificate must
  carry: a second DNS answer can never switch the target;
- redirects are followed by hand, each hop checked again, up to
  ``TAKEDOWN_IMAGE_MAX_REDIRECTS``;
- the body is streamed with a byte cap and a deadline.

``FetchRefused`` is permanent (retrying gives the same answer);
``FetchTransient`` may succeed later (timeouts, resets, 5xx, 429).
"""

import ipaddress
import socket
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from urllib.parse import SplitResult, urljoin, urlsplit

import urllib3
from django.conf import settings
from urllib3.exceptions import (
    HTTPError,
    LocationParseError,
    NewConnectionError,
    ProtocolError,
    SSLError,
)
from urllib3.exceptions import TimeoutError as Urllib3TimeoutError

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
GENERIC_CONTENT_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream"})
# 100.64.0.0/10 (carrier-grade NAT) is neither private nor global in Python's tables.
SHARED_NET = ipaddress.IPv4Network("100.64.0.0/10")
# IPv6 prefixes that carry an IPv4 address in their low 32 bits: IPv4-compatible
# (::a.b.c.d, deprecated but still routed by some stacks) and NAT64 (RFC 6052).
EMBEDDED_IPV4_NETS = (
    ipaddress.IPv6Network("::/96"),
    ipaddress.IPv6Network("64:ff9b::/96"),
    ipaddress.IPv6Network("64:ff9b:1::/48"),
)
CHUNK_BYTES = 64 * 1024
USER_AGENT = "takedown-workbench image fetcher"


class FetchError(Exception):
    """An image that could not be fetched; the message says why, for the listing's page."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class FetchRefused(FetchError):
    """A URL or response that will not become fetchable by trying again."""


class FetchTransient(FetchError):
    """A failure that may go away: timeout, connection reset, 5xx, 429."""


@dataclass(frozen=True)
class FetchedImage:
    data: bytes
    content_type: str
    final_url: str


@dataclass(frozen=True)
class _Target:
    url: str
    scheme: str
    host: str  # ASCII (IDNA) form, no brackets
    port: int
    path: str  # path and query, as sent on the request line

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


def fetch_image(url: str) -> FetchedImage:
    """Download the image at ``url``, or raise FetchRefused / FetchTransient saying why."""
    timeout = float(settings.TAKEDOWN_IMAGE_FETCH_TIMEOUT_SECONDS)
    max_bytes = int(settings.TAKEDOWN_IMAGE_MAX_BYTES)
    max_redirects = int(settings.TAKEDOWN_IMAGE_MAX_REDIRECTS)
    allow = _allowed_networks(settings.TAKEDOWN_IMAGE_FETCH_ALLOW_NETS)

    seen: set[str] = set()
    current = url
    for _hop in range(max_redirects + 1):
        seen.add(current)
        target = _parse(current)
        address = _resolve(target, allow)
        location = _get(target, address, timeout=timeout, max_bytes=max_bytes)
        if isinstance(location, FetchedImage):
            return location
        following = urljoin(current, location)
        if following in seen:
            raise FetchRefused(f"redirect loop at {following}")
        current = following
    raise FetchRefused(f"more than {max_redirects} redirects (last to {current})")


def _allowed_networks(values: list[str]) -> list[Network]:
    return [ipaddress.ip_network(value, strict=False) for value in values]


def _parse(url: str) -> _Target:
    try:
        parts: SplitResult = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise FetchRefused(f"not a valid URL ({exc})") from exc
    scheme = parts.scheme.lower()
    if not scheme:
        raise FetchRefused("the URL has no scheme; only http and https URLs are fetched")
    if scheme not in ("http", "https"):
        raise FetchRefused(f"only http and https URLs are fetched, not {scheme}")
    if parts.username is not None or parts.password is not None:
        raise FetchRefused("URLs with a user name or password are not fetched")
    if not parts.hostname:
        raise FetchRefused("the URL has no host")
    try:
        host = parts.hostname.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise FetchRefused(f"the host name {parts.hostname!r} is not valid") from exc
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return _Target(
        url=url,
        scheme=scheme,
        host=host,
        port=port or (443 if scheme == "https" else 80),
        path=path,
    )


def _resolve(target: _Target, allow: list[Network]) -> str:
    """Return the one address to connect to, after checking every address the host has."""
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        if exc.errno == socket.EAI_AGAIN:
            raise FetchTransient(f"DNS lookup of {target.host} failed for now ({exc})") from exc
        raise FetchRefused(f"the host {target.host} does not resolve ({exc})") from exc
    addresses: list[str] = []
    for _family, _type, _proto, _canonname, sockaddr in infos:
        text = str(sockaddr[0]).split("%", 1)[0]  # drop an IPv6 zone (fe80::1%eth0)
        problem = address_problem(ipaddress.ip_address(text), allow)
        if problem:
            shown = target.host if target.host == text else f"{target.host} ({text})"
            raise FetchRefused(
                f"{shown} is {problem}; images are fetched from public addresses only"
            )
        addresses.append(text)
    if not addresses:
        raise FetchRefused(f"the host {target.host} has no address")
    return addresses[0]


def address_problem(address: Address, allow: list[Network]) -> str | None:
    """Return what makes ``address`` unreachable for fetching (e.g. "loopback"), or None."""
    if any(address in net for net in allow):
        return None
    # The embedded IPv4 address first: it names the problem more precisely.
    forms: list[Address] = []
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            forms.append(address.ipv4_mapped)
        if address.sixtofour is not None:
            forms.append(address.sixtofour)
        if address.teredo is not None:
            forms.extend(address.teredo)
        # ::1 and :: are loopback and unspecified themselves, not IPv4-compatible forms.
        if int(address) > 1 and any(address in net for net in EMBEDDED_IPV4_NETS):
            forms.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    forms.append(address)
    for form in forms:
        problem = _kind_of_nonpublic(form)
        if problem:
            return problem if form is address else f"{problem} ({form} inside {address})"
    return None


def _kind_of_nonpublic(address: Address) -> str | None:
    # Order matters only for the message: the most specific name first.
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("shared (carrier-grade NAT)", address in SHARED_NET),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
        ("not globally routable", not address.is_global),
    )
    return next((name for name, hit in checks if hit), None)


# Connection pools kept per (scheme, checked address, port, host name), so a
# worker fetching a feed's images from one CDN reuses its connections (and TLS
# sessions) instead of connecting once per image. Keyed by the address that
# passed the checks: a pool only ever connects to that address.
POOLS_KEPT = 16
_pools: "OrderedDict[tuple[str, str, int, str], urllib3.HTTPConnectionPool]" = OrderedDict()
_pools_lock = threading.Lock()


def _pool(target: _Target, address: str, timeout: float) -> urllib3.HTTPConnectionPool:
    key = (target.scheme, address, target.port, target.host)
    with _pools_lock:
        pool = _pools.get(key)
        if pool is not None:
            _pools.move_to_end(key)
            return pool
        pool_timeout = urllib3.Timeout(connect=timeout, read=timeout)
        if target.scheme == "https":
            pool = urllib3.HTTPSConnectionPool(
                address,
                target.port,
                timeout=pool_timeout,
                maxsize=1,
                retries=False,
                cert_reqs="CERT_REQUIRED",
                # The certificate must name the host of the URL, not the address.
                server_hostname=target.host,
                assert_hostname=target.host,
            )
        else:
            pool = urllib3.HTTPConnectionPool(
                address, target.port, timeout=pool_timeout, maxsize=1, retries=False
            )
        _pools[key] = pool
        while len(_pools) > POOLS_KEPT:
            _pools.popitem(last=False)[1].close()
        return pool


def close_pools() -> None:
    """Close every kept connection (tests; a worker shutting down)."""
    with _pools_lock:
        while _pools:
            _pools.popitem()[1].close()


def _get(target: _Target, address: str, *, timeout: float, max_bytes: int) -> FetchedImage | str:
    """GET ``target`` from ``address``: the image, or the Location of a redirect."""
    pool = _pool(target, address, timeout)
    headers = {
        "Host": target.host_header,
        "User-Agent": USER_AGENT,
        "Accept": "image/*",
        # Compressed bodies could expand past the byte cap after counting.
        "Accept-Encoding": "identity",
    }
    deadline = time.monotonic() + timeout
    try:
        try:
            response = _request(pool, target, headers, timeout)
        except ProtocolError:
            # A kept connection the server closed while idle: once more on a new one.
            response = _request(pool, target, headers, timeout)
        complete = False
        try:
            result = _read(target, response, deadline=deadline, max_bytes=max_bytes)
            # Only a connection whose response was read to the end can carry another.
            complete = isinstance(result, FetchedImage)
            return result
        finally:
            if complete:
                response.release_conn()
            else:
                response.close()
    except FetchError:
        raise
    except SSLError as exc:
        raise FetchRefused(f"TLS with {target.host} failed ({exc})") from exc
    except LocationParseError as exc:
        raise FetchRefused(f"not a valid URL ({exc})") from exc
    except NewConnectionError as exc:  # a subclass of urllib3's TimeoutError, oddly
        raise FetchTransient(f"connection to {target.host} failed ({exc})") from exc
    except Urllib3TimeoutError as exc:
        raise FetchTransient(f"{target.host} did not answer within {timeout:g} s") from exc
    except (HTTPError, OSError) as exc:
        raise FetchTransient(f"connection to {target.host} failed ({exc})") from exc


def _request(
    pool: urllib3.HTTPConnectionPool, target: _Target, headers: dict[str, str], timeout: float
) -> urllib3.BaseHTTPResponse:
    return pool.urlopen(
        "GET",
        target.path,
        headers=headers,
        redirect=False,
        retries=False,
        preload_content=False,
        decode_content=False,
        assert_same_host=False,
        timeout=urllib3.Timeout(connect=timeout, read=timeout),
    )


def _read(
    target: _Target, response: urllib3.BaseHTTPResponse, *, deadline: float, max_bytes: int
) -> FetchedImage | str:
    status = response.status
    if status in REDIRECT_STATUSES:
        location = response.headers.get("Location")
        if not location:
            raise FetchRefused(f"{target.url} redirected ({status}) without a Location")
        return location
    if status == 429 or status >= 500:
        raise FetchTransient(f"{target.url} answered {status}")
    if status != 200:
        raise FetchRefused(f"{target.url} answered {status}")

    content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if content_type not in GENERIC_CONTENT_TYPES and not content_type.startswith("image/"):
        raise FetchRefused(f"{target.url} is {content_type}, not an image")
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        raise FetchRefused(f"{target.url} was sent {encoding}-compressed; images are not")
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchRefused(f"the image is {int(declared)} bytes; the limit is {max_bytes} bytes")

    body = bytearray()
    # read1 returns what has arrived instead of waiting for a full chunk, so a
    # server trickling bytes meets the deadline instead of only the read timeout.
    while chunk := response.read1(CHUNK_BYTES, decode_content=False):
        body += chunk
        if len(body) > max_bytes:
            raise FetchRefused(f"the image is larger than the limit of {max_bytes} bytes")
        if time.monotonic() > deadline:
            raise FetchTransient(f"{target.host} sent the image too slowly")
    if not body:
        raise FetchRefused(f"{target.url} sent an empty body")
    return FetchedImage(data=bytes(body), content_type=content_type, final_url=target.url)
