"""One spelling per address: what the subscriber table stores and every limit is keyed on.

"Ada@BÜCHER.example", "ada@xn--bcher-kva.example" and the same in full-width letters are
one mailbox: Unicode is normalized (NFKC), case folded, and the domain written in its IDNA
(punycode) form, without a trailing dot.
"""

import unicodedata

MAX_LENGTH = 254


def canonical_email(address: str) -> str:
    """The canonical form of `address`; ValueError when it has no usable domain."""
    text = unicodedata.normalize("NFKC", (address or "").strip())
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain:
        raise ValueError("not an email address")
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
