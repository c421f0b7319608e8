"""Send every digest that is due, now, in this process: the same services as the Celery tasks,
so it works without a worker (cron, a one-off, `make run` without beat)."""

import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils import timezone
from tqdm import tqdm

from newsletter.digests.delivery import Report, digests_due_batched, digests_prepare, digests_send
from newsletter.models import Digest, Subscriber
from newsletter.services.schedule import digests_create_now


class Command(BaseCommand):
    help = (
        "Match unmatched papers, then assemble and send every digest that is due. "
        "With --now, every active subscriber is due (one digest per subscriber and day)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--now", action="store_true", help="Treat every active subscriber as due."
        )
        parser.add_argument(
            "--email", action="append", default=[], metavar="ADDRESS",
            help="With --now: only this subscriber (repeatable).",
        )  # fmt: skip
        parser.add_argument("--no-progress", action="store_true", help="Never show a progress bar.")

    def handle(self, *args, **options):
        if options["email"] and not options["now"]:
            raise CommandError("--email only makes sense with --now.")
        now = timezone.now()
        prepared = digests_prepare(now=now)
        matched, recovered, created = prepared.matched, prepared.recovered, prepared.created
        if options["now"]:
            created += digests_create_now(subscriber_ids=self._active(options["email"]), now=now)
        self.stdout.write(
            f"Matching found {matched} new match{'es' if matched != 1 else ''}; "
            f"{created} digest{'s' if created != 1 else ''} fell due"
            + (f"; recovered {recovered} interrupted" if recovered else "")
            + "."
        )
        report = self._send_all(show_progress=not options["no_progress"] and sys.stderr.isatty())
        self.stdout.write(
            f"Sent {report.sent}, empty {report.empty}, failed {report.failed}, "
            f"to retry later {report.retrying}."
        )
        for error in list(dict.fromkeys(report.errors))[:10]:
            self.stderr.write(f"  {error}")
        if report.failed:
            raise CommandError(f"{report.failed} digest(s) failed; see the Digest admin.")

    def _active(self, emails: list[str]) -> list[int]:
        subscribers = Subscriber.objects.filter(status=Subscriber.Status.ACTIVE)
        if emails:
            wanted = Q()
            for email in emails:
                wanted |= Q(email__iexact=email)
            subscribers = subscribers.filter(wanted)
            found = {e.lower() for e in subscribers.values_list("email", flat=True)}
            missing = [e for e in emails if e.lower() not in found]
            if missing:
                raise CommandError(f"No active subscriber with the address {', '.join(missing)}.")
        return list(subscribers.values_list("pk", flat=True))

    def _send_all(self, *, show_progress: bool) -> Report:
        """Batches until nothing is due; a retry that falls due meanwhile (a short backoff) is
        sent too, within the attempt limit, so the loop is bounded."""
        report = Report()
        for _round in range(settings.NEWSLETTER_MAX_ATTEMPTS):
            now = timezone.now()
            due = Digest.objects.filter(status=Digest.Status.PENDING, next_attempt_at__lte=now)
            total = due.count()
            if not total:
                break
            with tqdm(total=total, unit="digest", disable=not show_progress) as progress:
                for batch in digests_due_batched(now=now):
                    result = digests_send(subscriber_ids=batch, now=now)
                    report.add(result)
                    progress.update(result.sent + result.empty + result.failed + result.retrying)
        report.retrying = Digest.objects.filter(status=Digest.Status.PENDING).count()
        return report
