"""Library uploads that would burn the CPU: counted before parsing, TeX work bounded, read by a
worker, and limited per reader and per client address (hardening 2, item 4)."""

import random

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from newsletter.models import LibraryEntry, LibraryUpload
from newsletter.personal import library
from newsletter.personal.library import (
    MAX_BRACES,
    MAX_ENTRIES,
    TEX_BUDGET,
    LibraryError,
    library_check,
    library_read,
)
from newsletter.tokens import manage_token

pytestmark = pytest.mark.django_db
MB = 1024 * 1024


def fill(entry, limit: int = 10 * MB - 1024) -> bytes:
    """As many entries as fit in `limit` bytes: a file as large as an upload may be."""
    parts, size, n = [], 0, 0
    while True:
        part = entry(n).encode()
        if size + len(part) > limit:
            return b"".join(parts)
        parts.append(part)
        size, n = size + len(part), n + 1


HOSTILE = {
    "120,000 BibTeX entries with TeX titles": (
        lambda: fill(lambda n: f"@article{{k{n}, title={{$O(n^2)$ \\emph{{x{n}}}}}}}\n"),
        "entries",
    ),
    "400,000 plain BibTeX entries": (
        lambda: fill(lambda n: f"@misc{{k{n},title={{T}}}}\n"),
        "entries",
    ),
    "a RIS file of 200,000 records": (
        lambda: fill(lambda n: f"TY  - JOUR\nTI  - T{n}\nER  - \n"),
        "entries",
    ),
    "a Zotero CSV of 300,000 rows": (
        lambda: b"Title,Url\n" + fill(lambda n: f'"$x$ T{n}",https://arxiv.org/abs/1\n'),
        "entries",
    ),
    "a million pasted ids": (lambda: fill(lambda n: f"2401.{n % 99999:05d}\n"), "entries"),
    "3,000,000 braces in 5,000 entries": (
        lambda: "".join(
            f"@article{{k{n},title={{{'{a}' * 600}}}}}\n" for n in range(5000)
        ).encode(),
        "braces",
    ),
    "one title of a million braces": (
        lambda: ("@article{k, title={" + "{" * 10**6 + "}" * 10**6 + "}}\n").encode(),
        "braces",
    ),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_file_is_refused_before_it_is_parsed(case, monkeypatch):
    make, reason = HOSTILE[case]
    data = make()
    name = "x.ris" if "RIS" in case else "x.csv" if "CSV" in case else "x.bib"
    if "ids" in case:
        name = "ids.txt"
    parsed = []
    monkeypatch.setattr(library, "READERS", {k: parsed.append for k in library.READERS})
    with pytest.raises(LibraryError, match=reason):
        library_check(data, name=name)
    with pytest.raises(LibraryError, match=reason):
        library_read(data, name=name)
    assert parsed == []  # refused by counting, never handed to a parser


def test_the_limits_leave_room_for_a_real_library():
    """5,000 entries with braces that keep case and an accent or two stay well inside."""
    data = "".join(
        f"@article{{k{n}, title={{{{Attention}} Is {{All}} You Need {n}}}, "
        f'author={{Vaswani, A. and G{{\\"o}}del, K.}}, year={{2017}}}}\n'
        for n in range(MAX_ENTRIES)
    ).encode()
    assert data.count(b"{") < MAX_BRACES
    read = library_read(data, name="library.bib")
    assert len(read.records) == MAX_ENTRIES
    assert read.records[0].title == "Attention Is All You Need 0"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_tex_past_the_budget_is_read_quickly_and_still_readable(seed, monkeypatch):
    """The TeX converter reads at most TEX_BUDGET characters a file; the rest is read by the
    quick path, which still drops markup and keeps the words."""
    rng = random.Random(seed)
    converted = []
    real = library.bibtex_value_to_text
    monkeypatch.setattr(
        library, "bibtex_value_to_text", lambda v: converted.append(len(v)) or real(v)
    )
    words = ["sparse", "attention", "quantization", "speculative", "decoding", "mixture"]
    entries = []
    for n in range(3000):
        title = " ".join(f"\\emph{{{rng.choice(words)}}} $x_{{{n}}}$" for _ in range(8))
        entries.append(f"@article{{k{n}, title={{{title}}}, abstract={{{title * 4}}}}}")
    read = library_read("\n".join(entries).encode(), name="tex.bib")
    assert sum(converted) <= TEX_BUDGET
    assert len(read.records) == 3000
    last = read.records[-1].title
    assert "\\emph" not in last and "{" not in last and any(w in last for w in words)


def test_a_value_is_cut_before_it_is_converted(monkeypatch):
    seen = []
    real = library.bibtex_value_to_text
    monkeypatch.setattr(library, "bibtex_value_to_text", lambda v: seen.append(len(v)) or real(v))
    title = "\\emph{long} " * 150_000
    library_read(f"@article{{k, title={{{title}}}}}".encode(), name="one.bib")
    assert max(seen) <= library.TITLE_MAX * library.RAW_PER_KEPT


# -- On the manage page ---------------------------------------------------------------------


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


BIB = b"@article{a, title={Sparse attention at scale}, eprint={2401.00001}}\n"


def test_an_upload_is_answered_at_once_and_read_by_the_worker(
    client, make_subscriber, django_capture_on_commit_callbacks
):
    ada = make_subscriber("ada@example.org", "llm")
    manage = f"/manage/{manage_token(ada)}/"
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(
            manage, {"action": "library_add", "library_file": upload("a.bib", BIB)}
        )
    assert response.status_code == 302 and "upload=" in response["Location"]
    assert len(queued) == 1 and not LibraryEntry.objects.exists()
    page = client.get(manage).content.decode()
    assert "Reading “a.bib”" in page and 'http-equiv="refresh"' in page
    queued[0]()  # the worker
    stored = LibraryUpload.objects.get()
    assert (stored.status, stored.imported, bytes(stored.data)) == ("read", 1, b"")
    page = client.get(manage).content.decode()
    assert "“a.bib”" in page and "1 entry added" in page and 'http-equiv="refresh"' not in page


def test_a_hostile_upload_is_refused_on_the_page_with_its_reason(client, make_subscriber):
    ada = make_subscriber("ada@example.org", "llm")
    manage = f"/manage/{manage_token(ada)}/"
    data = HOSTILE["400,000 plain BibTeX entries"][0]()
    response = client.post(
        manage, {"action": "library_add", "library_file": upload("big.bib", data)}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert f"at most {MAX_ENTRIES:,}" in page and "Nothing was added" in page
    assert not LibraryUpload.objects.exists()


def test_uploads_are_limited_per_reader_and_per_client_address(
    make_subscriber, django_capture_on_commit_callbacks
):
    cache.clear()
    readers = [make_subscriber(f"r{n}@example.org", "llm") for n in range(3)]
    client = Client(REMOTE_ADDR="203.0.113.9")
    answers = []
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(11):
            answers.append(
                client.post(
                    f"/manage/{manage_token(readers[0])}/",
                    {"action": "library_add", "library_file": upload("a.bib", BIB)},
                ).status_code
            )
    assert answers == [302] * 10 + [429]
    # The same network, another reader: the address's limit (20 an hour) stops the 21st.
    more = [
        client.post(
            f"/manage/{manage_token(readers[1])}/",
            {"action": "library_add", "library_text": "2401.00002"},
        ).status_code
        for _ in range(10)
    ]
    assert more == [302] * 9 + [429]  # 11 counted already from this address
    page = client.post(
        f"/manage/{manage_token(readers[2])}/", {"action": "library_add", "library_text": "2401.1"}
    )
    assert page.status_code == 429 and "Too many library files" in page.content.decode()
    # Another network, the first reader: still over the reader's own limit.
    other = Client(REMOTE_ADDR="198.51.100.7")
    assert (
        other.post(
            f"/manage/{manage_token(readers[0])}/",
            {"action": "library_add", "library_text": "2401.00003"},
        ).status_code
        == 429
    )
