"""python manage.py local_setup: what `make run` does before it starts the servers.

Runs `setup` (the default feeds and schedules), then fetches today's Hugging Face Daily Papers so
that the site shows real papers at once; the worker keeps them current. Where the live sources
cannot be reached (no internet), it says so in one line and ingests a generated sample dated
today instead. Then it makes sure a local admin account exists and prints how to sign in. Safe to
run again: the admin keeps the password written the first time.
"""

import secrets
from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.utils import timezone

from config.setup import setup_run
from core.fetch import FetchError, http_fetch
from papers.models import Feed, SetupRecord
from papers.sample import sample_papers, write_daily_dump
from papers.services import source_ingest
from papers.services.feeds import feed_fetch, listing_day_url

SAMPLE_SIZE = 40
ADMIN_USERNAME = "admin"
# How long a start waits to learn that the live sources cannot be reached.
PROBE_SECONDS = 10


class Command(BaseCommand):
    help = (
        "Set up feeds and schedules, fetch today's papers (or ingest a generated sample when the "
        "live sources cannot be reached), and create a local admin account (for make run)."
    )

    def handle(self, *args, **options) -> None:
        report = setup_run()
        created = [line for line in report.lines if "created" in line or "written" in line]
        for line in created:
            self.stdout.write(line)
        if not self._live():
            self._sample()
        from newsletter.personal.similar import papers_similar_update  # scikit-learn: here

        similar = papers_similar_update()
        self.stdout.write(f"Similar papers: {similar:,} papers worked out")
        username, password = self._admin()
        self.stdout.write(
            self.style.SUCCESS(
                f"\nAdmin: {settings.SITE_URL}/admin/  username: {username}  password: {password}\n"
            )
        )

    def _live(self) -> bool:
        record = SetupRecord.objects.filter(key="feed:hf-daily").first()
        feed = record and Feed.objects.filter(pk=record.object_id, enabled=True).first()
        if feed is None:
            self.stdout.write("Live sources: the Hugging Face feed is deleted or disabled.")
            return False
        try:
            probe = http_fetch(
                listing_day_url(feed.url, timezone.now().date()),
                deadline=PROBE_SECONDS,
                retries=0,
            )
        except FetchError as exc:
            self.stdout.write(
                self.style.WARNING(
                    f"Live sources could not be reached ({exc}); using the bundled sample."
                )
            )
            return False
        probe.body.close()
        fetched = feed_fetch(feed=feed)
        self.stdout.write(
            f"Live: {fetched.new} new and {fetched.updated} updated papers from {feed.name}; "
            "the worker keeps them current."
        )
        return not fetched.error or fetched.new + fetched.updated > 0

    def _sample(self) -> None:
        today = date.today()
        sample = settings.VAR_DIR / "sample" / "daily-papers-sample.txt"
        sample.parent.mkdir(parents=True, exist_ok=True)
        with sample.open("w", encoding="utf-8") as out:
            write_daily_dump(sample_papers(SAMPLE_SIZE, today=today), out, page_date=today)
        with sample.open("rb") as stream:
            report = source_ingest(stream=stream, source=str(sample))
        self.stdout.write(
            f"Sample: {report.new} new, {report.updated} updated, {report.unchanged} unchanged "
            f"papers from {sample}"
        )

    def _admin(self) -> tuple[str, str]:
        credentials = settings.VAR_DIR / "admin-credentials.txt"
        User = get_user_model()
        if User.objects.filter(username=ADMIN_USERNAME).exists() and credentials.exists():
            return ADMIN_USERNAME, credentials.read_text().strip()
        password = secrets.token_urlsafe(12)
        user, _ = User.objects.get_or_create(
            username=ADMIN_USERNAME, defaults={"email": "admin@localhost"}
        )
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        credentials.write_text(password + "\n")
        credentials.chmod(0o600)
        return ADMIN_USERNAME, password
