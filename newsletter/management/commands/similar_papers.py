"""python manage.py similar_papers [--all]: work out the papers like each recent paper now."""

import sys

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm


class Command(BaseCommand):
    help = (
        "Work out each recent paper's similar papers (shown on its page) by the personal "
        "ranking's features: those new, changed or a day old, or every recent one with --all. "
        'The periodic task "Find similar papers" does the same every hour.'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--all", action="store_true", help="Every recent paper, due or not.")
        parser.add_argument("--no-progress", action="store_true", help="Never show a progress bar.")

    def handle(self, *args, **options) -> None:
        from newsletter.personal.similar import papers_similar_update  # scikit-learn: here

        show = not options["no_progress"] and sys.stderr.isatty()
        with tqdm(unit="paper", disable=not show) as bar:

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            written = papers_similar_update(everything=options["all"], progress=progress)
        self.stdout.write(f"Similar papers: {written:,} papers worked out")
