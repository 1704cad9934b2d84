"""The fetcher's guards: no request to a non-public address without the allowance, a total deadline per download.

These tests run WITHOUT the allowance unless a test says otherwise (tests/conftest.py may turn it on for
the session through PROPMINE_FETCH_ALLOW_PRIVATE, which FetchSettings() here does not read). A server
that must pass for a public one listens on 127.0.0.2, which the `public_127_0_0_2` fixture declares public.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import httpx
import pymupdf
import pytest

from flows import fetch
from flows.fetch import fetch_paper, list_references
from schemas.errors import ConfigError, InputError
from schemas.fetch import FetchSettings, PaperRef

HINT = "pass --allow-private-hosts to allow"
DRIP_S = 0.2  # one byte this often: well inside the per-read timeout


def make_pdf() -> bytes:
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "The band gap of ZnO is 3.37 eV.")
    return doc.tobytes()


PDF = make_pdf()


class Server(ThreadingHTTPServer):
    """A local server whose routes are set per test; it counts the requests it gets."""

    daemon_threads = True

    def __init__(self, host: str, routes: dict[str, Callable[[Handler], None]]) -> None:
        super().__init__((host, 0), Handler)
        self.base = f"http://{host}:{self.server_address[1]}"
        self.routes = routes
        self.hits: Counter[str] = Counter()
        self.stop = threading.Event()

    def handle_error(self, request, client_address) -> None:
        """Clients that hang up (refusals, deadlines) are expected here: stay quiet."""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Server

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        self.server.hits[path] += 1
        route = self.server.routes.get(path)
        if route is None:
            self.reply(404, b"not found", "text/plain")
        else:
            route(self)

    def reply(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def serve_pdf(h: Handler) -> None:
    h.reply(200, PDF, "application/pdf")


def redirect_to(url: str) -> Callable[[Handler], None]:
    def route(h: Handler) -> None:
        h.reply(302, b"", "text/plain", {"Location": url})

    return route


def drip(h: Handler, data: bytes) -> None:
    """Send `data` one byte every DRIP_S seconds, until done, the client leaves or the test ends."""
    for i in range(len(data)):
        if h.server.stop.wait(DRIP_S):
            return
        h.wfile.write(data[i : i + 1])
        h.wfile.flush()


def drip_body(h: Handler) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "application/pdf")
    h.send_header("Content-Length", str(len(PDF)))
    h.end_headers()
    h.wfile.flush()
    drip(h, PDF)


def drip_headers(h: Handler) -> None:
    h.close_connection = True
    drip(h, b"HTTP/1.1 200 OK\r\nContent-Type: application/pdf\r\nX-Padding: " + b"x" * 1000 + b"\r\n\r\n")


def serve_busy(h: Handler) -> None:
    h.reply(503, b"busy", "text/plain", {"Retry-After": "120"})


@pytest.fixture
def start() -> Iterator[Callable[..., Server]]:
    """Start a Server on a host (127.0.0.1 unless told) with the given routes; all stop after the test."""
    servers: list[Server] = []

    def run(routes: dict[str, Callable[[Handler], None]], host: str = "127.0.0.1") -> Server:
        srv = Server(host, routes)
        threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        servers.append(srv)
        return srv

    yield run
    for srv in servers:
        srv.stop.set()
        srv.shutdown()
        srv.server_close()


PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Direct connections, as on most machines: a proxy in the environment would take the local servers' requests."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def public_127_0_0_2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let 127.0.0.2 pass for a public address, so a local server can play a public host."""
    real = fetch.address_kind
    monkeypatch.setattr(fetch, "address_kind", lambda a: None if str(a) == "127.0.0.2" else real(a))


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Record (and block) every DNS lookup of the guard and every outgoing connection."""
    calls: list[object] = []

    def resolve(host: str, port: int) -> list[str]:
        calls.append(("resolve", host))
        raise AssertionError("no DNS lookup expected")

    def connect(address, *args, **kwargs):
        calls.append(("connect", address))
        raise OSError("no connection expected")

    monkeypatch.setattr(fetch, "_resolve", resolve)
    monkeypatch.setattr(socket, "create_connection", connect)
    return calls


def guarded(**overrides: object) -> FetchSettings:
    """Settings as a user gets them (no allowance), without the politeness waits."""
    values: dict[str, object] = {"min_interval_s": 0, "host_min_interval_s": {}, "backoff_s": 0, "max_retries": 1}
    return FetchSettings.model_validate(values | overrides)


def url(text: str) -> PaperRef:
    return PaperRef(reference=text, kind="url")


# --- which addresses are refused ------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        pytest.param("127.0.0.1", "loopback", id="ipv4_loopback"),
        pytest.param("10.0.0.1", "private", id="ipv4_10"),
        pytest.param("172.16.5.4", "private", id="ipv4_172_16"),
        pytest.param("192.168.1.1", "private", id="ipv4_192_168"),
        pytest.param("169.254.169.254", "link-local", id="cloud_metadata"),
        pytest.param("0.0.0.0", "unspecified", id="ipv4_unspecified"),
        pytest.param("224.0.0.1", "multicast", id="ipv4_multicast"),
        pytest.param("100.64.0.1", "non-public", id="carrier_grade_nat"),
        pytest.param("::1", "loopback", id="ipv6_loopback"),
        pytest.param("::", "unspecified", id="ipv6_unspecified"),
        pytest.param("fe80::1", "link-local", id="ipv6_link_local"),
        pytest.param("fc00::1", "private", id="ipv6_unique_local"),
        pytest.param("ff02::1", "multicast", id="ipv6_multicast"),
        pytest.param("::ffff:127.0.0.1", "loopback", id="ipv4_mapped_loopback"),
        pytest.param("::ffff:169.254.169.254", "link-local", id="ipv4_mapped_metadata"),
        pytest.param("2002:7f00:1::", "loopback", id="6to4_loopback"),
        pytest.param("64:ff9b::a00:1", "private", id="nat64_private"),
        pytest.param("::7f00:1", "reserved", id="ipv4_compatible"),
        pytest.param("93.184.216.34", None, id="public_ipv4"),
        pytest.param("::ffff:8.8.8.8", None, id="ipv4_mapped_public"),
        pytest.param("2606:4700:4700::1111", None, id="public_ipv6"),
    ],
)
def test_address_kind(address: str, kind: str | None) -> None:
    assert fetch.address_kind(ipaddress.ip_address(address)) == kind


@pytest.mark.parametrize(
    ("target", "message"),
    [
        pytest.param(
            "http://169.254.169.254/latest/meta-data/",
            "refused: 169.254.169.254 is a link-local address",
            id="cloud_metadata",
        ),
        pytest.param(
            "http://[::ffff:169.254.169.254]/latest/meta-data/",
            "refused: ::ffff:169.254.169.254 is a link-local address",
            id="ipv4_mapped_metadata",
        ),
        pytest.param("https://10.0.0.1/a.pdf", "refused: 10.0.0.1 is a private address", id="private_https"),
        pytest.param("http://[::1]:8080/a.pdf", "refused: ::1 is a loopback address", id="ipv6_loopback"),
    ],
)
def test_a_private_ip_is_refused_without_any_network_traffic(no_network, tmp_path, target, message) -> None:
    result = fetch_paper(url(target), tmp_path, guarded())
    assert result.error == f"{target}: {message}; {HINT}"
    assert no_network == [] and list(tmp_path.iterdir()) == []


def test_a_name_that_resolves_to_loopback_is_refused(start, tmp_path) -> None:
    srv = start({"/paper.pdf": serve_pdf})
    target = f"http://localhost:{srv.server_address[1]}/paper.pdf"
    result = fetch_paper(url(target), tmp_path, guarded())
    assert result.error.startswith(f"{target}: refused: localhost resolves to a loopback address ")
    assert result.error.endswith(HINT)
    assert srv.hits["/paper.pdf"] == 0


def test_one_private_address_among_public_ones_is_enough_to_refuse(no_network, monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(fetch, "_resolve", lambda host, port: ["93.184.216.34", "10.0.0.1"])
    result = fetch_paper(url("http://mixed.example/a.pdf"), tmp_path, guarded())
    assert (
        result.error
        == f"http://mixed.example/a.pdf: refused: mixed.example resolves to a private address 10.0.0.1; {HINT}"
    )
    assert no_network == []


def test_a_dns_answer_that_changes_after_the_check_is_refused_at_connect(start, monkeypatch, tmp_path) -> None:
    srv = start({"/paper.pdf": serve_pdf})
    real = socket.getaddrinfo
    lookups = Counter()

    def rebinding(host, port, *args, **kwargs):  # the first answer is public, every later one loopback
        if host != "rebind.example":
            return real(host, port, *args, **kwargs)
        lookups[host] += 1
        address = "93.184.216.34" if lookups[host] == 1 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    target = f"http://rebind.example:{srv.server_address[1]}/paper.pdf"
    settings = guarded(max_retries=0)
    with fetch.make_client(settings) as client:
        result = fetch_paper(url(target), tmp_path, settings, client=client)
    assert result.error == f"{target}: refused: rebind.example resolves to a loopback address 127.0.0.1; {HINT}"
    assert srv.hits["/paper.pdf"] == 0


@pytest.mark.parametrize("to_host", [pytest.param("127.0.0.1", id="loopback_ip"), pytest.param("localhost", id="name")])
@pytest.mark.parametrize("own_client", [pytest.param(True, id="make_client"), pytest.param(False, id="plain_httpx")])
def test_a_redirect_from_a_public_host_to_loopback_is_refused(
    start, public_127_0_0_2, tmp_path, to_host, own_client
) -> None:
    inner = start({"/secret.pdf": serve_pdf})
    inner_url = f"http://{to_host}:{inner.server_address[1]}/secret.pdf"
    outer = start({"/paper.pdf": redirect_to(inner_url)}, host="127.0.0.2")
    # A caller's own httpx client (which follows redirects itself) is checked hop by hop all the same.
    client = fetch.make_client(guarded()) if own_client else httpx.Client(follow_redirects=True)
    with client:
        result = fetch_paper(url(f"{outer.base}/paper.pdf"), tmp_path, guarded(), client=client)
    assert result.error.startswith(f"{outer.base}/paper.pdf: refused: {to_host} ")
    assert "loopback address" in result.error and result.error.endswith(HINT)
    assert outer.hits["/paper.pdf"] == 1 and inner.hits["/secret.pdf"] == 0
    assert list(tmp_path.iterdir()) == []


def test_redirects_between_public_hosts_are_followed_and_capped(start, public_127_0_0_2, tmp_path) -> None:
    srv = start({"/paper.pdf": serve_pdf}, host="127.0.0.2")
    srv.routes["/old.pdf"] = redirect_to(f"{srv.base}/paper.pdf")
    srv.routes["/loop.pdf"] = redirect_to(f"{srv.base}/loop.pdf")
    found = fetch_paper(url(f"{srv.base}/old.pdf"), tmp_path, guarded())
    assert found.error is None and found.sha256 == hashlib.sha256(PDF).hexdigest()
    looping = fetch_paper(url(f"{srv.base}/loop.pdf"), tmp_path, guarded())
    assert looping.error == f"{srv.base}/loop.pdf: more than {fetch.MAX_REDIRECTS} redirects"


def test_behind_a_proxy_the_host_is_still_checked_before_the_request(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.invalid:3128")  # the proxy connects, so only the pre-check applies
    with fetch.make_client(guarded()) as client:
        result = fetch_paper(url("http://169.254.169.254/latest/meta-data/"), tmp_path, guarded(), client=client)
    assert (
        result.error
        == f"http://169.254.169.254/latest/meta-data/: refused: 169.254.169.254 is a link-local address; {HINT}"
    )


def test_the_allowance_lets_local_servers_through(start, tmp_path) -> None:
    srv = start({"/paper.pdf": serve_pdf})
    target = f"http://localhost:{srv.server_address[1]}/paper.pdf"
    with fetch.make_client(guarded(allow_private_hosts=True)) as client:
        result = fetch_paper(url(target), tmp_path, guarded(allow_private_hosts=True), client=client)
    assert result.error is None and result.sha256 == hashlib.sha256(PDF).hexdigest()


# --- search APIs ----------------------------------------------------------------------------


def test_a_search_api_on_a_private_host_is_refused(start) -> None:
    srv = start({})
    settings = guarded(arxiv_api=f"{srv.base}/api/query")
    with pytest.raises(InputError) as caught:
        list_references("arxiv:all:ZnO", settings)
    assert str(caught.value) == f"arXiv API at {srv.base}/api/query: refused: 127.0.0.1 is a loopback address; {HINT}"
    assert sum(srv.hits.values()) == 0


def test_pdf_links_an_api_returns_are_checked_like_any_url(start, public_127_0_0_2, tmp_path) -> None:
    works = [
        {"id": "W1", "best_oa_location": {"pdf_url": "http://169.254.169.254/latest/meta-data/iam"}},
        {"id": "W2", "best_oa_location": {"pdf_url": "http://[fd00::5]/internal.pdf"}},
    ]
    page = json.dumps({"meta": {"next_cursor": None}, "results": works}).encode()
    api = start({"/works": lambda h: h.reply(200, page, "application/json")}, host="127.0.0.2")
    refs = list_references("openalex:is_oa:true", guarded(openalex_api=f"{api.base}/works"))
    errors = [fetch_paper(ref, tmp_path, guarded()).error for ref in refs]
    assert errors == [
        f"http://169.254.169.254/latest/meta-data/iam: refused: 169.254.169.254 is a link-local address; {HINT}",
        f"http://[fd00::5]/internal.pdf: refused: fd00::5 is a private address; {HINT}",
    ]


# --- the total deadline ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("route", "own_client"),
    [
        pytest.param(drip_body, True, id="body_dripped"),
        pytest.param(drip_headers, True, id="headers_dripped"),
        pytest.param(drip_body, False, id="body_dripped_plain_httpx_client"),
    ],
)
def test_a_dripping_server_ends_as_a_failed_paper_at_the_deadline(start, tmp_path, route, own_client) -> None:
    srv = start({"/drip.pdf": route})
    settings = guarded(allow_private_hosts=True, timeout_s=2.0, download_deadline_s=1.0)
    client = fetch.make_client(settings) if own_client else httpx.Client(timeout=settings.timeout_s)
    clock = time.monotonic()
    with client:
        result = fetch_paper(url(f"{srv.base}/drip.pdf"), tmp_path, settings, client=client)
    elapsed = time.monotonic() - clock
    assert result.error == f"{srv.base}/drip.pdf: download took longer than 1 s (download_deadline_s)"
    assert elapsed < 1.0 + 1.0  # the deadline plus a little; the whole drip would take minutes
    assert srv.hits["/drip.pdf"] == 1 and list(tmp_path.iterdir()) == []


def test_a_retry_that_would_pass_the_deadline_is_not_waited_for(start, tmp_path, monkeypatch) -> None:
    waits: list[float] = []
    monkeypatch.setattr(fetch.time, "sleep", waits.append)
    srv = start({"/busy.pdf": serve_busy})
    settings = guarded(allow_private_hosts=True, download_deadline_s=30.0, max_retries=3)
    result = fetch_paper(url(f"{srv.base}/busy.pdf"), tmp_path, settings)
    assert result.error == (
        f"{srv.base}/busy.pdf: HTTP 503 Service Unavailable; no retry: it would pass the 30 s deadline"
    )
    assert waits == [] and srv.hits["/busy.pdf"] == 1


def test_a_dripping_search_api_is_an_input_error_at_the_deadline(start) -> None:
    srv = start({"/api/query": drip_body})
    settings = guarded(
        allow_private_hosts=True, timeout_s=2.0, download_deadline_s=1.0, arxiv_api=f"{srv.base}/api/query"
    )
    with pytest.raises(InputError) as caught:
        list_references("arxiv:all:ZnO", settings)
    assert (
        str(caught.value) == f"arXiv API at {srv.base}/api/query: download took longer than 1 s (download_deadline_s)"
    )


# --- local files in a urls: list ------------------------------------------------------------


def test_a_urls_list_reads_local_files_only_with_the_allowance(tmp_path) -> None:
    paper = tmp_path / "papers" / "local.pdf"
    paper.parent.mkdir()
    paper.write_bytes(PDF)
    listing = tmp_path / "list.txt"
    listing.write_text(f"papers/local.pdf\n{paper.as_uri()}\n/etc/hostname\n", encoding="utf-8")
    refs = list_references(f"urls:{listing}", guarded())
    assert [(r.reference, r.kind) for r in refs] == [
        (str(paper), "path"),
        (str(paper), "path"),
        ("/etc/hostname", "path"),
    ]

    refused = [fetch_paper(ref, tmp_path / "staging", guarded()).error for ref in refs]
    assert refused == [
        f"{ref.reference}: refused: urls:{listing} names a local file; pass --allow-local-files to allow"
        for ref in refs
    ]
    allowed = fetch_paper(refs[1], tmp_path / "staging", guarded(allow_local_files=True))
    assert allowed.error is None and allowed.sha256 == hashlib.sha256(PDF).hexdigest()


def test_a_folder_source_needs_no_allowance(tmp_path) -> None:
    (tmp_path / "a.pdf").write_bytes(PDF)
    [ref] = list_references(str(tmp_path), guarded())
    assert fetch_paper(ref, tmp_path / "staging", guarded()).sha256 == hashlib.sha256(PDF).hexdigest()


# --- the allowance's settings ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "allowed"),
    [
        pytest.param(None, False, id="unset"),
        pytest.param("1", True, id="one"),
        pytest.param("true", True, id="true"),
        pytest.param("0", False, id="zero"),
    ],
)
def test_the_allowance_comes_from_propmine_fetch_allow_private(monkeypatch, value, allowed) -> None:
    monkeypatch.delenv("PROPMINE_FETCH_ALLOW_PRIVATE", raising=False)
    if value is not None:
        monkeypatch.setenv("PROPMINE_FETCH_ALLOW_PRIVATE", value)
    assert FetchSettings.from_env().allow_private_hosts is allowed


def test_a_bad_allowance_value_names_the_variable(monkeypatch) -> None:
    monkeypatch.setenv("PROPMINE_FETCH_ALLOW_PRIVATE", "perhaps")
    with pytest.raises(ConfigError, match="^PROPMINE_FETCH_ALLOW_PRIVATE: "):
        FetchSettings.from_env()


def test_a_command_line_flag_only_widens_the_environment() -> None:
    base = FetchSettings()
    assert base.allowing(private_hosts=True).allow_private_hosts is True
    assert base.allowing(local_files=True).allow_local_files is True
    assert FetchSettings(allow_private_hosts=True).allowing(private_hosts=False).allow_private_hosts is True
    assert base.allowing().model_dump() == base.model_dump()
