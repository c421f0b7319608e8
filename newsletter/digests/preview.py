"""A digest rendered outside a send: for the admin's preview and "send test to me"."""

from datetime import datetime

from newsletter.digests.content import Content, batch_contents, content_of, recently_sent
from newsletter.emails import DigestRenderer, Rendered
from newsletter.models import Digest


def digest_render(*, digest: Digest, now: datetime) -> tuple[Rendered, Content]:
    """A sent digest as it was sent; a pending one as it would be if sent now."""
    if digest.status in (Digest.Status.PENDING, Digest.Status.SENDING):
        sent = Digest.objects.filter(recently_sent([digest.subscriber_id], now))
        sent_before = {digest.subscriber_id: {pk for d in sent for pk in d.paper_ids}}
        content = batch_contents([digest], sent_before=sent_before, now=now)[digest.pk]
    else:
        content = content_of(digest)
    rendered = DigestRenderer().render(
        digest_id=digest.pk, period=digest.period, subscriber=digest.subscriber, content=content
    )
    return rendered, content
