"""The newsletter's pages. A GET only ever shows a page with a button (mail scanners open
links); the button's POST acts.

- signup: the form, its rule preview, "check your inbox";
- links: what a digest's links open (the digest, 👍/👎, mute), confirm and unsubscribe;
- manage: the manage page and its actions;
- common: what they share.
"""

from newsletter.views.links import (
    confirm,
    digest,
    feedback,
    feeds,
    mute,
    one_click_unsubscribe,
    unsubscribe,
)
from newsletter.views.manage import manage
from newsletter.views.signup import (
    check_inbox,
    library_like,
    new_link,
    new_link_sent,
    rule_preview,
    signup,
)

__all__ = [
    "check_inbox",
    "confirm",
    "digest",
    "feedback",
    "feeds",
    "library_like",
    "manage",
    "mute",
    "new_link",
    "new_link_sent",
    "one_click_unsubscribe",
    "rule_preview",
    "signup",
    "unsubscribe",
]  # fmt: skip
