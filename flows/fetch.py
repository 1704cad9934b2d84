"""Paper fetchers for the batch flow: a SOURCE becomes paper references, a reference a local file.

Every request is polite: it carries a User-Agent, waits out a minimum interval per host, and
retries rate limits, server errors, timeouts and dropped connections with exponential backoff.
A bad paper gives a FetchedPaper with an `error`; only a staging folder that cannot be written
(for instance a full disk) stops the batch.

Every request is also guarded, because the URLs come from the open web (a urls: list, an arXiv or
OpenAlex answer, a redirect): unless `allow_private_hosts`, a host that is or resolves to a
loopback, private, link-local or other non-public address is refused, before the first request
and on every redirect (redirects are followed here, one hop at a time), and the client of
`make_client` connects only to the addresses it has just checked, so a DNS answer that changes
in between cannot slip through. Each download (and each API call) has a total deadline,
`download_deadline_s`, besides the per-read `timeout_s`: a server dripping one byte at a time
cannot hold a worker.
"""

from __future__ import annotations

import errno
import hashlib
import ipaddress
import logging
import os
import re
import socket
import ssl
import tempfile
import threading
import time
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import httpcore
import httpx

from extractors.documents.papers import sha256_file
from schemas.errors import InputError
from schemas.fetch import FetchedPaper, FetchSettings, PaperRef

logger = logging.getLogger(__name__)

SOURCE_HELP = "use a folder, urls:FILE, arxiv:QUERY or openalex:FILTER"
FOLDER_SUFFIXES = {".pdf", ".txt"}
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_WAIT_S = 60.0
MAX_REDIRECTS = 10
PDF_MAGIC = b"%PDF-"
# PDF readers (and extractors.documents.papers.open_paper) accept the header anywhere in the first KiB.
HEAD_BYTES = 1024
# Content types that are never a PDF: a landing page, a login wall or an API error.
NOT_PDF_TYPES = frozenset({"text/html", "application/xhtml+xml", "application/json"})
ARXIV_PAGE_SIZE = 100
OPENALEX_PAGE_SIZE = 200  # the most OpenAlex gives per page
OPENALEX_FIELDS = (
    "id,doi,title,display_name,publication_year,authorships,primary_location,best_oa_location,locations,ids"
)
# OpenAlex names an arXiv copy by its landing page; the id is the page's last path part(s).
_ARXIV_ABS = re.compile(r"^https?://(?:www\.|export\.)?arxiv\.org/abs/(.+?)/?$", re.IGNORECASE)
_YEAR = re.compile(r"^(\d{4})-")
ATOM = {
    "atom": "http://www.w3.org/2005/Atom",
    "arxiv": "http://arxiv.org/schemas/atom",
    "opensearch": "http://a9.com/-/spec/opensearch/1.1/",
}
_URL_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_PREFIX = re.compile(r"[A-Za-z][\w.+-]*")
_SECONDS = re.compile(r"\d+(\.\d+)?")
PRIVATE_HINT = "pass --allow-private-hosts to allow"
LOCAL_FILES_HINT = "pass --allow-local-files to allow"
# NAT64 gateways map this prefix onto IPv4 addresses, 64:ff9b::7f00:1 onto 127.0.0.1 included.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class HostRateLimiter:
    """Spaces requests to the same host at least an interval apart, across threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next_s: dict[str, float] = {}

    def wait(self, host: str, interval_s: float) -> None:
        """Block until this caller's turn for `host` has come."""
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next_s.get(host, now))
            self._next_s[host] = start + interval_s
        # Each caller has reserved its own slot, so it sleeps outside the lock: other hosts go on.
        if start > now:
            time.sleep(start - now)


_LIMITER = HostRateLimiter()


class _RequestFailed(Exception):
    """No usable response after all retries; str() is the one-line reason."""


class _BadDownload(Exception):
    """The body is not a PDF we keep; str() is the one-line reason."""


class _Refused(Exception):
    """A request to a non-public address without the allowance; str() is the one-line reason."""


# --- private addresses ----------------------------------------------------------------------


def address_kind(address: IPAddress) -> str | None:
    """What makes an address non-public ('loopback', 'private', 'link-local', ...), or None for a public one.

    An IPv6 address that carries an IPv4 one (IPv4-mapped ::ffff:a.b.c.d, 6to4, NAT64) is judged by
    the IPv4 address it reaches: Python 3.11 judges the IPv6 form, for which ::ffff:127.0.0.1 is not loopback.
    """
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return address_kind(embedded)
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
        ("non-public", not address.is_global),  # e.g. shared address space 100.64.0.0/10
    )
    return next((kind for kind, hit in checks if hit), None)


def _resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, in the resolver's order (raises socket.gaierror)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _ip_literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]").partition("%")[0])
    except ValueError:
        return None


def public_addresses(host: str, port: int) -> list[str]:
    """The addresses to connect to for `host`, every one of them checked to be public.

    Raises:
        _Refused: the host is, or resolves to (any of its addresses), a non-public address.
        socket.gaierror: the host does not resolve.
    """
    literal = _ip_literal(host)
    if literal is not None:
        kind = address_kind(literal)
        if kind:
            raise _Refused(f"refused: {host} is {_a(kind)} address; {PRIVATE_HINT}")
        return [str(literal)]
    addresses = _resolve(host, port)
    for address in addresses:
        kind = address_kind(ipaddress.ip_address(address.partition("%")[0]))
        if kind:
            raise _Refused(f"refused: {host} resolves to {_a(kind)} address {address}; {PRIVATE_HINT}")
    return addresses


def _a(word: str) -> str:
    return f"{'an' if word[0] in 'aeiou' else 'a'} {word}"


def _check_url_host(url: httpx.URL, settings: FetchSettings) -> None:
    """Refuse a request URL whose host is not public (unless allowed); before any byte is sent."""
    if settings.allow_private_hosts or url.scheme not in ("http", "https"):
        return  # other schemes fail in httpx as unsupported, with their own message
    port = url.port or (443 if url.scheme == "https" else 80)
    public_addresses(url.raw_host.decode("ascii"), port)


# --- the total deadline ---------------------------------------------------------------------

_DEADLINE = threading.local()  # .at: time.monotonic() by which the current thread's request must be done


@contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    """Give this thread's requests until now + seconds; the guarded streams clip every socket wait to it."""
    previous: float | None = getattr(_DEADLINE, "at", None)
    at = time.monotonic() + seconds
    _DEADLINE.at = at if previous is None else min(at, previous)
    try:
        yield
    finally:
        _DEADLINE.at = previous


def _remaining_s() -> float | None:
    at: float | None = getattr(_DEADLINE, "at", None)
    return None if at is None else at - time.monotonic()


def _past_deadline() -> bool:
    remaining = _remaining_s()
    return remaining is not None and remaining <= 0


def _deadline_text(settings: FetchSettings) -> str:
    return f"download took longer than {settings.download_deadline_s:g} s (download_deadline_s)"


def _clip(timeout: float | None, expired: type[httpcore.TimeoutException]) -> float | None:
    """A socket timeout no longer than what is left of the deadline (raises `expired` when none is)."""
    remaining = _remaining_s()
    if remaining is None:
        return timeout
    if remaining <= 0:
        raise expired("the download deadline has passed")
    return remaining if timeout is None else min(timeout, remaining)


class _GuardedStream(httpcore.NetworkStream):
    """A connection whose every read and write waits at most until the deadline."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _clip(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _clip(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        tls = self._stream.start_tls(ssl_context, server_hostname, _clip(timeout, httpcore.ConnectTimeout))
        return _GuardedStream(tls)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _GuardedBackend(httpcore.NetworkBackend):
    """Connects only to public addresses, the very ones it has just checked (no second DNS answer).

    A check before the request alone would leave a gap: a name that resolves to a public address
    for the check and to 127.0.0.1 for the connection (DNS rebinding).
    """

    def __init__(self, allow_private: bool) -> None:
        self._allow_private = allow_private
        self._backend = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _clip(timeout, httpcore.ConnectTimeout)
        if self._allow_private:
            addresses = [host]
        else:
            try:
                addresses = public_addresses(host, port)
            except socket.gaierror as err:
                raise httpcore.ConnectError(str(err)) from err
        failure: httpcore.ConnectError | None = None
        for address in addresses:
            try:
                stream = self._backend.connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as err:
                failure = err
                continue
            return _GuardedStream(stream)
        raise failure or httpcore.ConnectError(f"{host} has no address")

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("propmine does not fetch over Unix sockets")

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


class _GuardedTransport(httpx.HTTPTransport):
    """httpx's own transport over `_GuardedBackend` (httpx takes no network backend, so its pool is replaced)."""

    def __init__(self, allow_private: bool) -> None:
        super().__init__()
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)  # httpx's defaults
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_GuardedBackend(allow_private),
        )


def _proxy_configured() -> bool:
    """Whether the environment names an HTTP(S) proxy (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY), as httpx reads it."""
    return any(scheme in urllib.request.getproxies() for scheme in ("http", "https", "all"))


def make_client(settings: FetchSettings) -> httpx.Client:
    """An HTTP client to share across many fetches (it reuses connections); close it when done.

    It connects only to public addresses unless `allow_private_hosts`, and clips every socket wait
    to the current download's deadline. With a proxy in the environment the proxy connects, so
    only the check before each request (on the host name, resolved here) applies.
    """
    headers = {"User-Agent": settings.user_agent}
    if _proxy_configured():
        return httpx.Client(headers=headers, timeout=settings.timeout_s, follow_redirects=False)
    transport = _GuardedTransport(settings.allow_private_hosts)
    return httpx.Client(headers=headers, timeout=settings.timeout_s, follow_redirects=False, transport=transport)


@contextmanager
def _client_or_new(client: httpx.Client | None, settings: FetchSettings) -> Iterator[httpx.Client]:
    if client is not None:
        yield client
        return
    with make_client(settings) as own:
        yield own


# --- requests -------------------------------------------------------------------------------


def _send(
    client: httpx.Client, url: str, settings: FetchSettings, params: dict[str, Any] | None = None
) -> httpx.Response:
    """GET a URL politely, following redirects and retrying transient failures; the body is left unread.

    Redirects are followed here, one hop at a time, so every hop's host is checked (and rate
    limited) like the first. Call it inside `_deadline`: a timeout past the deadline is final.

    Returns:
        The first response that is neither a redirect nor retryable (the caller closes it).

    Raises:
        _RequestFailed: every attempt timed out, failed to connect or got a retryable status, a
            host was refused, the deadline passed, or the URL cannot be requested at all.
    """
    try:
        request = client.build_request("GET", url, params=params, headers={"User-Agent": settings.user_agent})
    except (httpx.InvalidURL, httpx.UnsupportedProtocol) as err:
        raise _RequestFailed(f"not a usable URL ({err})") from err
    for _ in range(MAX_REDIRECTS + 1):
        response = _send_hop(client, request, settings)
        if response.next_request is None:
            return response
        response.close()
        request = response.next_request
    raise _RequestFailed(f"more than {MAX_REDIRECTS} redirects")


def _send_hop(client: httpx.Client, request: httpx.Request, settings: FetchSettings) -> httpx.Response:
    """One request (no redirect followed), retried on transient failures; see `_send`."""
    host = request.url.host
    attempts = settings.max_retries + 1
    attempt = 0
    while True:
        attempt += 1
        try:
            _check_url_host(request.url, settings)
            _LIMITER.wait(host, settings.interval_for(host))
            response = client.send(request, stream=True, follow_redirects=False)
        except _Refused as err:
            raise _RequestFailed(str(err)) from err
        except socket.gaierror as err:  # the check's own lookup; httpx would say the same as a ConnectError
            reason = f"cannot connect to {host} ({err})"
            if attempt == attempts:
                raise _RequestFailed(f"{reason} ({attempts} attempts)") from err
            delay = _backoff_s(attempt, settings)
        except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as err:
            if _past_deadline():
                raise _RequestFailed(_deadline_text(settings)) from err
            reason = _transport_reason(err, host, settings)
            if attempt == attempts:
                raise _RequestFailed(f"{reason} ({attempts} attempts)") from err
            delay = _backoff_s(attempt, settings)
        except httpx.HTTPError as err:
            raise _RequestFailed(f"{type(err).__name__}: {err}") from err
        else:
            if response.status_code not in RETRY_STATUSES:
                return response
            response.close()
            reason = _status_text(response)
            if attempt == attempts:
                raise _RequestFailed(f"{reason} ({attempts} attempts)")
            retry_after = _retry_after_s(response) if response.status_code in (429, 503) else None
            delay = _backoff_s(attempt, settings) if retry_after is None else retry_after
        remaining = _remaining_s()
        if remaining is not None and delay >= remaining:
            raise _RequestFailed(f"{reason}; no retry: it would pass the {settings.download_deadline_s:g} s deadline")
        logger.warning("%s: %s; retry %d/%d in %.1f s", request.url, reason, attempt, attempts - 1, delay)
        time.sleep(delay)


def _backoff_s(attempt: int, settings: FetchSettings) -> float:
    return min(settings.backoff_s * 2 ** (attempt - 1), MAX_WAIT_S)


def _retry_after_s(response: httpx.Response) -> float | None:
    """A Retry-After given in seconds (capped); None for a date or nothing, so backoff applies."""
    value = response.headers.get("retry-after", "").strip()
    if not _SECONDS.fullmatch(value):
        return None
    return min(float(value), MAX_WAIT_S)


def _transport_reason(err: httpx.HTTPError, host: str, settings: FetchSettings) -> str:
    if isinstance(err, httpx.TimeoutException):
        return f"timed out after {settings.timeout_s:g} s"
    if isinstance(err, httpx.ConnectError):
        return f"cannot connect to {host} ({err})"
    return f"the connection dropped ({err})"


def _status_text(response: httpx.Response) -> str:
    return f"HTTP {response.status_code} {response.reason_phrase}".rstrip()


# --- one paper ------------------------------------------------------------------------------


def fetch_paper(
    ref: PaperRef, staging_dir: Path, settings: FetchSettings, client: httpx.Client | None = None
) -> FetchedPaper:
    """Make one reference a local file with its sha256; a bad paper gives `error`, never an exception.

    A path is hashed where it is (one named by a urls: list only with `allow_local_files`). A
    URL is downloaded into `staging_dir` as `<sha256>.pdf` (content-addressed: the same bytes
    twice leave one file, and the second fetch is `cached`), within `download_deadline_s`, from
    public hosts only unless `allow_private_hosts`.

    Args:
        client: an HTTP client to reuse (see `make_client`); a new one per call when None.

    Raises:
        InputError: the staging folder cannot be created or written, e.g. the disk is full;
            that stops a whole batch, not one paper.
    """
    clock = time.perf_counter()
    if ref.kind == "path":
        if ref.listed_in and not settings.allow_local_files:
            return _failed(ref, f"refused: {ref.listed_in} names a local file; {LOCAL_FILES_HINT}")
        fetched = _hash_local(ref)
    else:
        staging_dir = Path(staging_dir)
        try:
            staging_dir.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise _staging_error(staging_dir, err) from err
        with _client_or_new(client, settings) as http, _deadline(settings.download_deadline_s):
            fetched = _download(http, ref, staging_dir, settings)
    fetched.seconds = round(time.perf_counter() - clock, 4)
    return fetched


def _failed(ref: PaperRef, reason: str) -> FetchedPaper:
    error = f"{ref.reference}: {reason}"
    logger.warning("%s", error)
    return FetchedPaper(ref=ref, error=error)


def _hash_local(ref: PaperRef) -> FetchedPaper:
    path = Path(ref.reference)
    if not path.exists():
        return _failed(ref, "no such file")
    if not path.is_file():
        return _failed(ref, "not a file")
    try:
        return FetchedPaper(ref=ref, path=str(path), sha256=sha256_file(path), size_bytes=path.stat().st_size)
    except OSError as err:
        return _failed(ref, f"cannot read the file ({err.strerror or err})")


def _download(client: httpx.Client, ref: PaperRef, staging_dir: Path, settings: FetchSettings) -> FetchedPaper:
    try:
        response = _send(client, ref.reference, settings)
    except _RequestFailed as err:
        return _failed(ref, str(err))
    try:
        problem = _header_problem(response, settings)
        if problem:
            return _failed(ref, problem)
        return _save_body(response, ref, staging_dir, settings)
    finally:
        response.close()


def _header_problem(response: httpx.Response, settings: FetchSettings) -> str | None:
    """Why the status or headers already rule the download out, or None."""
    if not response.is_success:
        return _status_text(response)
    media_type = response.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type in NOT_PDF_TYPES:
        return f"served {media_type}, not a PDF (a landing or login page?)"
    declared = _content_length(response)
    if declared is not None and declared > settings.max_pdf_mb * 2**20:
        return f"{declared / 2**20:.1f} MB is over the {settings.max_pdf_mb:g} MB limit (max_pdf_mb); not downloaded"
    return None


def _content_length(response: httpx.Response) -> int | None:
    try:
        return int(response.headers["content-length"])
    except (KeyError, ValueError):
        return None


def _save_body(response: httpx.Response, ref: PaperRef, staging_dir: Path, settings: FetchSettings) -> FetchedPaper:
    """Stream the body to a temporary file, check it, and keep it as `<sha256>.pdf`."""
    try:
        fd, name = tempfile.mkstemp(dir=staging_dir, prefix=".partial-", suffix=".pdf")
    except OSError as err:
        raise _staging_error(staging_dir, err) from err
    partial = Path(name)
    try:
        with os.fdopen(fd, "wb") as fh:
            sha256, size = _copy_body(response, fh, settings)
        return _keep(partial, staging_dir, ref, sha256, size)
    except _BadDownload as err:
        return _failed(ref, str(err))
    except OSError as err:
        raise _staging_error(staging_dir, err) from err
    finally:
        partial.unlink(missing_ok=True)


def _copy_body(response: httpx.Response, fh: IO[bytes], settings: FetchSettings) -> tuple[str, int]:
    """Write the body to `fh` while hashing and checking it.

    Returns:
        The sha256 (hex) and size of the body.

    Raises:
        _BadDownload: not a PDF, over max_pdf_mb, truncated, past the deadline, or the connection
            failed midway. A body that breaks off is not retried: the next batch run tries the paper again.
    """
    limit = settings.max_pdf_mb * 2**20
    digest = hashlib.sha256()
    head = b""
    size = 0
    try:
        # Chunks as they arrive (no re-chunking, which would wait for 64 KiB), so the deadline is checked
        # on every one even when the client is not `make_client`'s, whose reads stop at the deadline.
        for chunk in response.iter_bytes():
            if _past_deadline():
                raise _BadDownload(_deadline_text(settings))
            if len(head) < HEAD_BYTES:
                head += chunk[: HEAD_BYTES - len(head)]
                if len(head) == HEAD_BYTES:
                    _check_pdf_head(head)
            size += len(chunk)
            if size > limit:
                raise _BadDownload(f"over the {settings.max_pdf_mb:g} MB limit (max_pdf_mb); stopped and discarded")
            digest.update(chunk)
            _write_chunk(fh, chunk)
    except httpx.TimeoutException as err:
        if _past_deadline():
            raise _BadDownload(_deadline_text(settings)) from err
        raise _BadDownload(f"timed out mid-download (no data for {settings.timeout_s:g} s)") from err
    except httpx.DecodingError as err:
        raise _BadDownload(f"the body does not decode ({err})") from err
    except httpx.HTTPError as err:
        raise _BadDownload(f"truncated: the connection dropped mid-download ({err})") from err
    expected = _content_length(response)
    if expected is not None and response.num_bytes_downloaded < expected:
        raise _BadDownload(f"truncated: {response.num_bytes_downloaded} of {expected} bytes arrived")
    _check_pdf_head(head)
    return digest.hexdigest(), size


def _write_chunk(fh: IO[bytes], chunk: bytes) -> None:
    fh.write(chunk)


def _check_pdf_head(head: bytes) -> None:
    if PDF_MAGIC in head:
        return
    if not head:
        raise _BadDownload("not a PDF: the body is empty")
    start = head.lstrip()[:15].lower()
    if start.startswith((b"<!doctype html", b"<html")):
        raise _BadDownload("not a PDF: the server sent an HTML page")
    raise _BadDownload(f"not a PDF: no %PDF- header (starts with {head[:12]!r})")


def _keep(partial: Path, staging_dir: Path, ref: PaperRef, sha256: str, size: int) -> FetchedPaper:
    final = staging_dir / f"{sha256}.pdf"
    cached = final.exists()
    if not cached:
        os.replace(partial, final)
    logger.info("%s: %s (%d bytes%s)", ref.reference, final.name, size, ", cached" if cached else "")
    return FetchedPaper(ref=ref, path=str(final), sha256=sha256, size_bytes=size, cached=cached)


def _staging_error(staging_dir: Path, err: OSError) -> InputError:
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        return InputError(
            f"staging folder {staging_dir} is full (no space left on device); free space or pass another --staging dir"
        )
    return InputError(f"staging folder {staging_dir}: {err.strerror or err}; pass another --staging dir")


# --- sources --------------------------------------------------------------------------------


def list_references(source: str, settings: FetchSettings, client: httpx.Client | None = None) -> list[PaperRef]:
    """The papers a batch SOURCE names: a folder, `urls:FILE`, `arxiv:QUERY` or `openalex:FILTER`.

    Args:
        source: a folder (its *.pdf and *.txt, recursively, sorted); `urls:FILE`, a text file
            with one URL or path per line (relative paths are relative to FILE's folder; blank
            lines and `#` lines are skipped; a path or file:// URL is read only with
            `allow_local_files`, else that paper fails as refused); `arxiv:QUERY`, an arXiv API search query;
            `openalex:FILTER`, an OpenAlex works filter (works without an open PDF are skipped).
        client: an HTTP client to reuse; a new one when None.

    Raises:
        InputError: the folder or list is missing, the prefix is unknown, or a search API
            answered something unusable or kept failing.
    """
    prefix, colon, rest = source.partition(":")
    kind = prefix.strip().lower() if colon else ""
    if kind == "urls":
        return _list_urls_file(Path(rest.strip()).expanduser())  # fetch_paper applies allow_local_files
    if kind in ("arxiv", "openalex"):
        query = rest.strip()
        if not query:
            raise InputError(f"{source}: the {kind} query is empty")
        search = _search_arxiv if kind == "arxiv" else _search_openalex
        with _client_or_new(client, settings) as http:
            refs = search(http, query, settings)  # each API call has its own deadline (_get_api)
        logger.info("%s: %d papers with a PDF link", source, len(refs))
        return refs
    folder = Path(source).expanduser()
    if folder.is_dir():
        return _list_folder(folder)
    if folder.exists():
        raise InputError(f"{source}: is a file, not a folder; {SOURCE_HELP}")
    if colon and _PREFIX.fullmatch(prefix):
        raise InputError(f"{source}: unknown source prefix '{prefix}:'; {SOURCE_HELP}")
    raise InputError(f"{source}: no such folder; {SOURCE_HELP}")


def _list_folder(folder: Path) -> list[PaperRef]:
    paths = sorted(p for p in folder.rglob("*") if p.suffix.lower() in FOLDER_SUFFIXES and p.is_file())
    if not paths:
        logger.warning("%s: no .pdf or .txt files in this folder", folder)
    return [PaperRef(reference=str(p), kind="path") for p in paths]


def _list_urls_file(path: Path) -> list[PaperRef]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as err:
        raise InputError(f"urls:{path}: no such file") from err
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"urls:{path}: cannot read the list ({err})") from err
    refs = []
    listed_in = f"urls:{path}"
    for line in text.splitlines():
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        local = _file_url_path(entry)
        if local is None and _URL_SCHEME.match(entry):
            refs.append(PaperRef(reference=entry, kind="url"))
            continue
        local = local or Path(entry).expanduser()
        reference = str(local if local.is_absolute() else path.parent / local)
        refs.append(PaperRef(reference=reference, kind="path", listed_in=listed_in))
    return refs


def _file_url_path(entry: str) -> Path | None:
    """The local path of a file:// URL (file:///a/b.pdf, file://localhost/a/b.pdf), else None."""
    if not entry.lower().startswith("file://"):
        return None
    parts = urlsplit(entry)
    if parts.netloc.lower() not in ("", "localhost"):
        return None  # a file on another machine: left a URL, which fails as an unsupported protocol
    return Path(urllib.request.url2pathname(parts.path))


def _get_api(
    client: httpx.Client, url: str, params: dict[str, Any], settings: FetchSettings, api: str
) -> httpx.Response:
    """A search API's answer, read in full.

    Raises:
        InputError: no answer after the retries, or an error status (with the API's own message).
    """
    with _deadline(settings.download_deadline_s):
        try:
            response = _send(client, url, settings, params)
        except _RequestFailed as err:
            raise InputError(f"{api} API at {url}: {err}") from err
        try:
            response.read()
        except httpx.HTTPError as err:
            reason = _deadline_text(settings) if _past_deadline() else f"the answer broke off ({err})"
            raise InputError(f"{api} API at {url}: {reason}") from err
        finally:
            response.close()
    if not response.is_success:
        detail = _api_message(response)
        raise InputError(f"{api} API at {url}: {_status_text(response)}" + (f": {detail}" if detail else ""))
    return response


def _api_message(response: httpx.Response) -> str | None:
    """The message in an API's error answer (OpenAlex JSON, arXiv Atom), on one line."""
    try:
        body = response.json()
        if isinstance(body, dict):
            return _one_line(str(body.get("message") or body.get("error") or "")) or None
    except ValueError:
        pass
    try:
        root = ET.fromstring(response.content)
    except ET.ParseError:
        return None
    return _one_line(root.findtext("atom:entry/atom:summary", "", ATOM)) or None


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def _search_arxiv(client: httpx.Client, query: str, settings: FetchSettings) -> list[PaperRef]:
    refs: list[PaperRef] = []
    start = 0
    while len(refs) < settings.max_results:
        page_size = min(ARXIV_PAGE_SIZE, settings.max_results - len(refs))
        params = {"search_query": query, "start": start, "max_results": page_size}
        feed = _get_atom_feed(client, params, settings)
        entries = feed.findall("atom:entry", ATOM)
        if not entries:
            break
        refs.extend(ref for ref in map(_arxiv_ref, entries) if ref is not None)
        start += len(entries)
        total = feed.findtext("opensearch:totalResults", "", ATOM).strip()
        if total.isdigit() and start >= int(total):
            break
    return refs[: settings.max_results]


def _get_atom_feed(client: httpx.Client, params: dict[str, Any], settings: FetchSettings) -> ET.Element:
    url = settings.arxiv_api
    response = _get_api(client, url, params, settings, "arXiv")
    try:
        feed = ET.fromstring(response.content)
    except ET.ParseError as err:
        raise InputError(f"arXiv API at {url}: the answer is not an Atom feed ({err})") from err
    if feed.tag != f"{{{ATOM['atom']}}}feed":
        raise InputError(f"arXiv API at {url}: the answer is not an Atom feed (root <{feed.tag}>)")
    # arXiv reports a bad query as a feed with one entry whose id points into /api/errors.
    for entry in feed.findall("atom:entry", ATOM):
        if "/api/errors" in entry.findtext("atom:id", "", ATOM):
            message = _one_line(entry.findtext("atom:summary", "", ATOM))
            raise InputError(f"arXiv rejected the query: {message or 'no reason given'}")
    return feed


def _arxiv_ref(entry: ET.Element) -> PaperRef | None:
    entry_id = entry.findtext("atom:id", "", ATOM).strip()
    links = entry.findall("atom:link", ATOM)
    pdf = next(
        (ln.get("href") for ln in links if ln.get("title") == "pdf" or ln.get("type") == "application/pdf"), None
    )
    if not pdf:
        logger.warning("arXiv entry %s has no PDF link; skipped", entry_id)
        return None
    landing = next((ln.get("href") for ln in links if ln.get("rel") == "alternate"), None)
    licence = next((ln.get("href") for ln in links if ln.get("rel") == "license"), None)
    published = _YEAR.match(entry.findtext("atom:published", "", ATOM).strip())
    return PaperRef(
        reference=pdf,
        kind="url",
        arxiv_id=entry_id.rpartition("/abs/")[2] or None,
        doi=_one_line(entry.findtext("arxiv:doi", "", ATOM)) or None,
        title=_one_line(entry.findtext("atom:title", "", ATOM)) or None,
        landing_url=landing or entry_id or None,
        authors=[
            name for a in entry.findall("atom:author", ATOM) if (name := _one_line(a.findtext("atom:name", "", ATOM)))
        ],
        year=int(published[1]) if published else None,
        # arXiv gives a venue only where the authors added a journal reference; a preprint has none.
        venue=_one_line(entry.findtext("arxiv:journal_ref", "", ATOM)) or None,
        licence=_text(licence) or _one_line(entry.findtext("arxiv:license", "", ATOM)) or None,
        origin="arxiv",
    )


def _search_openalex(client: httpx.Client, filter_: str, settings: FetchSettings) -> list[PaperRef]:
    url = settings.openalex_api
    refs: list[PaperRef] = []
    cursor: str | None = "*"
    while cursor and len(refs) < settings.max_results:
        params = {
            "filter": filter_,
            "per-page": min(OPENALEX_PAGE_SIZE, settings.max_results),
            "cursor": cursor,
            "select": OPENALEX_FIELDS,
        }
        if settings.contact_email:
            params["mailto"] = settings.contact_email
        response = _get_api(client, url, params, settings, "OpenAlex")
        try:
            page = response.json()
        except ValueError as err:
            raise InputError(f"OpenAlex API at {url}: the answer is not JSON") from err
        works = page.get("results") if isinstance(page, dict) else None
        if not isinstance(works, list):
            raise InputError(f"OpenAlex API at {url}: the answer has no list of works ('results')")
        if not works:
            break
        refs.extend(ref for ref in map(_openalex_ref, works) if ref is not None)
        cursor = _as_dict(page.get("meta")).get("next_cursor")
    return refs[: settings.max_results]


def _as_dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str | None:
    """A non-blank string on one line, or None for anything else."""
    if not isinstance(value, str):
        return None
    return _one_line(value) or None


def _openalex_ref(work: object) -> PaperRef | None:
    """The work's best open-access PDF (else the first location with one), or None."""
    work = _as_dict(work)
    locations = work.get("locations")
    candidates = [_as_dict(work.get("best_oa_location"))]
    candidates += [_as_dict(loc) for loc in (locations if isinstance(locations, list) else [])]
    location = next((loc for loc in candidates if _text(loc.get("pdf_url"))), None)
    if location is None:
        logger.debug("OpenAlex work %s has no PDF URL; skipped", work.get("id"))
        return None
    doi = _text(work.get("doi"))
    year = work.get("publication_year")
    return PaperRef(
        reference=location["pdf_url"].strip(),
        kind="url",
        doi=re.sub(r"^https?://(dx\.)?doi\.org/", "", doi) if doi else None,
        title=_text(work.get("title")) or _text(work.get("display_name")),
        landing_url=_text(location.get("landing_page_url")) or _text(work.get("id")),
        authors=_openalex_authors(work.get("authorships")),
        year=year if isinstance(year, int) and not isinstance(year, bool) else None,
        venue=_text(_as_dict(_as_dict(work.get("primary_location")).get("source")).get("display_name")),
        arxiv_id=_openalex_arxiv_id(work, candidates),
        licence=_text(location.get("license")),  # the licence of the copy that is downloaded
        origin="openalex",
    )


def _openalex_authors(authorships: object) -> list[str]:
    names = []
    for authorship in authorships if isinstance(authorships, list) else []:
        authorship = _as_dict(authorship)
        name = _text(_as_dict(authorship.get("author")).get("display_name")) or _text(authorship.get("raw_author_name"))
        if name:
            names.append(name)
    return names


def _openalex_arxiv_id(work: dict[str, Any], locations: list[dict[str, Any]]) -> str | None:
    """The arXiv id of a work with an arXiv copy (its ids, else a location's arxiv.org/abs page), or None."""
    urls = [_text(_as_dict(work.get("ids")).get("arxiv"))] + [_text(loc.get("landing_page_url")) for loc in locations]
    for url in urls:
        found = _ARXIV_ABS.match(url or "")
        if found:
            return found[1]
    return None
