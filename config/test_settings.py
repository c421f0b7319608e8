"""Settings for the test suite: config.settings with a fixed key and a file-backed test database.

The test database is a file (not SQLite's in-memory default) so that a real Celery worker process
started by a test sees the same data.
"""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-not-a-secret")

from config.settings import *  # noqa: F403
from config.settings import DATABASES, VAR_DIR

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-paperwire.sqlite3")}

# No test reaches the internet: the live sources point at a closed port on loopback unless a test
# serves them itself.
PAPERS_HF_DAILY_URL = "http://127.0.0.1:9/api/daily_papers"
PAPERS_ARXIV_RSS_URL = "http://127.0.0.1:9/rss/"
PAPERS_ARXIV_API_URL = "http://127.0.0.1:9/api/query"
# Retries wait briefly in tests; tests that are about the waiting set it themselves.
PAPERS_FETCH_BACKOFF_SECONDS = 0.05
