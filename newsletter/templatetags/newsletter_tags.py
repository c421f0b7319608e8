"""Links a digest's web page carries for its reader: 👍 / 👎 per card, mute per topic."""

from django import template
from django.urls import reverse

from newsletter.tokens import feedback_token, mute_token

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


@register.simple_tag(takes_context=True)
def mute_path(context, subscription_id: int | None) -> str:
    digest = context.get("digest")
    if digest is None or subscription_id is None:
        return ""
    return reverse("newsletter:mute", args=[mute_token(digest.subscriber, subscription_id)])
