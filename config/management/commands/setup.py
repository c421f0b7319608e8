"""python manage.py setup [--reset-schedules]: the default feeds and every periodic schedule."""

from django.core.management.base import BaseCommand, CommandParser

from config.setup import setup_run
from papers.search import papers_index_pending


class Command(BaseCommand):
    help = (
        "Create the default feeds (Hugging Face Daily Papers, arXiv new submissions) and every "
        "periodic schedule. Safe to run again: what an operator edited or deleted stays so, "
        "unless --reset-schedules is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset-schedules",
            action="store_true",
            help="Make every schedule as the code declares it again, restoring edited and "
            "deleted ones.",
        )

    def handle(self, *args, **options) -> None:
        report = setup_run(reset_schedules=options["reset_schedules"])
        for line in report.lines:
            self.stdout.write(line)
        indexed = papers_index_pending()
        self.stdout.write(f"Search index: {indexed:,} new or changed papers indexed")
