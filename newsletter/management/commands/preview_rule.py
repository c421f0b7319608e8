"""python manage.py preview_rule "RULE" [--days N]: the stored papers a topic rule matches."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.query import QueryError, parse
from newsletter.selectors import name_hints, papers_matching


class Command(BaseCommand):
    help = (
        "Print the id and title of each stored paper a topic rule matches, one per line "
        "(hidden papers excepted). Exits non-zero with the parser's message when the rule "
        "does not parse."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("rule", help="A topic rule, e.g. 'quantization -survey'")
        parser.add_argument(
            "--days", type=int, help="Only papers listed in the last N days (default: all)."
        )

    def handle(self, *args, **options) -> None:
        if options["days"] is not None and options["days"] < 0:
            raise CommandError("--days must be zero or more.")
        try:
            rule = parse(options["rule"])
        except QueryError as exc:
            raise CommandError(f"The rule does not parse: {exc}") from None
        for pk, title in papers_matching(rule, days=options["days"]):
            self.stdout.write(f"{pk}\t{title}")
        for hint in name_hints(rule):
            self.stderr.write(hint)
