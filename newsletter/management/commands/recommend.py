"""python manage.py recommend EMAIL [--limit N] [--since YYYY-MM-DD]: a reader's ranking.

One paper a line, best first: its id, score, title and reason (the positive it is most like,
and the words that drove it). Papers of the reader's library and papers they rated are left out.
The model is trained first when the reader's library or ratings changed since.
"""

from datetime import date, datetime, time

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from newsletter.personal.training import reader_ranking
from newsletter.selectors import subscriber_by_address


class Command(BaseCommand):
    help = "Print a subscriber's personal ranking of the recent papers, best first, with reasons."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="The subscriber's address.")
        parser.add_argument("--limit", type=int, default=20, help="Papers to print (default 20).")
        parser.add_argument(
            "--since",
            help="Rank papers listed since this day, YYYY-MM-DD (default: the digest window).",
        )

    def handle(self, *args, **options) -> None:
        subscriber = subscriber_by_address(options["email"])
        if subscriber is None:
            raise CommandError(f"No subscriber has the address {options['email']!r}.")
        if not 1 <= options["limit"] <= 1000:
            raise CommandError("--limit must be between 1 and 1000.")
        since = None
        if options["since"]:
            try:
                day = date.fromisoformat(options["since"])
            except ValueError:
                raise CommandError("--since takes a day like 2026-11-23.") from None
            since = timezone.make_aware(datetime.combine(day, time.min))
        if not subscriber.library.exists() and not subscriber.feedback.filter(verdict=1).exists():
            raise CommandError(
                f"{subscriber.email} has no library and no 👍 yet: there is nothing to learn from."
            )
        ranked = reader_ranking(subscriber=subscriber, since=since, limit=options["limit"])
        if not ranked:
            self.stderr.write("No recent paper to rank (try an earlier --since).")
        for rank in ranked:
            why = rank.reason + (f" ({', '.join(rank.terms)})" if rank.terms else "")
            self.stdout.write(f"{rank.paper_id}\t{rank.score:+.3f}\t{rank.title}\t{why}")
