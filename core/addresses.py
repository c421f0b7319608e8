"""One spelling per address: what the subscriber table stores and every limit is keyed on.

"Ada@BÜCHER.example", "ada@xn--bcher-kva.example" and the same in full-width letters are
one mailbox: Unicode is normalized (NFKC), case folded, and the domain written in its IDNA
(punycode) form, without a trailing dot. A quoted local part is the same mailbox as its
unquoted form under RFC 5321 (`"ada"@example.org`, `"a\\da"@example.org` are ada@example.org):
it is stored unquoted when a dot-atom can write it, and refused when none can
(`"a b"@example.org`), since no reader needs one and each would be a mailbox of its own.

`mailbox_key` goes one step further for limits: the plus-tag goes too ("ada+news@" is
ada@'s mailbox for most providers), so a cap per mailbox cannot be passed by tagging; the
address stored keeps the tag the reader typed (it is how people filter their mail).
"""

import re
import unicodedata

MAX_LENGTH = 254
# RFC 5322's atext, and any non-ASCII character (RFC 6531): a dot-atom is runs of these joined
# by single dots.
DOT_ATOM_RE = re.compile(
    r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u0080-\U0010ffff]+(?:\.[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u0080-\U0010ffff]+)*"
)
QUOTED_PAIR_RE = re.compile(r"\\(.)", re.DOTALL)


def canonical_email(address: str) -> str:
    """The canonical form of `address`; ValueError when it has no usable domain."""
    text = unicodedata.normalize("NFKC", (address or "").strip())
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain:
        raise ValueError("not an email address")
    local = _unquoted(local)
    domain = domain.rstrip(".").lower()
    try:
        domain = domain.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise ValueError("the domain is not a valid international domain name") from None
    canonical = f"{local.lower()}@{domain}"
    if len(canonical) > MAX_LENGTH:
        raise ValueError("the address is too long")
    return canonical


def canonical_or_same(address: str) -> str:
    """`canonical_email`, or the address as given (lowercased) when it has none: for looking
    up and for keys, where a bad address only has to miss."""
    try:
        return canonical_email(address)
    except ValueError:
        return (address or "").strip().lower()


def _unquoted(local: str) -> str:
    """A quoted local part in its dot-atom form; ValueError when no dot-atom can write it."""
    if not local.startswith('"'):
        return local
    if len(local) < 2 or not local.endswith('"'):
        raise ValueError("the quotes around the part before the @ are not closed")
    plain = QUOTED_PAIR_RE.sub(r"\1", local[1:-1])
    if not DOT_ATOM_RE.fullmatch(plain):
        raise ValueError(
            "a quoted name before the @ is accepted only when it can be written without quotes"
        )
    return plain


def mailbox_key(address: str) -> str:
    """The mailbox an address delivers to, for limits: its canonical form (or the address as
    given, lowercased, when it has none) without the plus-tag ("ada+news@x" -> "ada@x")."""
    address = canonical_or_same(address)
    local, at, domain = address.rpartition("@")
    base = local.split("+", 1)[0]
    return f"{base}@{domain}" if at and base else address
