"""`RawRows`: a values_list query's raw rows, each converted on demand to what values_list gives."""

import random
from datetime import date, timedelta

import pytest
from django.db.models import F, Value
from django.db.models.functions import Substr
from django.utils import timezone

from core.rows import RawRows
from papers.models import Organization, Paper

pytestmark = pytest.mark.django_db

FIELDS = (
    "pk", "title", "authors", "organization__name", "listed_on", "first_seen_at", "upvotes",
    "featured", "arxiv_id", "start", "twice",
)  # fmt: skip


def papers_drawn(seed: int) -> None:
    rng = random.Random(seed)
    org = Organization.objects.create(handle=f"lab{seed}", name=f"Lab {seed} — Zürich")
    now = timezone.now()
    Paper.objects.bulk_create(
        Paper(
            title=f"Paper {n} «{rng.random():.6f}»", title_key=f"paper-{seed}-{n}",
            abstract="word " * rng.randint(0, 40), authors=rng.sample(["Ana", "Bo", "Ćiro"], 2),
            organization=org if rng.random() < 0.5 else None,
            listed_on=date(2026, 1, 1) + timedelta(days=rng.randint(0, 300))
            if rng.random() < 0.7 else None,
            first_seen_at=now - timedelta(seconds=rng.randint(0, 10**7)),
            upvotes=rng.randint(0, 500), featured=rng.random() < 0.2,
            arxiv_id=f"2601.{n:05d}" if rng.random() < 0.6 else None,
        )
        for n in range(40)
    )  # fmt: skip


def query():
    return (
        Paper.objects.annotate(start=Substr("abstract", 1, 12), twice=F("upvotes") * 2)
        .order_by("pk")
        .values_list(*FIELDS)
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_each_converted_row_is_what_values_list_gives(seed):
    papers_drawn(seed)
    expected = list(query())
    rows = RawRows(query())
    converted = [rows.convert(raw) for raw in rows]
    assert converted == expected
    assert all(type(row) is tuple for row in converted)
    # a date, a datetime, a JSON list and a flag are what Django makes of them
    first = next(row for row in converted if row[4] is not None)
    assert isinstance(first[4], date) and first[5].tzinfo is not None
    assert isinstance(first[2], list) and isinstance(first[7], bool)


@pytest.mark.parametrize("seed", [4, 5])
def test_one_column_converted_alone_is_what_values_list_gives(seed):
    papers_drawn(seed)
    rows = RawRows(query())
    for raw, expected in zip(rows, query(), strict=True):
        assert tuple(rows.column(raw, i) for i in range(len(FIELDS))) == expected


def test_a_row_read_again_compares_equal_raw_until_it_changes():
    papers_drawn(6)
    before = list(RawRows(query()))
    assert list(RawRows(query())) == before
    changed = before[7][0]
    Paper.objects.filter(pk=changed).update(upvotes=F("upvotes") + 1)
    after = list(RawRows(query()))
    assert [a[0] for a, b in zip(after, before, strict=True) if a != b] == [changed]


def test_an_empty_result_and_an_impossible_filter():
    assert list(RawRows(query())) == []
    assert list(RawRows(Paper.objects.none().values_list("pk"))) == []
    assert list(RawRows(Paper.objects.filter(pk__in=[]).values_list("pk"))) == []


def test_only_a_values_list_query_is_read():
    with pytest.raises(TypeError, match="values_list"):
        RawRows(Paper.objects.all())
    with pytest.raises(TypeError, match="values_list"):
        RawRows(Paper.objects.values_list("pk", flat=True))
    with pytest.raises(TypeError, match="values_list"):
        RawRows(Paper.objects.values("pk").annotate(one=Value(1)))
