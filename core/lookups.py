"""`IdsIn`: `column IN (ids)` for long lists of integer ids, compiled without per-item work.

Django's `__in` prepares every value of its list through the field twice (once when the filter
is built, once more when it is compiled) and looks at each for an expression. For the few ids of
a form that is nothing; for the 500 subscribers of a digest batch and the 2,500 papers of its
cards it was 6-8% of a sending process's time (profiled, benchmarks/README.md). `IdsIn` takes
plain integers, checks them once, and writes the same SQL that `__in` writes (`IN (%s, ...)`,
one parameter per id, so the plans stay as they were):

    Paper.objects.filter(IdsIn("pk", paper_ids))
    Match.objects.filter(IdsIn("subscription__subscriber_id", subscriber_ids))

An empty list matches nothing, as `__in=[]` does. Anything that is not an integer (a string of
digits included) raises TypeError where the filter is built, not in the database.
"""

from collections.abc import Iterable

from django.core.exceptions import EmptyResultSet
from django.db.models import F
from django.db.models.lookups import In


class IdsIn(In):
    def __init__(self, field: str | F, ids: Iterable[int]) -> None:
        super().__init__(F(field) if isinstance(field, str) else field, ids)

    def get_prep_lookup(self) -> list[int]:
        ids = list(self.rhs)
        for value in ids:
            if type(value) is not int:  # bool is an int subclass, and no id either
                raise TypeError(f"IdsIn takes integer ids, not {type(value).__name__}: {value!r}")
        return list(dict.fromkeys(ids))  # in order, once each

    def as_sql(self, compiler, connection) -> tuple[str, tuple]:
        if connection.vendor != "postgresql":
            return super().as_sql(compiler, connection)
        if not self.rhs:
            raise EmptyResultSet
        lhs_sql, params = self.process_lhs(compiler, connection)
        return f"{lhs_sql} = ANY(%s::bigint[])", (*params, self.rhs)

    def process_rhs(self, compiler, connection) -> tuple[str, list[int]]:
        if not self.rhs:
            raise EmptyResultSet
        return "(" + ", ".join(["%s"] * len(self.rhs)) + ")", self.rhs
