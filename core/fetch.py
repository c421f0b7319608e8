"""HTTP GET for feeds, backfills and URLs given to `ingest`: conditional, polite and bounded.

Every fetch is bounded, whatever the server does:
- in time overall (PAPERS_FETCH_DEADLINE): a watchdog shuts the socket when the deadline passes,
  so a server that drips a byte a second is cut off wherever it is (headers or body), and a body
  cut short is an error, never a shorter body; each read also has PAPERS_FETCH_TIMEOUT;
- in size (PAPERS_FETCH_MAX_BYTES) and in redirects (PAPERS_FETCH_MAX_REDIRECTS);
- to http and https, redirects included;
- to public addresses only (`public_address`): the host is resolved and a loopback, private,
  link-local, shared, reserved or multicast address refused, in any spelling (a decimal,
  octal or hex IPv4, an IPv4-mapped IPv6, a trailing dot: they all resolve to the address
  checked), before connecting and after every redirect; the connection then goes to the address
  checked, so a second DNS answer cannot swap it. PAPERS_FETCH_ALLOW_PRIVATE lets an operator
  fetch internal feeds on purpose. A refused address is refused before any connection, so what
  a fetch says never tells an open port from a closed one inside.

Transient failures are tried again within the same deadline: a 429 or 503 after its
`Retry-After` (seconds or an HTTP date), other 5xx answers and network errors after an
exponential backoff (PAPERS_FETCH_BACKOFF_SECONDS, doubled each time), at most `retries` times.
A wait that would pass the deadline is not started: the fetch fails at once, saying why.
"""

import contextlib
import functools
import http.client
import ipaddress
import socket
import tempfile
import threading
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import BinaryIO
from urllib.parse import urljoin, urlsplit

from django.conf import settings

CHUNK = 64 * 1024
# Bodies up to this size stay in memory; larger ones spill to a temporary file.
SPOOL_IN_MEMORY = 8 * 1024 * 1024
REDIRECTS = {301, 302, 303, 307, 308}
RETRY_AFTER_STATUSES = {429, 503}
TRANSIENT_STATUSES = {500, 502, 504}


class FetchError(Exception):
    """The URL could not be fetched; the message says why, for the operator."""


class PrivateAddressError(FetchError):
    """The URL's host is (or resolves to) an address inside: loopback, private, link-local..."""


def public_address(host: str, port: int) -> str:
    """The address to connect to for `host`: the first it resolves to, once every address it
    resolves to is checked as public (unless PAPERS_FETCH_ALLOW_PRIVATE)."""
    lookup = host[:-1] if host.endswith(".") else host  # "127.0.0.1." is 127.0.0.1
    try:
        answers = socket.getaddrinfo(lookup, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise FetchError(f"{host}: cannot be resolved ({_reason(exc)})") from None
    addresses = [answer[4][0] for answer in answers]
    if not addresses:
        raise FetchError(f"{host}: cannot be resolved")
    if not settings.PAPERS_FETCH_ALLOW_PRIVATE:
        for address in addresses:
            if not _is_public(address):
                raise PrivateAddressError(
                    f"{host}: resolves to {address}, an address inside (loopback, private, "
                    "link-local or reserved); set PAPERS_FETCH_ALLOW_PRIVATE=1 to fetch internal "
                    "feeds on purpose"
                )
    return addresses[0]


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone ("fe80::1%eth0") aside
    if isinstance(ip, ipaddress.IPv6Address):
        inner = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if inner is not None and not _is_public(str(inner)):
            return False
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def check_public_url(url: str) -> None:
    """Refuse, with the reason, a URL that is not http(s) or whose host is inside."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(f"{url}: only http:// and https:// URLs are fetched")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise FetchError(f"{url}: {exc}") from None
    public_address(parts.hostname, port)


@dataclass
class FetchResult:
    not_modified: bool
    body: BinaryIO | None = None
    etag: str = ""
    last_modified: str = ""
    url: str = ""  # where the body came from, after redirects


class _Transient(Exception):
    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class _Budget:
    """The time left before the fetch's deadline."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.ends = time.monotonic() + seconds

    def remaining(self) -> float:
        return max(self.ends - time.monotonic(), 0.0)


def http_fetch(
    url: str,
    *,
    etag: str = "",
    last_modified: str = "",
    deadline: float | None = None,
    retries: int | None = None,
    min_wait: float = 0.0,
) -> FetchResult:
    """GET `url`, sending the validators of the last fetch; a 304 comes back as not_modified.

    `min_wait` is the least a retry waits, for a service that asks for a pace (arXiv's API).
    """
    budget = _Budget(settings.PAPERS_FETCH_DEADLINE if deadline is None else deadline)
    retries = settings.PAPERS_FETCH_RETRIES if retries is None else retries
    headers = {"User-Agent": settings.PAPERS_USER_AGENT, "Accept-Encoding": "identity"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    attempt = 0
    while True:
        try:
            return _follow(url, headers, budget, etag=etag, last_modified=last_modified)
        except _Transient as exc:
            attempt += 1
            wait = exc.retry_after
            if wait is None:
                wait = settings.PAPERS_FETCH_BACKOFF_SECONDS * 2 ** (attempt - 1)
            wait = max(wait, min_wait)
            if attempt > retries:
                raise FetchError(str(exc)) from None
            if wait >= budget.remaining():
                raise FetchError(
                    f"{exc} (a retry in {wait:g} s would pass the deadline of {budget.seconds:g} s)"
                ) from None
            time.sleep(wait)


def _follow(url: str, headers: dict, budget: _Budget, **validators) -> FetchResult:
    for _ in range(settings.PAPERS_FETCH_MAX_REDIRECTS + 1):
        result = _get(url, headers, budget, **validators)
        if isinstance(result, FetchResult):
            return result
        url = result  # a redirect
    raise FetchError(f"{url}: more than {settings.PAPERS_FETCH_MAX_REDIRECTS} redirects")


def _get(url: str, headers: dict, budget: _Budget, *, etag: str, last_modified: str):
    """One request: a FetchResult, or the URL a redirect points to."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(f"{url}: only http:// and https:// URLs are fetched")
    if budget.remaining() <= 0:
        raise FetchError(f"{url}: no answer within the deadline of {budget.seconds:g} s")
    connection_class = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    timeout = min(settings.PAPERS_FETCH_TIMEOUT, budget.remaining())
    try:
        connection = connection_class(parts.hostname, parts.port, timeout=timeout)
    except ValueError as exc:  # a port that is not a number
        raise FetchError(f"{url}: {exc}") from None
    try:
        address = public_address(parts.hostname, connection.port)
    except PrivateAddressError as exc:
        raise PrivateAddressError(f"{url}: {exc}") from None
    except FetchError as exc:  # DNS may answer on a later try
        raise _Transient(f"{url}: {exc}") from None
    # The connection goes to the address checked (https still verifies the host's name).
    connection._create_connection = functools.partial(_connect_to, address)
    watchdog = _Watchdog(connection, budget.remaining())
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.connect()
        watchdog.watch(connection.sock)
        connection.request("GET", path, headers={**headers, "Host": parts.netloc})
        response = connection.getresponse()
        status = response.status
        if status in REDIRECTS and response.getheader("Location"):
            return urljoin(url, response.getheader("Location"))
        if status == 304:
            return FetchResult(not_modified=True, etag=etag, last_modified=last_modified, url=url)
        if status >= 400:
            message = f"{url}: HTTP {status} {response.reason}"
            if status in RETRY_AFTER_STATUSES:
                raise _Transient(message, _retry_after(response.getheader("Retry-After")))
            if status in TRANSIENT_STATUSES:
                raise _Transient(message)
            raise FetchError(message)
        body = _spool(response, url)
        if watchdog.fired:  # the socket was shut under a read: what came is not the whole body
            body.close()
            raise _deadline_error(url, budget)
        return FetchResult(
            not_modified=False,
            body=body,
            etag=response.getheader("ETag", ""),
            last_modified=response.getheader("Last-Modified", ""),
            url=url,
        )
    except (OSError, http.client.HTTPException) as exc:
        if watchdog.fired:
            raise _deadline_error(url, budget) from None
        raise _Transient(f"{url}: {_reason(exc)}") from None
    finally:
        watchdog.cancel()
        connection.close()


def _connect_to(address: str, target: tuple, timeout=None, source_address=None) -> socket.socket:
    return socket.create_connection((address, target[1]), timeout, source_address)


class _Watchdog:
    """Shuts the connection's socket when the deadline passes, unblocking any read.

    It keeps the socket itself: a connection hands its socket to the response and forgets it
    when the server will close the connection after the body (HTTP/1.0, `Connection: close`).
    """

    def __init__(self, connection: http.client.HTTPConnection, seconds: float):
        self.sock: socket.socket | None = None
        self.fired = False
        self.lock = threading.Lock()
        self.timer = threading.Timer(seconds, self._fire)
        self.timer.daemon = True
        self.timer.start()

    def watch(self, sock: socket.socket) -> None:
        with self.lock:
            self.sock = sock
            if self.fired:  # the deadline passed while connecting
                self._shut()

    def _fire(self) -> None:
        with self.lock:
            self.fired = True
            self._shut()

    def _shut(self) -> None:
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        self.timer.cancel()


def _deadline_error(url: str, budget: _Budget) -> FetchError:
    return FetchError(
        f"{url}: cut off at the deadline of {budget.seconds:g} s (PAPERS_FETCH_DEADLINE) "
        "before the whole answer came"
    )


def _reason(exc: Exception) -> str:
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timed out"
    return str(getattr(exc, "reason", None) or exc) or type(exc).__name__


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait, from `Retry-After: 120` or `Retry-After: <HTTP date>`."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(parsedate_to_datetime(value).timestamp() - time.time(), 0.0)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _spool(response: http.client.HTTPResponse, url: str) -> BinaryIO:
    # The caller owns and closes the spool (FetchResult.body).
    body = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
    size = 0
    try:
        # read1 returns what one read of the socket brings, so the deadline is checked between
        # reads, never after a read that waits for 64 KiB to drip in.
        while chunk := response.read1(CHUNK):
            size += len(chunk)
            if size > settings.PAPERS_FETCH_MAX_BYTES:
                raise FetchError(
                    f"{url}: larger than PAPERS_FETCH_MAX_BYTES "
                    f"({settings.PAPERS_FETCH_MAX_BYTES} bytes)"
                )
            body.write(chunk)
    except BaseException:
        body.close()
        raise
    body.seek(0)
    return body
