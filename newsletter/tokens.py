"""The tokens in links we email: signed and expiring where a click confirms or manages, opaque
where a mail client must act without a session (RFC 8058 one-click unsubscribe).

What each link may do, since people forward digests and paste "view in browser" links:
- the digest's, 👍/👎 and mute links carry the subscriber's id and a short check derived from
  their opaque token (never the token itself), and the day they were made: they expire after
  LINK_MAX_AGE, and they open the digest and record a verdict, nothing more;
- the manage link (the only way to change or delete a subscription) arrives only by mail to the
  reader and expires after MANAGE_MAX_AGE (a new one is a form away, by address);
- the unsubscribe link carries the opaque token, and works until the reader signs out every
  link (which gives them a new token: every earlier link and the private feed's URL stop).
"""

import hashlib
import hmac
import re
import time
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core import signing

from newsletter.models import SignupRequest, Subscriber

CONFIRM_MAX_AGE = timedelta(days=7)
MANAGE_MAX_AGE = timedelta(days=30)  # every email carries a fresh one
LINK_MAX_AGE = timedelta(days=90)  # a digest's links: view in browser, 👍/👎, mute
CONFIRM_SALT = "newsletter.confirm"
MANAGE_SALT = "newsletter.manage"
FEEDBACK_SALT = "newsletter.feedback"
MUTE_SALT = "newsletter.mute"


class InvalidToken(Exception):
    """A link that was tampered with, has expired, or names someone who is gone."""

    def __init__(self, expired: bool = False):
        self.expired = expired
        super().__init__("expired" if expired else "invalid")


def confirm_token(subscriber: Subscriber, request_id: int | None = None) -> str:
    """A confirmation link's token: for the subscriber's address (a link sent to an old address
    cannot confirm a new one) and the signup request its mail recapped."""
    return signing.dumps(
        [subscriber.token, subscriber.email.lower(), request_id], salt=CONFIRM_SALT
    )


def manage_token(subscriber: Subscriber) -> str:
    """What `signing.dumps(subscriber.token, salt=MANAGE_SALT)` gives, with the derived key kept
    (every digest carries a fresh manage link)."""
    secret = settings.SECRET_KEY
    signer = _MANAGE_SIGNER.get(secret)
    if signer is None:
        _MANAGE_SIGNER.clear()
        signer = _MANAGE_SIGNER[secret] = _TimestampSigner(key=secret, salt=MANAGE_SALT)
    return signer.sign_object(subscriber.token)


_MANAGE_SIGNER: dict[str, signing.TimestampSigner] = {}  # for the SECRET_KEY of the moment


def confirm_for_token(token: str) -> tuple[Subscriber, SignupRequest | None]:
    """(subscriber, the signup request to confirm: None for a link that confirms the address
    as it is, as links made before requests did)."""
    values = _load(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    if not isinstance(values, list) or len(values) not in (2, 3):
        raise InvalidToken()
    opaque, email, *rest = values
    subscriber = Subscriber.objects.filter(token=opaque, email__iexact=email).first()
    if subscriber is None:
        raise InvalidToken()
    request = None
    if rest and rest[0] is not None:
        request = subscriber.signup_requests.filter(pk=rest[0]).first()
        if request is None:
            raise InvalidToken()
    return subscriber, request


def subscriber_for_confirm(token: str) -> Subscriber:
    return confirm_for_token(token)[0]


def subscriber_for_manage(token: str) -> Subscriber:
    opaque = _load(token, salt=MANAGE_SALT, max_age=MANAGE_MAX_AGE)
    return subscriber_for_opaque(opaque)


OPAQUE_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")


def subscriber_for_opaque(token: str) -> Subscriber:
    """The subscriber whose opaque token this is; a string that cannot be one is refused unread."""
    if not isinstance(token, str) or not OPAQUE_RE.fullmatch(token):
        raise InvalidToken()
    subscriber = Subscriber.objects.filter(token=token).first()
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


def link_check(subscriber: Subscriber) -> str:
    """Ten characters derived from the subscriber's opaque token: a digest's links carry them,
    so a new token (signing out every link) ends those links, and they reveal nothing of it."""
    cached = subscriber.__dict__.get("_link_check")
    if cached is None or cached[0] != subscriber.token:
        digest = hashlib.sha256(f"paperwire.links.{subscriber.token}".encode()).hexdigest()
        cached = subscriber.__dict__["_link_check"] = (subscriber.token, digest[:10])
    return cached[1]


_DAY = [-1, ""]  # the day last encoded, and its encoding: a batch's links share one day


def _today() -> str:
    """The day a link is made (days since 1970, base 62): its age is checked against it."""
    day = int(time.time() // 86400)
    if day != _DAY[0]:
        _DAY[:] = [day, signing.b62_encode(day)]
    return _DAY[1]


def _fresh(day: str) -> None:
    try:
        age = int(time.time() // 86400) - signing.b62_decode(day)
    except (ValueError, IndexError):
        raise InvalidToken() from None
    if age > LINK_MAX_AGE.days or age < -1:
        raise InvalidToken(expired=True)


def _owner(pk: str, check: str) -> Subscriber:
    subscriber = Subscriber.objects.filter(pk=_number(pk)).first()
    if subscriber is None or not hmac.compare_digest(link_check(subscriber), check):
        raise InvalidToken()
    return subscriber


def digest_token(digest_id: int, subscriber: Subscriber) -> str:
    """The "view in browser" link's token, for this digest and its reader's links."""
    return _DIGEST.sign(f"{digest_id}.{link_check(subscriber)}.{_today()}")


def digest_for_token(token: str):
    """The digest a "view in browser" link opens (with its subscriber)."""
    from newsletter.models import Digest

    digest_id, check, day = _unsign(_DIGEST, token, parts=3)
    _fresh(day)
    digest = Digest.objects.select_related("subscriber").filter(pk=_number(digest_id)).first()
    if digest is None or not hmac.compare_digest(link_check(digest.subscriber), check):
        raise InvalidToken()
    return digest


VERDICTS = {"up": 1, "down": -1}  # a feedback link's last part: 👍 or 👎
VERDICT_NAMES = {value: name for name, value in VERDICTS.items()}


def feedback_token(subscriber: Subscriber, paper_id: int) -> str:
    """A paper's 👍 / 👎 links' token, signed for the subscriber and the paper (the verdict is
    the link's last part). A plain signature with the day in it (no Django timestamp) keeps it
    short and cheap, since every card of every digest carries one."""
    return feedback_signer(subscriber)(paper_id)


def feedback_signer(subscriber: Subscriber) -> Callable[[int], str]:
    """`feedback_token` for one reader's many papers, what their tokens share worked out once."""
    head, tail, sign = f"{subscriber.pk}.", f".{link_check(subscriber)}.{_today()}", _FEEDBACK.sign
    return lambda paper_id: sign(f"{head}{paper_id}{tail}")


def feedback_for_token(token: str) -> tuple[Subscriber, int]:
    """(subscriber, paper id) of a feedback link."""
    pk, paper_id, check, day = _unsign(_FEEDBACK, token, parts=4)
    _fresh(day)
    return _owner(pk, check), _number(paper_id)


def mute_token(subscriber: Subscriber, subscription_id: int) -> str:
    return _MUTE.sign(f"{subscriber.pk}.{subscription_id}.{link_check(subscriber)}.{_today()}")


def mute_for_token(token: str) -> tuple[Subscriber, int]:
    pk, subscription_id, check, day = _unsign(_MUTE, token, parts=4)
    _fresh(day)
    return _owner(pk, check), _number(subscription_id)


class _KeptKey:
    """Django's signers, with their derived key kept: a digest signs a link for each of its
    cards, and deriving the key again for each (as `salted_hmac` does) was half the cost.
    Signatures are Django's own, byte for byte (a test holds them equal); checking one, `unsign`
    goes through Django's code with every key, fallbacks included."""

    def signature(self, value, key=None):
        if key is not None and key != self.key:
            return super().signature(value, key)
        secret = self.key if isinstance(self.key, bytes) else str(self.key).encode()
        cached = self.__dict__.get("_derived")
        if cached is None or cached[0] != secret:
            algorithm = getattr(hashlib, self.algorithm)
            derived = algorithm((self.salt + "signer").encode() + secret).digest()
            # The HMAC with its key already mixed in: each signature copies it.
            cached = self.__dict__["_derived"] = (secret, hmac.new(derived, digestmod=algorithm))
        mac = cached[1].copy()
        mac.update(str(value).encode())
        return signing.b64_encode(mac.digest()).decode()


class _Signer(_KeptKey, signing.Signer):
    pass


class _TimestampSigner(_KeptKey, signing.TimestampSigner):
    pass


_FEEDBACK = _Signer(salt=FEEDBACK_SALT)
_MUTE = _Signer(salt=MUTE_SALT)
_DIGEST = _Signer(salt=DIGEST_SALT)


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
