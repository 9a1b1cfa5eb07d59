"""SSRF: no image URL a feed sends reaches inside, whatever form the address takes.

The test allowlist is off (``TAKEDOWN_IMAGE_FETCH_ALLOW_NETS = []``), as in
production. Two HTTP servers run on loopback:

- ``internal``, the thing an attacker wants to reach (the metadata service, an
  admin port): it records every request, and every test asserts it got none;
- ``cdn``, standing in for a public image host at 93.184.216.34: a connection
  the fetcher opens to that public address is carried to this server, so
  redirects and DNS rebinding can be played through a "public" first hop.

Name resolution is replaced for the test: names come from a table, numeric
hosts go to the real resolver with ``AI_NUMERICHOST`` (no DNS query ever
leaves), anything else does not resolve. Every connection the fetcher opens is
recorded; any address other than loopback and the stand-in CDN is refused
before a packet leaves.
"""

import ipaddress
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import urllib3.util.connection

from listings.fetch import FetchRefused, close_pools, fetch_image
from tests.files import png_bytes
from tests.servers import RecordingServer, png_route, recording_server

PUBLIC_CDN = "93.184.216.34"


@pytest.fixture
def internal() -> Iterator[RecordingServer]:
    """What must never be reached: it serves an image at every path, so a leak would succeed."""
    with recording_server(default=png_route()) as server:
        yield server


@pytest.fixture
def cdn() -> Iterator[RecordingServer]:
    """The public image host at PUBLIC_CDN, served from loopback."""
    with recording_server(default=png_route()) as server:
        yield server


@dataclass
class Network:
    """The resolver's answers by name, the names looked up, and the connections opened."""

    answers: dict[str, list[list[str]]] = field(default_factory=dict)
    lookups: list[str] = field(default_factory=list)
    connections: list[str] = field(default_factory=list)

    def name(self, host: str, *answers: list[str]) -> None:
        """Resolve ``host`` to each answer in turn (the last one repeats)."""
        self.answers[host] = list(answers)


@pytest.fixture
def network(monkeypatch, settings, cdn) -> Iterator[Network]:
    settings.TAKEDOWN_IMAGE_FETCH_ALLOW_NETS = []
    # Kept connections would skip create_connection: every test starts with none.
    close_pools()
    net = Network()
    real_getaddrinfo = socket.getaddrinfo
    real_connect = urllib3.util.connection.create_connection

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        if host in net.answers:
            net.lookups.append(host)
            queue = net.answers[host]
            addresses = queue.pop(0) if len(queue) > 1 else queue[0]
            return [
                (
                    socket.AF_INET6 if ":" in a else socket.AF_INET,
                    socket.SOCK_STREAM,
                    6,
                    "",
                    (a, port, 0, 0) if ":" in a else (a, port),
                )
                for a in addresses
            ]
        # Numeric forms only (127.1, 0x7f.1, 2130706433 included): never a DNS query.
        return real_getaddrinfo(host, port, family, type, proto, flags | socket.AI_NUMERICHOST)

    def create_connection(address, *args, **kwargs):
        host, port = address
        net.connections.append(host)
        if host == PUBLIC_CDN:
            return real_connect(("127.0.0.1", cdn.port), *args, **kwargs)
        if ipaddress.ip_address(host.strip("[]")).is_loopback:
            return real_connect(address, *args, **kwargs)  # the internal server will record it
        raise ConnectionRefusedError(f"the test network does not route to {host}")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(urllib3.util.connection, "create_connection", create_connection)
    yield net
    close_pools()


# Every address form, refused before any connection --------------------------------

ADDRESS_FORMS = [
    # loopback, in the forms and the ones parsers disagree on
    ("http://127.0.0.1:{port}/a.png", "127.0.0.1 is loopback"),
    ("http://[::1]:{port}/a.png", "::1 is loopback"),
    ("http://[::ffff:127.0.0.1]:{port}/a.png", r"loopback \(127.0.0.1 inside"),
    ("http://[0:0:0:0:0:ffff:7f00:1]:{port}/a.png", r"loopback \(127.0.0.1 inside"),
    ("http://[::127.0.0.1]:{port}/a.png", r"loopback \(127.0.0.1 inside"),
    ("http://[64:ff9b::7f00:1]:{port}/a.png", r"loopback \(127.0.0.1 inside"),
    ("http://[2002:7f00:1::]:{port}/a.png", r"loopback \(127.0.0.1 inside"),
    ("http://127.1:{port}/a.png", r"127.1 \(127.0.0.1\) is loopback"),
    ("http://2130706433:{port}/a.png", r"2130706433 \(127.0.0.1\) is loopback"),
    ("http://0x7f.1:{port}/a.png", r"0x7f.1 \(127.0.0.1\) is loopback"),
    ("http://0x7f000001:{port}/a.png", r"\(127.0.0.1\) is loopback"),
    ("http://0177.0.0.1:{port}/a.png", r"0177.0.0.1 \(127.0.0.1\) is loopback"),
    ("http://127.255.255.254:{port}/a.png", "is loopback"),
    ("http://\uff11\uff12\uff17.\uff10.\uff10.\uff11:{port}/a.png", "127.0.0.1 is loopback"),
    ("HTTP://127.0.0.1:{port}/a.png", "127.0.0.1 is loopback"),
    ("http://127.0.0.1#@93.184.216.34/a.png", "127.0.0.1 is loopback"),
    # unspecified: "this host" on most stacks
    ("http://0.0.0.0:{port}/a.png", "0.0.0.0 is unspecified"),
    ("http://0:{port}/a.png", r"0 \(0.0.0.0\) is unspecified"),
    ("http://[::]:{port}/a.png", ":: is unspecified"),
    # private and other internal ranges
    ("http://10.0.0.1/a.png", "10.0.0.1 is private"),
    ("http://10.255.255.254:8080/a.png", "10.255.255.254 is private"),
    ("http://172.16.0.1/a.png", "172.16.0.1 is private"),
    ("http://172.31.255.254/a.png", "172.31.255.254 is private"),
    ("http://192.168.0.1/a.png", "192.168.0.1 is private"),
    ("http://192.168.255.254:443/a.png", "192.168.255.254 is private"),
    ("http://100.64.0.1/a.png", r"100.64.0.1 is shared \(carrier-grade NAT\)"),
    ("http://100.127.255.254/a.png", "is shared"),
    ("http://[fc00::1]/a.png", "fc00::1 is private"),
    ("http://[fd12:3456:789a::1]/a.png", "is private"),
    ("http://[fe80::1]/a.png", "fe80::1 is link-local"),
    ("http://[::ffff:10.0.0.1]/a.png", r"private \(10.0.0.1 inside"),
    # the cloud metadata service
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is link-local"),
    ("http://169.254.169.254:80/computeMetadata/v1/", "169.254.169.254 is link-local"),
    ("http://[::ffff:169.254.169.254]/latest/", r"link-local \(169.254.169.254 inside"),
    ("https://169.254.169.254/latest/", "169.254.169.254 is link-local"),
    # credentials in the URL, and the userinfo tricks that hide the real host
    ("http://user@127.0.0.1:{port}/a.png", "with a user name or password"),
    ("http://user:secret@127.0.0.1:{port}/a.png", "with a user name or password"),
    ("http://93.184.216.34@127.0.0.1:{port}/a.png", "with a user name or password"),
    ("http://93.184.216.34\\@127.0.0.1:{port}/a.png", "with a user name or password"),
    # schemes other than http and https
    ("file:///etc/passwd", "not file"),
    ("gopher://127.0.0.1:{port}/_GET%20/", "not gopher"),
    ("ftp://127.0.0.1:{port}/a.png", "not ftp"),
    ("dict://127.0.0.1:{port}/info", "not dict"),
    ("ldap://127.0.0.1/", "not ldap"),
    ("javascript:alert(1)", "not javascript"),
    ("//127.0.0.1:{port}/a.png", "has no scheme"),
    ("http:127.0.0.1/a.png", "has no host"),
]


@pytest.mark.parametrize(("template", "reason"), ADDRESS_FORMS)
def test_an_internal_address_in_any_form_is_refused_without_a_connection(
    template, reason, internal, network
):
    # given an image URL naming an internal address (the internal server's port where it has one)
    url = template.format(port=internal.port)
    # when it is fetched with no allowlist
    # then it is refused saying why, and nothing was connected to or reached
    with pytest.raises(FetchRefused, match=reason):
        fetch_image(url)
    assert network.connections == []
    assert internal.requests == []


@pytest.mark.parametrize(
    ("name", "addresses", "reason"),
    [
        ("localhost", ["127.0.0.1", "::1"], r"localhost \(127.0.0.1\) is loopback"),
        ("127.0.0.1.nip.io", ["127.0.0.1"], r"127.0.0.1.nip.io \(127.0.0.1\) is loopback"),
        ("db.internal.example", ["10.1.2.3"], r"\(10.1.2.3\) is private"),
        ("metadata.google.internal", ["169.254.169.254"], r"\(169.254.169.254\) is link-local"),
        ("v6.example.test", ["::1"], r"v6.example.test \(::1\) is loopback"),
        ("mapped.example.test", ["::ffff:127.0.0.1"], r"loopback \(127.0.0.1 inside"),
        # one public answer does not excuse an internal one next to it
        ("mixed.example.test", [PUBLIC_CDN, "127.0.0.1"], r"\(127.0.0.1\) is loopback"),
    ],
)
def test_a_name_resolving_to_an_internal_address_is_refused(
    name, addresses, reason, internal, network
):
    # given a host name whose DNS answer includes an internal address
    network.name(name, addresses)
    # when an image at that name is fetched
    # then it is refused naming the name and the address, and nothing was connected to
    with pytest.raises(FetchRefused, match=reason):
        fetch_image(f"http://{name}:{internal.port}/a.png")
    assert network.connections == []
    assert internal.requests == []


def test_a_name_that_does_not_resolve_is_refused(network):
    # given a name the resolver does not know
    # when it is fetched
    # then it is refused as not resolving
    with pytest.raises(FetchRefused, match="the host nowhere.example.test does not resolve"):
        fetch_image("http://nowhere.example.test/a.png")
    assert network.connections == []


# Redirects: every hop is checked again -----------------------------------------------


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("http://127.0.0.1:{port}/a.png", "127.0.0.1 is loopback"),
        ("http://[::1]:{port}/a.png", "::1 is loopback"),
        ("http://localhost:{port}/a.png", r"localhost \(127.0.0.1\) is loopback"),
        ("http://2130706433:{port}/a.png", r"\(127.0.0.1\) is loopback"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is link-local"),
        ("http://user@cdn.example.test/a.png", "with a user name or password"),
        ("file:///etc/passwd", "not file"),
    ],
)
def test_a_redirect_chain_ending_inside_is_refused_at_the_inside_hop(
    location, reason, internal, cdn, network
):
    # given a public image host whose URL redirects twice, the second time inside
    network.name("cdn.example.test", [PUBLIC_CDN])
    network.name("localhost", ["127.0.0.1"])
    cdn.redirect("/start.png", "/hop.png", status=301)
    cdn.redirect("/hop.png", location.format(port=internal.port), status=307)
    # when the first URL is fetched
    # then the inside hop is refused: only the public host was connected to, twice
    with pytest.raises(FetchRefused, match=reason):
        fetch_image("http://cdn.example.test/start.png")
    assert network.connections == [PUBLIC_CDN, PUBLIC_CDN]
    assert [path for path, _host in cdn.requests] == ["/start.png", "/hop.png"]
    assert internal.requests == []


# DNS rebinding: the connection goes to the address that was checked -----------------


def test_a_name_rebinding_to_loopback_after_the_check_still_reaches_the_checked_address(
    internal, cdn, network
):
    # given a name whose first answer is public and every later answer loopback
    network.name("rebind.example.test", [PUBLIC_CDN], ["127.0.0.1"])
    cdn.serve_png("/a.png")
    # when an image at that name is fetched
    fetched = fetch_image(f"http://rebind.example.test:{internal.port}/a.png")
    # then it was resolved once, and the connection went to the public address it checked
    assert fetched.data == png_bytes()
    assert network.lookups == ["rebind.example.test"]
    assert network.connections == [PUBLIC_CDN]
    assert cdn.requests == [("/a.png", f"rebind.example.test:{internal.port}")]
    assert internal.requests == []


def test_a_name_rebinding_to_loopback_between_redirect_hops_is_refused(internal, cdn, network):
    # given a public host that redirects back to its own name, which now answers loopback
    network.name("rebind.example.test", [PUBLIC_CDN], ["127.0.0.1"])
    cdn.redirect("/a.png", "/b.png")
    # when it is fetched
    # then the second hop is resolved again, found loopback and refused
    with pytest.raises(FetchRefused, match=r"rebind.example.test \(127.0.0.1\) is loopback"):
        fetch_image(f"http://rebind.example.test:{internal.port}/a.png")
    assert network.lookups == ["rebind.example.test", "rebind.example.test"]
    assert network.connections == [PUBLIC_CDN]
    assert internal.requests == []
