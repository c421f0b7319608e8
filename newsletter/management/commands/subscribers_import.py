"""python manage.py subscribers_import FILE.csv [--confirmed]: import a list of subscribers.

FILE.csv has the columns `email` and optionally `topic` (a curated topic's name or slug, or a
rule), one row per topic. Every row is checked before any is written. Prints what was imported
and each refused row with its line and reason; exits 1 when a row was refused.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from newsletter.services.imports import MAX_BYTES, SubscriberListError, subscribers_import


class Command(BaseCommand):
    help = "Import subscribers from a CSV file (columns: email, topic), checking every row first."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The CSV file.")
        parser.add_argument(
            "--confirmed",
            action="store_true",
            help="The list already opted in elsewhere: make the addresses active without a "
            "confirmation email (without it each gets one, as a signup on the site).",
        )

    def handle(self, *args, **options) -> None:
        try:
            with Path(options["file"]).open("rb") as stream:
                data = stream.read(MAX_BYTES + 1)
        except OSError as exc:
            raise CommandError(f"Cannot read {options['file']}: {exc.strerror}.") from None
        try:
            report = subscribers_import(data, confirmed=options["confirmed"])
        except SubscriberListError as exc:
            raise CommandError(f"{options['file']}: {exc} Nothing was imported.") from None
        self.stdout.write(report.summary())
        for refused in report.refused:
            self.stdout.write(f"  line {refused.line}: {refused.email or '—'}: {refused.reason}")
        if report.refused:
            raise CommandError(
                f"{len(report.refused)} row{'s' if len(report.refused) != 1 else ''} refused "
                "(listed above); the others were imported."
            )
