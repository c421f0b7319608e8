"""Links a digest's web page carries: 👍 / 👎 per card, and nothing else that acts. The page
is what people forward and paste ("view in browser"), so it never offers a way to change the
subscription (muting a topic is in the email alone)."""

from django import template
from django.urls import reverse

from newsletter.tokens import feedback_token

register = template.Library()


@register.simple_tag(takes_context=True)
def feedback_paths(context, paper_id: int) -> tuple[str, str] | None:
    """(👍 path, 👎 path) for the digest's reader, or None on a page without one."""
    digest = context.get("digest")
    if digest is None:
        return None
    subscriber = digest.subscriber
    return (
        reverse("newsletter:feedback", args=[token := feedback_token(subscriber, paper_id), "up"]),
        reverse("newsletter:feedback", args=[token, "down"]),
    )
