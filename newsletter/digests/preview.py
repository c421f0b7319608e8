"""A digest rendered outside a send: for the admin's preview and "send test to me"."""

from datetime import datetime

from newsletter.content import Content, content_read
from newsletter.digests.assembly import contents_build
from newsletter.emails import DigestRenderer, Rendered
from newsletter.models import Digest
from newsletter.selectors import digests_sent_recently


def digest_render(*, digest: Digest, now: datetime) -> tuple[Rendered, Content]:
    """A sent digest as it was sent; a pending one as it would be if sent now."""
    if digest.status in (Digest.Status.PENDING, Digest.Status.SENDING):
        sent = Digest.objects.filter(digests_sent_recently(now, [digest.subscriber_id]))
        sent_before = {digest.subscriber_id: {pk for d in sent for pk in d.paper_ids}}
        content = contents_build([digest], sent_before=sent_before, now=now)[digest.pk]
    else:
        content = content_read(digest)
    rendered = DigestRenderer().render(
        digest_id=digest.pk, period=digest.period, subscriber=digest.subscriber, content=content
    )
    return rendered, content
