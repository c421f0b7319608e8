"""The tokens in links we email: signed and expiring where a click confirms or manages, opaque
where a mail client must act without a session (RFC 8058 one-click unsubscribe)."""

import hashlib
import hmac
from datetime import timedelta

from django.core import signing

from newsletter.models import Subscriber

CONFIRM_MAX_AGE = timedelta(days=7)
MANAGE_MAX_AGE = timedelta(days=90)  # every email carries a fresh one
CONFIRM_SALT = "newsletter.confirm"
MANAGE_SALT = "newsletter.manage"
FEEDBACK_SALT = "newsletter.feedback"
MUTE_SALT = "newsletter.mute"


class InvalidToken(Exception):
    """A link that was tampered with, has expired, or names someone who is gone."""

    def __init__(self, expired: bool = False):
        self.expired = expired
        super().__init__("expired" if expired else "invalid")


def confirm_token(subscriber: Subscriber) -> str:
    # The address is signed too, so a link sent to an old address cannot confirm a new one.
    return signing.dumps([subscriber.token, subscriber.email.lower()], salt=CONFIRM_SALT)


def manage_token(subscriber: Subscriber) -> str:
    return signing.dumps(subscriber.token, salt=MANAGE_SALT)


def subscriber_for_confirm(token: str) -> Subscriber:
    opaque, email = _load(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    subscriber = Subscriber.objects.filter(token=opaque, email__iexact=email).first()
    if subscriber is None:
        raise InvalidToken()
    return subscriber


def subscriber_for_manage(token: str) -> Subscriber:
    opaque = _load(token, salt=MANAGE_SALT, max_age=MANAGE_MAX_AGE)
    return subscriber_for_opaque(opaque)


def subscriber_for_opaque(token: str) -> Subscriber:
    subscriber = Subscriber.objects.filter(token=token).first() if isinstance(token, str) else None
    if subscriber is None:
        raise InvalidToken()
    return subscriber


def _load(token: str, *, salt: str, max_age: timedelta):
    try:
        return signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired:
        raise InvalidToken(expired=True) from None
    except (signing.BadSignature, ValueError, TypeError):
        raise InvalidToken() from None


DIGEST_SALT = "newsletter.digest"


def digest_token(digest_id: int) -> str:
    """The "view in browser" link's token: it never expires, like the email it mirrors."""
    return signing.Signer(salt=DIGEST_SALT).sign(str(digest_id))


def digest_id_for_token(token: str) -> int:
    try:
        return int(signing.Signer(salt=DIGEST_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        raise InvalidToken() from None


VERDICTS = {"up": 1, "down": -1}  # a feedback link's last part: 👍 or 👎
VERDICT_NAMES = {value: name for name, value in VERDICTS.items()}


def feedback_token(subscriber: Subscriber, paper_id: int) -> str:
    """A paper's 👍 / 👎 links' token, signed for the subscriber and the paper (the verdict is
    the link's last part). Like the digest it sits in, it never expires; a plain signature (no
    timestamp) keeps it short and cheap, since every card of every digest carries one."""
    return _FEEDBACK.sign(f"{subscriber.token}.{paper_id}")


def feedback_for_token(token: str) -> tuple[Subscriber, int]:
    """(subscriber, paper id) of a feedback link."""
    opaque, paper_id = _unsign(_FEEDBACK, token, parts=2)
    return subscriber_for_opaque(opaque), _number(paper_id)


def mute_token(subscriber: Subscriber, subscription_id: int) -> str:
    return _MUTE.sign(f"{subscriber.token}.{subscription_id}")


def mute_for_token(token: str) -> tuple[Subscriber, int]:
    opaque, subscription_id = _unsign(_MUTE, token, parts=2)
    return subscriber_for_opaque(opaque), _number(subscription_id)


class _Signer(signing.Signer):
    """Django's Signer, with its derived key kept: a digest signs a link for each of its cards,
    and deriving the key again for each (as `salted_hmac` does) was half the cost. Signatures
    are Django's own, byte for byte (a test holds them equal); checking one, `unsign` goes
    through Django's code with every key, fallbacks included."""

    def signature(self, value, key=None):
        if key is not None and key != self.key:
            return super().signature(value, key)
        secret = self.key if isinstance(self.key, bytes) else str(self.key).encode()
        cached = self.__dict__.get("_derived")
        if cached is None or cached[0] != secret:
            algorithm = getattr(hashlib, self.algorithm)
            derived = algorithm((self.salt + "signer").encode() + secret).digest()
            cached = self.__dict__["_derived"] = (secret, derived, algorithm)
        digest = hmac.new(cached[1], msg=str(value).encode(), digestmod=cached[2]).digest()
        return signing.b64_encode(digest).decode()


_FEEDBACK = _Signer(salt=FEEDBACK_SALT)
_MUTE = _Signer(salt=MUTE_SALT)


def _unsign(signer: signing.Signer, token: str, *, parts: int) -> list[str]:
    try:
        values = signer.unsign(token).split(".")
    except signing.BadSignature:
        raise InvalidToken() from None
    if len(values) != parts:
        raise InvalidToken()
    return values


def _number(text: str) -> int:
    if not text.isdigit() or len(text) > 18:
        raise InvalidToken()
    return int(text)
