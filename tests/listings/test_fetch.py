"""Fetching listing images: what is downloaded, what is refused, what is retried.

Images are served by a real HTTP server on 127.0.0.1. A guard wraps urllib3's
connect so every connection the fetcher opens is recorded, and any attempt to
reach an address outside 127.0.0.0/8 fails the test before a packet leaves.
"""

import ipaddress
import socket
from collections.abc import Iterator

import pytest
import urllib3.util.connection

from listings.fetch import FetchedImage, FetchRefused, FetchTransient, address_problem, fetch_image
from tests.files import png_bytes
from tests.servers import RecordingServer, png_route, recording_server

LOOPBACK = ipaddress.ip_network("127.0.0.0/8")


@pytest.fixture
def image_server() -> Iterator[RecordingServer]:
    """An HTTP server on 127.0.0.1 at an ephemeral port, serving what the test sets up."""
    with recording_server() as server:
        yield server


@pytest.fixture
def connections(monkeypatch):
    """Record every address the fetcher connects to; refuse anything outside 127.0.0.0/8."""
    opened: list[str] = []
    real = urllib3.util.connection.create_connection

    def guarded(address, *args, **kwargs):
        opened.append(address[0])
        if ipaddress.ip_address(address[0].strip("[]")) not in LOOPBACK:
            raise AssertionError(f"the fetcher tried to connect to {address[0]}")
        return real(address, *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", guarded)
    return opened


@pytest.fixture
def allow_loopback_server(settings):
    settings.TAKEDOWN_IMAGE_FETCH_ALLOW_NETS = ["127.0.0.1/32"]


@pytest.fixture
def no_allowlist(settings):
    settings.TAKEDOWN_IMAGE_FETCH_ALLOW_NETS = []


def fake_dns(monkeypatch, answers: dict[str, list[str]]) -> list[str]:
    """Answer getaddrinfo for the given names from ``answers``; return the names looked up."""
    real = socket.getaddrinfo
    asked: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in answers:
            ipaddress.ip_address(host)  # only literals go to the real resolver: no DNS traffic
            return real(host, port, *args, **kwargs)
        asked.append(host)
        return [
            (
                socket.AF_INET6 if ":" in a else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (a, port, 0, 0) if ":" in a else (a, port),
            )
            for a in answers[host]
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


# What is fetched ---------------------------------------------------------------


def test_a_png_is_downloaded_with_its_type(image_server, allow_loopback_server, connections):
    # given a PNG served by an allowed server
    url = image_server.serve("/a.png", png_bytes())
    # when it is fetched
    fetched = fetch_image(url)
    # then the bytes, type and URL come back, from the checked address
    assert fetched == FetchedImage(png_bytes(), "image/png", url)
    assert connections == ["127.0.0.1"]


def test_a_redirect_to_another_allowed_path_is_followed(
    image_server, allow_loopback_server, connections
):
    # given a URL that redirects twice (relative, then absolute) to the image
    image_server.serve("/final.png", png_bytes(seed=3))
    image_server.redirect("/step", "/final.png", status=301)
    url = image_server.redirect("/start", image_server.url("/step"))
    # when it is fetched
    fetched = fetch_image(url)
    # then the image at the end of the chain is returned and its URL recorded
    assert fetched.data == png_bytes(seed=3)
    assert fetched.final_url == image_server.url("/final.png")
    assert [path for path, _host in image_server.requests] == ["/start", "/step", "/final.png"]


def test_a_pinned_address_is_used_and_the_name_is_sent_as_host(
    image_server, allow_loopback_server, connections, monkeypatch
):
    # given a name whose first DNS answer is the allowed server and later answers are private
    image_server.serve("/a.png", png_bytes())
    answers = {"images.example.test": ["127.0.0.1"]}
    asked = fake_dns(monkeypatch, answers)
    url = f"http://images.example.test:{image_server.port}/a.png"
    # when it is fetched, the DNS answer switching after the check (rebinding)
    real_resolve = socket.getaddrinfo

    def rebinding(host, *args, **kwargs):
        result = real_resolve(host, *args, **kwargs)
        answers["images.example.test"] = ["10.0.0.1"]
        return result

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    fetched = fetch_image(url)
    # then the name was resolved once, the checked address connected, the name sent as Host
    assert fetched.data == png_bytes()
    assert asked == ["images.example.test"]
    assert connections == ["127.0.0.1"]
    assert image_server.requests == [("/a.png", f"images.example.test:{image_server.port}")]


# What is refused -------------------------------------------------------------


def test_a_body_announced_over_the_cap_is_refused_before_reading(
    image_server, allow_loopback_server, connections, settings
):
    # given a 5000-byte image and a cap of 1000 bytes
    settings.TAKEDOWN_IMAGE_MAX_BYTES = 1000
    url = image_server.serve("/big.png", b"\x89PNG" + b"x" * 4996)
    # when it is fetched
    # then it is refused, naming the size and the limit
    with pytest.raises(FetchRefused, match="the image is 5000 bytes; the limit is 1000 bytes"):
        fetch_image(url)


def test_a_body_streamed_over_the_cap_is_refused(
    image_server, allow_loopback_server, connections, settings
):
    # given an image served without Content-Length, larger than the cap
    settings.TAKEDOWN_IMAGE_MAX_BYTES = 100_000
    url = image_server.serve("/big.png", b"x" * 1_000_000, content_length=False)
    # when it is fetched
    # then reading stops at the cap and the image is refused
    with pytest.raises(FetchRefused, match="larger than the limit of 100000 bytes"):
        fetch_image(url)


def test_a_page_sent_as_html_is_refused(image_server, allow_loopback_server, connections):
    # given a URL that answers with an HTML page
    url = image_server.serve("/p", b"<html></html>", headers={"Content-Type": "text/html"})
    # when it is fetched
    # then it is refused as not an image
    with pytest.raises(FetchRefused, match="is text/html, not an image"):
        fetch_image(url)


def test_a_404_is_permanent(image_server, allow_loopback_server, connections):
    # given a URL the server does not know
    url = image_server.url("/missing.png")
    # when it is fetched
    # then the failure is permanent
    with pytest.raises(FetchRefused, match="answered 404"):
        fetch_image(url)


@pytest.mark.parametrize("status", [503, 429])
def test_a_503_or_429_is_transient(image_server, allow_loopback_server, connections, status):
    # given a server that is overloaded
    url = image_server.serve("/a.png", b"busy", status=status)
    # when it is fetched
    # then the failure may be retried
    with pytest.raises(FetchTransient, match=f"answered {status}"):
        fetch_image(url)


def test_a_slow_server_is_transient(image_server, allow_loopback_server, connections, settings):
    # given a server that answers after the timeout
    settings.TAKEDOWN_IMAGE_FETCH_TIMEOUT_SECONDS = 0.2
    url = image_server.serve("/slow.png", png_bytes(), delay=1.0)
    # when it is fetched
    # then it times out and may be retried
    with pytest.raises(FetchTransient, match="did not answer within 0.2 s"):
        fetch_image(url)


def test_a_closed_port_is_transient(allow_loopback_server, connections):
    # given a port nothing listens on
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    # when it is fetched
    # then the connection failure may be retried
    with pytest.raises(FetchTransient, match="connection to 127.0.0.1 failed"):
        fetch_image(f"http://127.0.0.1:{port}/a.png")


def test_too_many_redirects_are_refused(image_server, allow_loopback_server, connections, settings):
    # given a chain of four redirects and a limit of three
    settings.TAKEDOWN_IMAGE_MAX_REDIRECTS = 3
    for n in range(4):
        image_server.redirect(f"/r{n}", f"/r{n + 1}")
    image_server.serve("/r4", png_bytes())
    # when it is fetched
    # then it is refused after the fourth response, without requesting the image
    with pytest.raises(FetchRefused, match="more than 3 redirects"):
        fetch_image(image_server.url("/r0"))
    assert len(image_server.requests) == 4


def test_a_redirect_loop_is_refused(image_server, allow_loopback_server, connections):
    # given two URLs redirecting to each other
    image_server.redirect("/a", "/b")
    url = image_server.redirect("/b", "/a")
    # when it is fetched
    # then the loop is named
    with pytest.raises(FetchRefused, match="redirect loop"):
        fetch_image(url)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file:///etc/passwd", "only http and https URLs are fetched, not file"),
        ("ftp://127.0.0.1/a.png", "only http and https URLs are fetched, not ftp"),
        ("//127.0.0.1/a.png", "the URL has no scheme"),
        ("http://user:secret@127.0.0.1/a.png", "with a user name or password"),
        ("http:///a.png", "has no host"),
        ("http://127.0.0.1:99999/a.png", "not a valid URL"),
    ],
)
def test_urls_that_are_not_plain_http_are_refused(url, message, allow_loopback_server, connections):
    # given a URL with a wrong scheme, credentials, no host or a bad port
    # when it is fetched
    # then it is refused without any connection
    with pytest.raises(FetchRefused, match=message):
        fetch_image(url)
    assert connections == []


# SSRF: internal addresses are never reached -----------------------------------


@pytest.mark.parametrize(
    ("host", "problem"),
    [
        ("127.0.0.1", "loopback"),
        ("[::1]", "loopback"),
        ("[::ffff:127.0.0.1]", "loopback"),
        ("[::127.0.0.1]", "loopback"),
        ("0.0.0.0", "unspecified"),
        ("10.0.0.1", "private"),
        ("192.168.1.1", "private"),
        ("172.16.0.1", "private"),
        ("169.254.169.254", "link-local"),
        ("[fe80::1]", "link-local"),
        ("100.64.0.1", "shared"),
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "private|reserved"),
        ("[::ffff:10.0.0.1]", "private"),
        ("[64:ff9b::a9fe:a9fe]", "link-local"),
    ],
)
def test_internal_addresses_are_refused_without_connecting(
    host, problem, image_server, no_allowlist, connections
):
    # given an image URL at an internal address and no allowlist
    image_server.serve("/a.png", png_bytes())
    url = f"http://{host}:{image_server.port}/a.png"
    # when it is fetched
    # then it is refused for that address and nothing was connected to
    with pytest.raises(FetchRefused, match=problem):
        fetch_image(url)
    assert connections == []
    assert image_server.requests == []


def test_a_name_resolving_to_loopback_is_refused(image_server, no_allowlist, connections):
    # given the name localhost, which resolves to loopback from /etc/hosts
    image_server.serve("/a.png", png_bytes())
    # when it is fetched
    # then it is refused and the server saw nothing
    with pytest.raises(FetchRefused, match=r"localhost \(.*\) is loopback"):
        fetch_image(f"http://localhost:{image_server.port}/a.png")
    assert connections == []
    assert image_server.requests == []


def test_a_name_with_any_internal_address_is_refused(no_allowlist, connections, monkeypatch):
    # given a name resolving to a public address and to the metadata service
    fake_dns(monkeypatch, {"cdn.example.test": ["93.184.216.34", "169.254.169.254"]})
    # when it is fetched
    # then the internal answer refuses it, and the public one is not tried either
    with pytest.raises(FetchRefused, match=r"cdn.example.test \(169.254.169.254\) is link-local"):
        fetch_image("https://cdn.example.test/a.png")
    assert connections == []


def test_a_redirect_to_another_loopback_address_is_refused(image_server, settings, connections):
    # given a server allowed by its exact address that redirects to 127.0.0.2
    settings.TAKEDOWN_IMAGE_FETCH_ALLOW_NETS = ["127.0.0.1/32"]
    url = image_server.redirect("/a.png", f"http://127.0.0.2:{image_server.port}/a.png")
    # when it is fetched
    # then the redirect target is refused and only the first server was reached
    with pytest.raises(FetchRefused, match="127.0.0.2 is loopback"):
        fetch_image(url)
    assert connections == ["127.0.0.1"]


def test_a_public_address_has_no_problem():
    # given a public IPv4 and IPv6 address and no allowlist
    # when they are checked
    # then nothing is wrong with them
    assert address_problem(ipaddress.ip_address("93.184.216.34"), []) is None
    assert address_problem(ipaddress.ip_address("2606:2800:220:1::1"), []) is None


# HTTPS: the pinned address is verified against the URL's host name ----------


@pytest.fixture
def tls_server(tmp_path, monkeypatch):
    """An HTTPS server on 127.0.0.1 whose self-signed certificate names images.example.test.

    The certificate is trusted only when a test says so, by making it the
    default CA store of the process for that test.
    """
    import shutil
    import ssl
    import subprocess

    if not shutil.which("openssl"):
        pytest.skip("needs the openssl command to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=images.example.test", "-addext", "subjectAltName=DNS:images.example.test",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)

    def trust() -> None:
        monkeypatch.setattr(
            ssl.SSLContext, "load_default_certs", lambda self, *a: self.load_verify_locations(cert)
        )

    with recording_server(default=png_route(), tls=context) as server:
        yield server.port, trust


def test_https_is_verified_against_the_url_host_on_the_pinned_address(
    tls_server, allow_loopback_server, connections, monkeypatch
):
    # given an HTTPS server at 127.0.0.1 with a trusted certificate for images.example.test
    port, trust = tls_server
    trust()
    fake_dns(monkeypatch, {"images.example.test": ["127.0.0.1"]})
    # when the image is fetched by the name
    fetched = fetch_image(f"https://images.example.test:{port}/a.png")
    # then TLS succeeds on the pinned address because the certificate names the URL's host
    assert fetched.data == png_bytes()
    assert connections == ["127.0.0.1"]


def test_https_with_a_certificate_for_another_name_is_refused(
    tls_server, allow_loopback_server, connections, monkeypatch
):
    # given the same trusted server reached under a name its certificate does not carry
    port, trust = tls_server
    trust()
    fake_dns(monkeypatch, {"other.example.test": ["127.0.0.1"]})
    # when the image is fetched
    # then TLS verification refuses it
    with pytest.raises(FetchRefused, match="TLS with other.example.test failed"):
        fetch_image(f"https://other.example.test:{port}/a.png")


def test_https_with_an_untrusted_certificate_is_refused(
    tls_server, allow_loopback_server, connections, monkeypatch
):
    # given an HTTPS server whose self-signed certificate nobody trusts
    port, _trust = tls_server
    fake_dns(monkeypatch, {"images.example.test": ["127.0.0.1"]})
    # when the image is fetched
    # then the certificate is not accepted
    with pytest.raises(FetchRefused, match="certificate verify failed"):
        fetch_image(f"https://images.example.test:{port}/a.png")
