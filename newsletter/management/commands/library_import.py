"""python manage.py library_import EMAIL FILE [--format F]: add a file to a reader's library.

FILE is a BibTeX (.bib), RIS (.ris) or Zotero CSV (.csv) export, or a text of arXiv ids and
links, one or more a line; "-" reads standard input. Prints a line per entry (what it matched),
then a summary. All or nothing: a bad file exits 1 with the line at fault and saves nothing.
"""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from newsletter.personal.library import FORMATS, MAX_BYTES, LibraryError
from newsletter.selectors import subscriber_by_address
from newsletter.services.library import library_import

SHOWN = {"arxiv": "matched by arXiv id", "title": "matched by title", "new": "not stored here",
         "duplicate": "already in the library"}  # fmt: skip


class Command(BaseCommand):
    help = "Add a BibTeX, RIS or Zotero CSV file, or a list of arXiv ids, to a reader's library."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="The subscriber's address.")
        parser.add_argument("file", help="The file to import, or - for standard input.")
        parser.add_argument(
            "--format", choices=FORMATS, help="The file's format (default: told by its name)."
        )

    def handle(self, *args, **options) -> None:
        subscriber = subscriber_by_address(options["email"])
        if subscriber is None:
            raise CommandError(f"No subscriber has the address {options['email']!r}.")
        name = options["file"]
        try:
            if name == "-":
                data = sys.stdin.buffer.read(MAX_BYTES + 1)
            else:
                with Path(name).open("rb") as stream:
                    data = stream.read(MAX_BYTES + 1)
        except OSError as exc:
            raise CommandError(f"Cannot read {name}: {exc.strerror}.") from None
        try:
            report = library_import(
                subscriber=subscriber, data=data, name=name, format=options["format"] or ""
            )
        except LibraryError as exc:
            raise CommandError(f"{name}: {exc} Nothing was imported.") from None
        for line in report.lines:
            record = line.record
            what = record.arxiv_id or record.doi or "—"
            title = line.title or record.title
            self.stdout.write(f"{SHOWN[line.outcome]:<24}{what:<22}{title}")
        self.stdout.write(f"{subscriber.email}: {report.summary()}")
