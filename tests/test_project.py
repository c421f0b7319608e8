"""The project's own wiring: settings from the environment, docker-compose, Procfile, Makefile."""

import importlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from config.queues import KINDS

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_SOURCE = (ROOT / "config" / "settings.py").read_text()


def settings_in(env: dict[str, str], expression: str):
    """Evaluate an expression over config.settings in a fresh process with exactly this env."""
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        f"print(json.dumps({expression}, default=str))"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "EMAIL_", "ANYMAIL_", "CELERY_", "SECRET_", "DEBUG"))}  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result


@pytest.mark.process
def test_settings_come_from_the_environment():
    result = settings_in(
        {
            "SECRET_KEY": "s3cret",
            "DATABASE_URL": "postgres://paper:pw@db.internal:5433/papers",
            "REDIS_URL": "redis://cache.internal:6379/2",
            "EMAIL_BACKEND": "anymail.backends.mailgun.EmailBackend",
            "EMAIL_HOST": "smtp.internal",
            "EMAIL_PORT": "2525",
            "DEFAULT_FROM_EMAIL": "Papers <p@example.org>",
            "ANYMAIL_MAILGUN_API_KEY": "key-123",
            "ALLOWED_HOSTS": "papers.example.org, www.papers.example.org",
            "SITE_URL": "https://papers.example.org/",
        },
        "[settings.DATABASES['default']['HOST'], settings.DATABASES['default']['PORT'],"
        " settings.DATABASES['default']['NAME'], settings.CELERY_BROKER_URL,"
        " settings.CACHES['default']['LOCATION'], settings.EMAIL_BACKEND, settings.EMAIL_HOST,"
        " settings.EMAIL_PORT, settings.DEFAULT_FROM_EMAIL, settings.ANYMAIL, settings.ALLOWED_HOSTS,"
        " settings.SITE_URL, settings.DEBUG, settings.CELERY_BEAT_SCHEDULER]",
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        "db.internal", 5433, "papers", "redis://cache.internal:6379/2",
        "redis://cache.internal:6379/2", "anymail.backends.mailgun.EmailBackend", "smtp.internal",
        2525, "Papers <p@example.org>", {"MAILGUN_API_KEY": "key-123"},
        ["papers.example.org", "www.papers.example.org"], "https://papers.example.org", False,
        "django_celery_beat.schedulers:DatabaseScheduler",
    ]  # fmt: skip


@pytest.mark.process
def test_the_embedded_defaults_need_no_service(tmp_path):
    result = settings_in(
        {"DEBUG": "1", "PAPERWIRE_VAR_DIR": str(tmp_path)},
        "[settings.DATABASES['default']['ENGINE'], str(settings.DATABASES['default']['NAME']),"
        " settings.CELERY_BROKER_URL, settings.CELERY_BROKER_TRANSPORT_OPTIONS['data_folder_in']]",
    )
    assert result.returncode == 0, result.stderr
    engine, name, broker, folder = json.loads(result.stdout)
    assert engine == "django.db.backends.sqlite3"
    assert name == str(tmp_path / "paperwire.sqlite3")
    assert broker == "filesystem://localhost/"
    assert folder == str(tmp_path / "broker")


SQLITE_PAGES = (
    "[[c.execute(p).fetchone()[0] for p in ('PRAGMA page_size', 'PRAGMA journal_mode')]"
    " for c in [__import__('django.db').db.connection.cursor()]][0]"
)


@pytest.mark.process
def test_a_new_sqlite_database_has_16_kb_pages_and_an_old_one_keeps_its_own(tmp_path):
    import sqlite3

    env = {"DEBUG": "1", "PAPERWIRE_VAR_DIR": str(tmp_path)}
    fresh = settings_in({**env, "DATABASE_URL": f"sqlite:///{tmp_path}/new.sqlite3"}, SQLITE_PAGES)
    assert fresh.returncode == 0, fresh.stderr
    assert json.loads(fresh.stdout) == [16384, "wal"]
    old = tmp_path / "old.sqlite3"
    with sqlite3.connect(old) as made_before:  # SQLite's default pages, with a row in it
        made_before.execute("CREATE TABLE kept (id integer primary key, text text)")
        made_before.execute("INSERT INTO kept (text) VALUES ('still here')")
    kept = settings_in({**env, "DATABASE_URL": f"sqlite:///{old}"}, SQLITE_PAGES)
    assert kept.returncode == 0, kept.stderr
    assert json.loads(kept.stdout) == [4096, "wal"]
    with sqlite3.connect(old) as after:
        assert after.execute("SELECT text FROM kept").fetchall() == [("still here",)]


@pytest.mark.process
def test_production_without_a_secret_key_refuses_to_start():
    result = settings_in({}, "settings.SECRET_KEY")
    assert result.returncode != 0
    assert "Set SECRET_KEY (or DEBUG=1 for local development)." in result.stderr


@pytest.mark.process
def test_a_malformed_boolean_is_a_clear_error():
    result = settings_in({"DEBUG": "maybe"}, "settings.DEBUG")
    assert "DEBUG='maybe' is not a boolean" in result.stderr


WORKERS = ("worker", "worker-fetch", "worker-match", "worker-send")


class TestDockerCompose:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]

    def test_it_has_the_whole_stack(self):
        assert set(self.services) == {
            "setup",
            "web",
            "worker",
            "worker-fetch",
            "worker-match",
            "worker-send",
            "beat",
            "postgres",
            "redis",
            "mailpit",
        }

    def test_web_worker_and_beat_reuse_one_anchored_django_service(self):
        text = (ROOT / "docker-compose.yml").read_text()
        assert "x-django: &django" in text
        assert text.count("<<: *django") == 7
        django_service = self.compose["x-django"]
        for name in ("setup", "web", *WORKERS, "beat"):
            service = self.services[name]
            assert service["build"] == django_service["build"] == "."
            assert service["environment"] == django_service["environment"]
        assert (ROOT / "Dockerfile").is_file()

    def test_the_commands_name_modules_that_exist(self):
        web = self.services["web"]["command"]
        match = re.search(r"gunicorn (\w+(?:\.\w+)*):(\w+)", web)
        assert match and "manage.py migrate" in web
        module = importlib.import_module(match[1])
        assert callable(getattr(module, match[2]))
        for name, verb in (*((worker, "worker") for worker in WORKERS), ("beat", "beat")):
            command = self.services[name]["command"].split()
            assert command[:4] == ["celery", "-A", "config", verb]

    def test_its_workers_take_every_queue(self):
        taken = set()
        for name in WORKERS:
            command = self.services[name]["command"].split()
            taken.update(command[command.index("--queues") + 1].split(","))
        assert taken == {"celery", *KINDS}
        assert importlib.import_module("config").celery_app.main == "paperwire"

    def test_the_environment_it_sets_is_what_settings_read(self):
        environment = self.compose["x-django"]["environment"]
        for key in environment:
            assert f'"{key}"' in SETTINGS_SOURCE, f"settings never read {key}"
        assert environment["EMAIL_HOST"].endswith("mailpit}")
        assert "postgres:5432" in environment["DATABASE_URL"]
        assert environment["REDIS_URL"].startswith("redis://redis:6379")
        assert self.services["mailpit"]["image"].startswith("axllent/mailpit")
        assert self.services["postgres"]["image"].startswith("postgres:")
        assert self.services["redis"]["image"].startswith("redis:")

    def test_the_django_services_wait_for_healthy_databases(self):
        depends = self.compose["x-django"]["depends_on"]
        assert depends == {
            "postgres": {"condition": "service_healthy"},
            "redis": {"condition": "service_healthy"},
        }
        assert (
            "healthcheck" in self.services["postgres"] and "healthcheck" in self.services["redis"]
        )

    def test_the_web_healthcheck_asks_health(self):
        [test] = [part for part in self.services["web"]["healthcheck"]["test"] if "urlopen" in part]
        assert "http://127.0.0.1:8000/health/" in test

    def test_setup_runs_once_before_web_worker_and_beat(self):
        setup = self.services["setup"]
        assert setup["command"] == (
            'sh -c "python manage.py migrate --no-input && python manage.py setup"'
        )
        assert setup["restart"] == "no"
        for name in ("web", *WORKERS, "beat"):
            depends = self.services[name]["depends_on"]
            assert depends["setup"] == {"condition": "service_completed_successfully"}
            assert depends["postgres"] == {"condition": "service_healthy"}


def test_the_dockerfile_copies_every_package_before_installing():
    dockerfile = (ROOT / "Dockerfile").read_text()
    pyproject = (ROOT / "pyproject.toml").read_text()
    packages = re.search(r"include = \[(.*?)\]", pyproject)[1]
    for package in re.findall(r'"(\w+)\*"', packages):
        assert f"COPY {package} ./{package}" in dockerfile, package
    assert dockerfile.index("COPY core ./core") < dockerfile.index("RUN pip install")


def test_the_procfile_runs_web_worker_and_beat():
    processes = dict(
        line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line
    )
    assert set(processes) == {"web", "worker", "beat"}
    assert processes["web"].startswith("python manage.py runserver")
    assert processes["worker"].startswith("celery -A config worker")
    worker = processes["worker"].split()
    assert set(worker[worker.index("--queues") + 1].split(",")) == {"celery", *KINDS}
    assert processes["beat"].startswith("celery -A config beat")


@pytest.mark.parametrize("target", ["run", "test", "install", "lint"])
def test_the_makefile_has_the_readme_targets(target):
    assert re.search(rf"^{target}:", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert f"make {target}" in (ROOT / "README.md").read_text() or target in ("install", "lint")
