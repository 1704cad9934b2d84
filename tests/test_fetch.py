"""The paper fetchers against real HTTP servers on 127.0.0.1: downloads, bad papers, arXiv, OpenAlex."""

from __future__ import annotations

import errno
import hashlib
import json
import socket
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pymupdf
import pytest

from flows import fetch
from flows.fetch import HostRateLimiter, fetch_paper, list_references
from schemas.errors import ConfigError, InputError
from schemas.fetch import FetchSettings, PaperRef

USER_AGENT = "propmine-test/1 (mailto:tests@example.org)"
HANG_S = 3.0


def make_pdf(text: str) -> bytes:
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 72), text)
    return doc.tobytes()


PDF = make_pdf("The band gap of ZnO is 3.37 eV.")
PDF2 = make_pdf("The band gap of GaN is 3.4 eV.")
HTML = b"<!DOCTYPE html><html><head><title>Sign in</title></head><body>Please log in.</body></html>"


# --- the fake servers -----------------------------------------------------------------------


class FakeServer(ThreadingHTTPServer):
    """A local web server that serves the routes below and remembers every request."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server_address[1]}"
        self.hits: Counter[str] = Counter()
        self.queries: list[tuple[str, dict[str, str]]] = []
        self.user_agents: list[str | None] = []
        self.stop = threading.Event()
        self._lock = threading.Lock()

    def record(self, path: str, query: dict[str, str], user_agent: str | None) -> int:
        with self._lock:
            self.hits[path] += 1
            self.queries.append((path, query))
            self.user_agents.append(user_agent)
            return self.hits[path]

    def handle_error(self, request, client_address) -> None:
        """Clients that hang up early (timeouts, size limits) are expected here: stay quiet."""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: FakeServer

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        hit = self.server.record(url.path, query, self.headers.get("User-Agent"))
        route = ROUTES.get(url.path)
        if route is None:
            self.reply(404, b"not found", "text/plain")
        else:
            route(self, query, hit)

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


def serve_pdf(h: Handler, query: dict, hit: int) -> None:
    h.reply(200, PDF, "application/pdf")


def serve_pdf2(h: Handler, query: dict, hit: int) -> None:
    h.reply(200, PDF2, "application/pdf; charset=binary")


def serve_429_then_pdf(h: Handler, query: dict, hit: int) -> None:
    if hit == 1:
        h.reply(429, b"slow down", "text/plain", {"Retry-After": "0"})
    else:
        serve_pdf(h, query, hit)


def serve_busy(h: Handler, query: dict, hit: int) -> None:
    h.reply(503, b"busy", "text/plain", {"Retry-After": "120"})


def serve_500(h: Handler, query: dict, hit: int) -> None:
    h.reply(500, b"oops", "text/plain")


def serve_after_hang(h: Handler, query: dict, hit: int) -> None:
    h.server.stop.wait(HANG_S)
    h.reply(200, PDF, "application/pdf")


def serve_html_as_pdf(h: Handler, query: dict, hit: int) -> None:
    h.reply(200, HTML, "application/pdf")


def serve_html(h: Handler, query: dict, hit: int) -> None:
    h.reply(200, HTML, "text/html; charset=utf-8")


def serve_truncated(h: Handler, query: dict, hit: int) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "application/pdf")
    h.send_header("Content-Length", str(len(PDF) + 1000))
    h.end_headers()
    h.wfile.write(PDF[: len(PDF) // 2])
    h.close_connection = True


def serve_huge_undeclared(h: Handler, query: dict, hit: int) -> None:
    # No Content-Length: the body ends when the connection closes, so only counting can stop it.
    h.send_response(200)
    h.send_header("Content-Type", "application/pdf")
    h.send_header("Connection", "close")
    h.end_headers()
    h.close_connection = True
    h.wfile.write(b"%PDF-1.7\n")
    for _ in range(40):
        h.wfile.write(b"0" * 10_000)


def serve_huge_declared(h: Handler, query: dict, hit: int) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "application/pdf")
    h.send_header("Content-Length", str(500 * 2**20))
    h.end_headers()
    h.close_connection = True


ARXIV_ENTRIES = [
    """<entry>
    <id>http://arxiv.org/abs/2401.00001v2</id>
    <published>2024-01-02T18:00:00Z</published>
    <updated>2025-03-04T10:00:00Z</updated>
    <title>Band gaps of
      ZnO thin films</title>
    <author><name>A. Author</name></author>
    <author><name>B.
      Author</name><arxiv:affiliation>Somewhere</arxiv:affiliation></author>
    <arxiv:doi>10.1000/zno.1</arxiv:doi>
    <arxiv:journal_ref>J. Films 12, 34 (2024)</arxiv:journal_ref>
    <link href="http://creativecommons.org/licenses/by/4.0/" rel="license"/>
    <link href="http://arxiv.org/abs/2401.00001v2" rel="alternate" type="text/html"/>
    <link title="pdf" href="{base}/paper.pdf" rel="related" type="application/pdf"/>
  </entry>""",
    """<entry>
    <id>http://arxiv.org/abs/cond-mat/0102536v1</id>
    <title>Nitride semiconductors</title>
    <link href="http://arxiv.org/abs/cond-mat/0102536v1" rel="alternate" type="text/html"/>
    <link href="{base}/paper2.pdf" rel="related" type="application/pdf"/>
  </entry>""",
]
ARXIV_ERROR_ENTRY = """<entry>
    <id>http://arxiv.org/api/errors#malformed_query</id>
    <title>Error</title>
    <summary>malformed query: unbalanced quotes</summary>
  </entry>"""


def serve_arxiv(h: Handler, query: dict, hit: int) -> None:
    if query.get("search_query") == "bad":
        entries = [ARXIV_ERROR_ENTRY]
    else:
        start, count = int(query["start"]), int(query["max_results"])
        entries = [e.format(base=h.server.base) for e in ARXIV_ENTRIES[start : start + count]]
    feed = f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom"
      xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">
  <title>arXiv Query</title>
  <opensearch:totalResults>{len(ARXIV_ENTRIES)}</opensearch:totalResults>
  {"".join(entries)}
</feed>"""
    h.reply(200, feed.encode(), "application/atom+xml; charset=utf-8")


def serve_garbage(h: Handler, query: dict, hit: int) -> None:
    h.reply(200, b"<html><body>Service temporarily unavailable", "text/html")


def serve_openalex(h: Handler, query: dict, hit: int) -> None:
    if query.get("filter") == "bad:filter":
        body = {"error": "Invalid query parameters error.", "message": "bad is not a valid field"}
        h.reply(400, json.dumps(body).encode(), "application/json")
        return
    base = h.server.base
    if query.get("cursor") == "*":
        page = {
            "meta": {"count": 3, "next_cursor": "page2"},
            "results": [
                {
                    "id": "https://openalex.org/W1",
                    "doi": "https://doi.org/10.1000/zno.1",
                    "title": "ZnO films",
                    "publication_year": 2021,
                    "authorships": [
                        {"author": {"display_name": "C. Writer"}},
                        {"author": {}, "raw_author_name": "D. Writer"},
                        {"author": {"display_name": None}},
                    ],
                    "primary_location": {"source": {"display_name": "Journal of Films"}},
                    "best_oa_location": {
                        "pdf_url": f"{base}/paper.pdf",
                        "landing_page_url": "https://example.org/zno",
                        "license": "cc-by",
                    },
                    "locations": [{"landing_page_url": "https://arxiv.org/abs/2101.00001v3", "pdf_url": None}],
                },
                {
                    "id": "https://openalex.org/W2",
                    "doi": None,
                    "title": "Closed access",
                    "best_oa_location": None,
                    "locations": [{"pdf_url": None, "landing_page_url": "https://example.org/w2"}],
                },
            ],
        }
    else:
        page = {
            "meta": {"count": 3, "next_cursor": None},
            "results": [
                {
                    "id": "https://openalex.org/W3",
                    "doi": "https://doi.org/10.1000/gan.2",
                    "title": "GaN",
                    "best_oa_location": {"pdf_url": None},
                    "locations": [{"pdf_url": None}, {"pdf_url": f"{base}/paper2.pdf", "landing_page_url": None}],
                },
            ],
        }
    h.reply(200, json.dumps(page).encode(), "application/json")


ROUTES: dict[str, Callable[[Handler, dict, int], None]] = {
    "/paper.pdf": serve_pdf,
    "/paper2.pdf": serve_pdf2,
    "/flaky.pdf": serve_429_then_pdf,
    "/busy.pdf": serve_busy,
    "/broken.pdf": serve_500,
    "/slow.pdf": serve_after_hang,
    "/html-as-pdf.pdf": serve_html_as_pdf,
    "/landing": serve_html,
    "/truncated.pdf": serve_truncated,
    "/huge.pdf": serve_huge_undeclared,
    "/huge-declared.pdf": serve_huge_declared,
    "/arxiv/api": serve_arxiv,
    "/garbage": serve_garbage,
    "/openalex/works": serve_openalex,
    "/openalex/broken": serve_500,
}


@pytest.fixture
def server() -> Iterator[FakeServer]:
    srv = FakeServer()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield srv
    srv.stop.set()
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def settings(server: FakeServer) -> FetchSettings:
    return FetchSettings(
        arxiv_api=f"{server.base}/arxiv/api",
        openalex_api=f"{server.base}/openalex/works",
        user_agent=USER_AGENT,
        contact_email="tests@example.org",
        timeout_s=0.5,
        max_retries=2,
        backoff_s=0.01,
        min_interval_s=0,
        host_min_interval_s={},
        allow_private_hosts=True,  # the fake servers listen on 127.0.0.1; test_fetch_hosts.py tests the refusal
    )


def url_ref(server: FakeServer, path: str) -> PaperRef:
    return PaperRef(reference=f"{server.base}{path}", kind="url")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- fetch_paper ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "requests"),
    [
        pytest.param("/paper.pdf", 1, id="http_200"),
        pytest.param("/flaky.pdf", 2, id="http_429_then_ok"),
    ],
)
def test_a_pdf_lands_as_its_sha256_and_a_second_fetch_is_cached(server, settings, tmp_path, path, requests) -> None:
    staging = tmp_path / "staging"
    sha256 = hashlib.sha256(PDF).hexdigest()

    first = fetch_paper(url_ref(server, path), staging, settings)
    assert first.error is None and not first.cached
    assert server.hits[path] == requests
    assert first.sha256 == sha256 and first.size_bytes == len(PDF)
    assert first.path == str(staging / f"{sha256}.pdf")
    assert Path(first.path).read_bytes() == PDF

    with fetch.make_client(settings) as client:
        again = fetch_paper(url_ref(server, path), staging, settings, client=client)
    assert again.cached and again.sha256 == sha256 and again.path == first.path
    assert [p.name for p in staging.iterdir()] == [f"{sha256}.pdf"]
    assert server.user_agents == [USER_AGENT] * (requests + 1)


@pytest.mark.parametrize(
    ("path", "overrides", "reason"),
    [
        pytest.param("/missing.pdf", {}, "HTTP 404 Not Found", id="http_404"),
        pytest.param("/broken.pdf", {}, "HTTP 500 Internal Server Error (3 attempts)", id="http_500_always"),
        pytest.param("/slow.pdf", {"max_retries": 1}, "timed out after 0.5 s (2 attempts)", id="timeout"),
        pytest.param("/html-as-pdf.pdf", {}, "not a PDF: the server sent an HTML page", id="html_served_as_pdf"),
        pytest.param("/landing", {}, "served text/html, not a PDF", id="html_content_type"),
        pytest.param("/truncated.pdf", {}, "truncated: the connection dropped", id="truncated_body"),
        pytest.param("/huge.pdf", {"max_pdf_mb": 0.1}, "over the 0.1 MB limit", id="too_large_streamed"),
        pytest.param("/huge-declared.pdf", {}, "500.0 MB is over the 100 MB limit", id="too_large_declared"),
    ],
)
def test_a_bad_paper_gives_a_one_line_error_and_leaves_no_file(
    server, settings, tmp_path, path, overrides, reason
) -> None:
    ref = url_ref(server, path)
    result = fetch_paper(ref, tmp_path, settings.model_copy(update=overrides))
    assert result.error is not None and "\n" not in result.error
    assert result.error.startswith(ref.reference)
    assert reason in result.error
    assert result.path is None and result.sha256 is None
    assert list(tmp_path.iterdir()) == []


def test_server_errors_are_retried_max_retries_times(server, settings, tmp_path) -> None:
    fetch_paper(url_ref(server, "/broken.pdf"), tmp_path, settings)
    assert server.hits["/broken.pdf"] == settings.max_retries + 1


def test_unreachable_and_unusable_urls_are_paper_errors(settings, tmp_path) -> None:
    refused = fetch_paper(PaperRef(reference=f"http://127.0.0.1:{free_port()}/a.pdf", kind="url"), tmp_path, settings)
    assert "cannot connect to 127.0.0.1" in refused.error
    ftp = fetch_paper(PaperRef(reference="ftp://127.0.0.1/a.pdf", kind="url"), tmp_path, settings)
    assert ftp.error.startswith("ftp://127.0.0.1/a.pdf: ") and "unsupported protocol" in ftp.error.lower()


def test_backoff_doubles_and_a_numeric_retry_after_wins_capped(server, settings, tmp_path, monkeypatch) -> None:
    waits: list[float] = []
    monkeypatch.setattr(fetch.time, "sleep", waits.append)
    fetch_paper(url_ref(server, "/broken.pdf"), tmp_path, settings.model_copy(update={"backoff_s": 1.0}))
    assert waits == [1.0, 2.0]
    waits.clear()
    fetch_paper(url_ref(server, "/busy.pdf"), tmp_path, settings)
    assert waits == [60.0, 60.0]


def test_a_full_staging_folder_stops_the_batch(server, settings, tmp_path, monkeypatch) -> None:
    def disk_full(fh, chunk: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(fetch, "_write_chunk", disk_full)
    with pytest.raises(InputError, match="no space left") as caught:
        fetch_paper(url_ref(server, "/paper.pdf"), tmp_path, settings)
    assert str(tmp_path) in str(caught.value) and "--staging" in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_a_path_reference_is_hashed_in_place(settings, tmp_path) -> None:
    paper = tmp_path / "paper.pdf"
    paper.write_bytes(PDF)
    staging = tmp_path / "staging"
    result = fetch_paper(PaperRef(reference=str(paper), kind="path"), staging, settings)
    assert result.path == str(paper) and result.sha256 == hashlib.sha256(PDF).hexdigest()
    assert not staging.exists()
    missing = fetch_paper(PaperRef(reference=str(tmp_path / "gone.pdf"), kind="path"), staging, settings)
    assert missing.error == f"{tmp_path / 'gone.pdf'}: no such file"


# --- politeness and settings ----------------------------------------------------------------


def test_rate_limiter_spaces_requests_per_host(monkeypatch) -> None:
    waits: list[float] = []
    monkeypatch.setattr(fetch.time, "sleep", waits.append)
    limiter = HostRateLimiter()
    threads = [threading.Thread(target=limiter.wait, args=("arxiv.org", 3.0)) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    limiter.wait("api.openalex.org", 3.0)
    assert len(waits) == 2
    assert sorted(round(w) for w in waits) == [3, 6]


def test_arxiv_hosts_get_three_seconds_by_default() -> None:
    assert FetchSettings().interval_for("export.arxiv.org") == 3.0
    assert FetchSettings().interval_for("api.openalex.org") == 1.0
    assert FetchSettings(min_interval_s=5).interval_for("export.arxiv.org") == 5.0


def test_settings_from_environment(monkeypatch) -> None:
    monkeypatch.setenv("PROPMINE_FETCH_ARXIV_API", "http://127.0.0.1:9/api/query")
    monkeypatch.setenv("PROPMINE_FETCH_MAX_RESULTS", "7")
    monkeypatch.setenv("PROPMINE_FETCH_HOST_MIN_INTERVAL_S", "{}")
    found = FetchSettings.from_env()
    assert (found.arxiv_api, found.max_results, found.host_min_interval_s) == ("http://127.0.0.1:9/api/query", 7, {})
    monkeypatch.setenv("PROPMINE_FETCH_TIMEOUT_S", "soon")
    with pytest.raises(ConfigError, match="PROPMINE_FETCH_TIMEOUT_S"):
        FetchSettings.from_env()


def test_retry_after_as_a_date_falls_back_to_backoff() -> None:
    date = httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
    assert fetch._retry_after_s(date) is None
    assert fetch._retry_after_s(httpx.Response(429, headers={"Retry-After": "2"})) == 2.0
    assert fetch._retry_after_s(httpx.Response(429, headers={"Retry-After": "nan"})) is None


# --- list_references ------------------------------------------------------------------------


def test_a_folder_lists_its_pdf_and_text_files_recursively(settings, tmp_path) -> None:
    for name in ("b.pdf", "a.txt", "sub/c.PDF", "notes.md", "sub/image.png"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    refs = list_references(str(tmp_path), settings)
    assert [r.reference for r in refs] == [str(tmp_path / n) for n in ("a.txt", "b.pdf", "sub/c.PDF")]
    assert {r.kind for r in refs} == {"path"}


def test_a_urls_file_skips_comments_and_blank_lines(settings, tmp_path) -> None:
    listing = tmp_path / "papers.txt"
    listing.write_text(
        "# band-gap papers\n\nhttps://example.org/a.pdf\n  papers/local.pdf  \n/abs/b.pdf\n", encoding="utf-8"
    )
    refs = list_references(f"urls:{listing}", settings)
    assert [(r.reference, r.kind) for r in refs] == [
        ("https://example.org/a.pdf", "url"),
        (str(tmp_path / "papers" / "local.pdf"), "path"),
        ("/abs/b.pdf", "path"),
    ]


def test_arxiv_search_lists_and_fetches_pdfs(server, settings, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(fetch, "ARXIV_PAGE_SIZE", 1)
    query = 'all:"band gap" AND cat:cond-mat.mtrl-sci'
    refs = list_references(f"arxiv:{query}", settings)
    assert [(r.arxiv_id, r.doi, r.title) for r in refs] == [
        ("2401.00001v2", "10.1000/zno.1", "Band gaps of ZnO thin films"),
        ("cond-mat/0102536v1", None, "Nitride semiconductors"),
    ]
    assert refs[0].landing_url == "http://arxiv.org/abs/2401.00001v2"
    first, second = (ref.metadata() for ref in refs)
    assert first is not None and second is not None
    assert (first.authors, first.year, first.venue) == (["A. Author", "B. Author"], 2024, "J. Films 12, 34 (2024)")
    assert (first.licence, first.origin) == ("http://creativecommons.org/licenses/by/4.0/", "arxiv")
    # what arXiv did not give stays empty: a preprint without a journal reference has no venue
    assert (second.authors, second.year, second.venue, second.licence) == ([], None, None, None)
    api_calls = [q for path, q in server.queries if path == "/arxiv/api"]
    assert [(q["search_query"], q["start"]) for q in api_calls] == [(query, "0"), (query, "1")]

    fetched = [fetch_paper(ref, tmp_path, settings) for ref in refs]
    assert [f.sha256 for f in fetched] == [hashlib.sha256(PDF).hexdigest(), hashlib.sha256(PDF2).hexdigest()]
    assert set(server.user_agents) == {USER_AGENT}


def test_arxiv_search_stops_at_max_results(server, settings) -> None:
    refs = list_references("arxiv:all:ZnO", settings.model_copy(update={"max_results": 1}))
    assert [r.arxiv_id for r in refs] == ["2401.00001v2"]
    assert server.hits["/arxiv/api"] == 1


def test_openalex_filter_pages_by_cursor_and_skips_works_without_pdf(server, settings) -> None:
    refs = list_references("openalex:title.search:perovskite,is_oa:true", settings)
    assert [(r.reference, r.doi, r.title) for r in refs] == [
        (f"{server.base}/paper.pdf", "10.1000/zno.1", "ZnO films"),
        (f"{server.base}/paper2.pdf", "10.1000/gan.2", "GaN"),
    ]
    assert refs[0].landing_url == "https://example.org/zno"
    first, second = (ref.metadata() for ref in refs)
    assert first is not None and second is not None
    assert (first.authors, first.year, first.venue) == (["C. Writer", "D. Writer"], 2021, "Journal of Films")
    assert (first.licence, first.arxiv_id, first.origin) == ("cc-by", "2101.00001v3", "openalex")
    assert (second.authors, second.year, second.venue, second.licence, second.arxiv_id) == ([], None, None, None, None)
    calls = [q for path, q in server.queries if path == "/openalex/works"]
    assert [q["cursor"] for q in calls] == ["*", "page2"]
    assert {(q["filter"], q["mailto"]) for q in calls} == {("title.search:perovskite,is_oa:true", "tests@example.org")}


@pytest.mark.parametrize(
    ("source", "overrides", "message"),
    [
        pytest.param("ftp:papers", {}, "unknown source prefix 'ftp:'", id="unknown_prefix"),
        pytest.param("{tmp}/nowhere", {}, "no such folder", id="missing_folder"),
        pytest.param("urls:{tmp}/list.txt", {}, "no such file", id="missing_urls_file"),
        pytest.param("arxiv:  ", {}, "query is empty", id="empty_query"),
        pytest.param("arxiv:all:ZnO", {"arxiv_api": "{base}/garbage"}, "not an Atom feed", id="arxiv_garbage"),
        pytest.param("arxiv:bad", {}, "arXiv rejected the query: malformed query", id="arxiv_error_feed"),
        pytest.param("openalex:is_oa:true", {"openalex_api": "{base}/garbage"}, "not JSON", id="openalex_garbage"),
        pytest.param(
            "openalex:is_oa:true",
            {"openalex_api": "{base}/openalex/broken"},
            "HTTP 500 Internal Server Error (3 attempts)",
            id="openalex_failing",
        ),
        pytest.param(
            "openalex:bad:filter", {}, "HTTP 400 Bad Request: bad is not a valid field", id="openalex_rejects_filter"
        ),
    ],
)
def test_an_unusable_source_is_an_input_error(server, settings, tmp_path, source, overrides, message) -> None:
    fill = {"tmp": str(tmp_path), "base": server.base}
    update = {k: v.format(**fill) for k, v in overrides.items()}
    with pytest.raises(InputError, match="^[^\n]*$") as caught:
        list_references(source.format(**fill), settings.model_copy(update=update))
    assert message in str(caught.value)
