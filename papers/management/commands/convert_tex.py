"""python manage.py convert_tex: make the TeX in stored titles and abstracts readable text.

Papers ingested before TeX was converted at ingest keep it in their title and abstract. This
converts them as ingest now does (the original is kept as `title_tex` / `abstract_tex`), so that
they are matched again on their text, and is safe to run again: a converted paper is not converted twice.
"""

from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from tqdm import tqdm

from core.bulk import update_many
from core.text import title_key
from papers.models import Paper
from papers.readers.tex import has_tex, tex_to_text

BATCH = 500


class Command(BaseCommand):
    help = "Convert the TeX in stored titles and abstracts to readable text (ingest does it now)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--no-progress", action="store_true", help="Never show progress.")

    def handle(self, *args, **options) -> None:
        with_tex = Q(title__contains="$") | Q(title__contains="\\")
        with_tex |= Q(abstract__contains="$") | Q(abstract__contains="\\")
        pending = Paper.objects.filter(with_tex, title_tex="", abstract_tex="").order_by("pk")
        ids = list(pending.values_list("pk", flat=True))
        converted = 0
        show = not options["no_progress"] and self.stderr.isatty()
        with tqdm(total=len(ids), unit="paper", disable=not show) as bar:
            for start in range(0, len(ids), BATCH):
                converted += _convert(ids[start : start + BATCH])
                bar.update(len(ids[start : start + BATCH]))
        self.stdout.write(f"Converted {converted:,} of {len(ids):,} papers with TeX.")


@transaction.atomic
def _convert(ids: list[int]) -> int:
    changed, now = [], timezone.now()
    for paper in Paper.objects.filter(pk__in=ids).only("title", "abstract"):
        if has_tex(paper.title):
            paper.title_tex, paper.title = paper.title, tex_to_text(paper.title)
            paper.title_key = title_key(paper.title)
        if has_tex(paper.abstract):
            paper.abstract_tex, paper.abstract = paper.abstract, tex_to_text(paper.abstract)
        paper.text_changed_at = now
        changed.append(paper)
    names = ["title", "title_tex", "title_key", "abstract", "abstract_tex", "text_changed_at"]
    update_many(Paper, changed, names)
    return len(changed)
