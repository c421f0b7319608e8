"""One mailbox, one spelling: quoted local parts, plus-tags and the canonical form."""

import random
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.addresses import canonical_email, mailbox_key
from tests.conftest import examples


@pytest.mark.parametrize(
    "typed, stored",
    [
        ('"victim"@example.com', "victim@example.com"),
        ('"v\\ictim"@example.com', "victim@example.com"),
        ('"\\v\\i\\c\\t\\i\\m"@Example.COM', "victim@example.com"),
        ('"first.last"@example.com', "first.last@example.com"),
        ('"ada+news"@example.com', "ada+news@example.com"),
        ('"Ｖｉｃｔｉｍ"@example.com', "victim@example.com"),
        ("victim@example.com.", "victim@example.com"),
    ],
)
def test_a_quoted_local_part_a_dot_atom_can_write_is_stored_unquoted(typed, stored):
    assert canonical_email(typed) == stored


@pytest.mark.parametrize(
    "typed",
    ['"a b"@example.com', '"a..b"@example.com', '".a"@example.com', '""@example.com',
     '"a\\"b"@example.com', '"a@b"@example.com', '"abc@example.com', '"a(b)"@example.com'],
)  # fmt: skip
def test_a_quoted_local_part_no_dot_atom_can_write_is_refused(typed):
    with pytest.raises(ValueError, match="quote"):
        canonical_email(typed)


@pytest.mark.parametrize(
    "address, mailbox",
    [
        ("victim+1@example.com", "victim@example.com"),
        ("Victim+a+b@Example.com", "victim@example.com"),
        ('"victim+x"@example.com', "victim@example.com"),
        ("victim@example.com", "victim@example.com"),
        ("+tag@example.com", "+tag@example.com"),  # nothing before the tag: kept whole
        ("not an address", "not an address"),
    ],
)
def test_the_mailbox_key_drops_the_plus_tag(address, mailbox):
    assert mailbox_key(address) == mailbox


ATEXT = string.ascii_letters + string.digits + "!#$%&'*-/=?^_`{|}~"


@settings(max_examples=examples(200), deadline=None)
@given(
    local=st.text(st.sampled_from(ATEXT), min_size=1, max_size=20),
    tag=st.text(st.sampled_from(ATEXT), max_size=8),
    escape=st.lists(st.booleans(), max_size=20),
)
def test_every_quoted_and_tagged_spelling_of_a_mailbox_has_its_one_key(local, tag, escape):
    plain = f"{local}@example.org"
    escaped = "".join(
        f"\\{char}" if i < len(escape) and escape[i] else char for i, char in enumerate(local)
    )
    spellings = [plain, f'"{escaped}"@EXAMPLE.org', f"{local}+{tag}@example.org."]
    assert {mailbox_key(s) for s in spellings} == {mailbox_key(plain)}
    assert canonical_email(f'"{escaped}"@example.org') == canonical_email(plain)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_quotings_of_random_mailboxes_meet(seed):
    rng = random.Random(seed)
    for _ in range(200):
        local = "".join(rng.choice(ATEXT) for _ in range(rng.randint(1, 12)))
        quoted = '"' + "".join(("\\" if rng.random() < 0.3 else "") + c for c in local) + '"'
        tagged = f'{quoted[:-1]}+{rng.randint(0, 999)}"'
        assert mailbox_key(f"{tagged}@x.org") == mailbox_key(f"{local}@X.org")
