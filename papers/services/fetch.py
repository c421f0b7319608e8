"""HTTP GET for feeds and URLs given to `ingest`: conditional, bounded in time and size."""

import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import BinaryIO

from django.conf import settings

CHUNK = 64 * 1024
# Bodies up to this size stay in memory; larger ones spill to a temporary file.
SPOOL_IN_MEMORY = 8 * 1024 * 1024


class FetchError(Exception):
    """The URL could not be fetched; the message says why, for the operator."""


@dataclass
class FetchResult:
    not_modified: bool
    body: BinaryIO | None = None
    etag: str = ""
    last_modified: str = ""


def http_fetch(url: str, *, etag: str = "", last_modified: str = "") -> FetchResult:
    """GET `url`, sending the validators of the last fetch; a 304 comes back as not_modified."""
    headers = {"User-Agent": settings.PAPERS_USER_AGENT, "Accept-Encoding": "identity"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=settings.PAPERS_FETCH_TIMEOUT) as response:
            body = _spool(response, url)
            return FetchResult(
                not_modified=False,
                body=body,
                etag=response.headers.get("ETag", ""),
                last_modified=response.headers.get("Last-Modified", ""),
            )
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            return FetchResult(not_modified=True, etag=etag, last_modified=last_modified)
        raise FetchError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FetchError(f"{url}: {reason}") from None


def _spool(response, url: str) -> BinaryIO:
    # The caller owns and closes the spool (FetchResult.body).
    body = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
    size = 0
    while chunk := response.read(CHUNK):
        size += len(chunk)
        if size > settings.PAPERS_FETCH_MAX_BYTES:
            body.close()
            raise FetchError(
                f"{url}: larger than PAPERS_FETCH_MAX_BYTES ({settings.PAPERS_FETCH_MAX_BYTES} bytes)"
            )
        body.write(chunk)
    body.seek(0)
    return body
