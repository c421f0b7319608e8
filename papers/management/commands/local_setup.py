"""python manage.py local_setup: what `make run` does before it starts the servers.

Writes a sample Daily Papers dump dated today and ingests it, then makes sure a local admin
account exists and prints how to sign in. Safe to run again: the sample re-ingests as updates and
the admin keeps the password written the first time.
"""

import secrets
from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from papers.sample import sample_papers, write_daily_dump
from papers.services import source_ingest

SAMPLE_SIZE = 40
ADMIN_USERNAME = "admin"


class Command(BaseCommand):
    help = "Ingest a generated sample of papers and create a local admin account (for make run)."

    def handle(self, *args, **options) -> None:
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
        username, password = self._admin()
        self.stdout.write(
            self.style.SUCCESS(
                f"\nAdmin: {settings.SITE_URL}/admin/  username: {username}  password: {password}\n"
            )
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
