"""XML from the network never has its entities expanded: a document that declares any (a
billion-laughs bomb, an external entity reading a local file) is refused before parsing, in
either XML reader, and stores nothing (hardening issue: an equivalent of defusedxml)."""

import resource
import time

import pytest

from papers.models import Paper

pytestmark = pytest.mark.django_db

LAUGHS = "".join(f'<!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10}">' for n in range(1, 10))
BOMB = (
    '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY lol0 "lol">' + LAUGHS + "]>"
    '<rss version="2.0" xmlns:arxiv="http://arxiv.org/schemas/atom"><channel><title>arXiv</title>'
    "<item><title>&lol9;</title><link>https://arxiv.org/abs/2411.00001</link>"
    "<description>arXiv:2411.00001v1 Announce Type: new Abstract: x</description></item>"
    "</channel></rss>"
).encode()
EXTERNAL = (
    b'<?xml version="1.0"?><!DOCTYPE feed [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
    b'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><entry><title>&secret;</title>'
    b"<id>x</id></entry></feed>"
)


@pytest.mark.parametrize("kind", ["arxiv", "feed"])
@pytest.mark.parametrize("document", [BOMB, EXTERNAL], ids=["billion-laughs", "external-entity"])
def test_entities_are_refused_never_expanded(ingest_bytes, kind, document):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    report = ingest_bytes(document, source="bomb.xml", kind=kind)
    assert time.perf_counter() - started < 5
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100_000  # KB
    assert report.error and "entities" in report.error
    assert not Paper.objects.exists()


def test_a_document_type_without_entities_is_still_read(ingest_bytes):
    feed = (
        b'<?xml version="1.0"?><!DOCTYPE rss><rss version="2.0"><channel><title>t</title>'
        b"<item><title>Plain paper</title><link>https://example.org/p</link></item>"
        b"</channel></rss>"
    )
    report = ingest_bytes(feed, source="plain.xml", kind="feed")
    assert not report.error and report.new == 1
