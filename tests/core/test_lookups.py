"""`IdsIn`: the rows of `__in` for long id lists, with the same SQL, without per-item work."""

import random

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.lookups import IdsIn
from newsletter.models import Subscriber, Subscription

pytestmark = pytest.mark.django_db


@pytest.fixture
def people() -> list[Subscriber]:
    now = timezone.now()
    found = Subscriber.objects.bulk_create(
        Subscriber(email=f"r{n}@example.org", status="active", token=f"t{n}", created_at=now)
        for n in range(60)
    )
    Subscription.objects.bulk_create(
        Subscription(subscriber=s, rule=f"topic{s.pk % 3}", created_at=now, updated_at=now)
        for s in found
    )
    return found


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_the_same_rows_as_in(people, seed):
    rng = random.Random(seed)
    pks = [s.pk for s in people]
    ids = [*rng.sample(pks, rng.randint(1, len(pks))), max(pks) + 1000]  # one unknown id
    ids += rng.sample(ids, 3)  # repeated ids count once
    expected = set(Subscriber.objects.filter(pk__in=ids).values_list("pk", flat=True))
    assert set(Subscriber.objects.filter(IdsIn("pk", ids)).values_list("pk", flat=True)) == expected
    # through a join, combined with other conditions, and negated
    by_join = Subscription.objects.filter(IdsIn("subscriber__pk", ids), rule="topic1")
    assert {s.subscriber_id for s in by_join} == {
        pk for pk in expected if Subscriber.objects.get(pk=pk).subscriptions.get().rule == "topic1"
    }
    excluded = Subscriber.objects.exclude(IdsIn("pk", ids)).values_list("pk", flat=True)
    assert set(excluded) == set(pks) - expected
    either = Subscriber.objects.filter(Q(IdsIn("pk", ids[:1])) | Q(email="r0@example.org"))
    assert {s.pk for s in either} == {ids[0], people[0].pk} - {max(pks) + 1000}


def test_the_same_sql_as_in_or_one_array_on_postgresql():
    ids = list(range(1, 1001))
    sql, params = Subscriber.objects.filter(IdsIn("pk", ids)).query.sql_with_params()
    django_sql, django_params = Subscriber.objects.filter(pk__in=ids).query.sql_with_params()
    if connection.vendor != "postgresql":
        assert (sql, params) == (django_sql, django_params)
        return
    # one parameter, the ids in order: the statement is as long for 1,000 ids as for one
    assert '"newsletter_subscriber"."id" = ANY(%s::bigint[])' in sql
    assert params == (ids,)
    short, _ = Subscriber.objects.filter(IdsIn("pk", [1])).query.sql_with_params()
    assert short == sql


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plan of ANY")
def test_postgresql_plans_the_array_as_it_plans_the_in_list(people):
    ids = [s.pk for s in people[:20]]
    explained = [
        Subscriber.objects.filter(lookup).explain() for lookup in (IdsIn("pk", ids), Q(pk__in=ids))
    ]
    assert [plan.split("(")[0] for plan in explained[0].splitlines()] == [
        plan.split("(")[0] for plan in explained[1].splitlines()
    ]


def test_an_empty_list_matches_nothing_without_a_query(people):
    with CaptureQueriesContext(connection) as queries:
        assert list(Subscriber.objects.filter(IdsIn("pk", []))) == []
    assert len(queries) == 0
    assert Subscriber.objects.exclude(IdsIn("pk", [])).count() == len(people)


@pytest.mark.parametrize("bad", ["1", 1.0, True, None])
def test_only_integers(bad):
    with pytest.raises(TypeError, match="integer ids"):
        Subscriber.objects.filter(IdsIn("pk", [1, bad]))
