"""python manage.py search_index [--rebuild]: bring the site's search index up to date.

Indexes every paper that was never indexed or whose text changed since (what the periodic sweep
does), or with --rebuild every paper again, as after a change to the analyzer.
"""

from django.core.management.base import BaseCommand
from tqdm import tqdm

from papers.search import index_rebuild, papers_index_pending, papers_unindexed


class Command(BaseCommand):
    help = "Index the papers that are new or changed for the site's search (--rebuild: all)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--rebuild", action="store_true", help="Forget the index and index every paper again."
        )
        parser.add_argument("--no-progress", action="store_true", help="Never show progress.")

    def handle(self, *args, **options) -> None:
        show = not options["no_progress"] and self.stderr.isatty()
        with tqdm(unit="paper", disable=not show, file=self.stderr) as bar:

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            if options["rebuild"]:
                count = index_rebuild(progress=progress)
            else:
                count = papers_index_pending(progress=progress)
        left = papers_unindexed().count()
        self.stdout.write(
            f"Indexed {count:,} paper{'s' if count != 1 else ''} for search"
            + (f"; {left:,} changed meanwhile and wait for the next sweep." if left else ".")
        )
