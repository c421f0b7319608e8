"""What the benchmark scripts share."""

from urllib.parse import urlsplit


def postgres_database(server_url: str, name: str) -> str:
    """Create (or re-create) database `name` on the server at `server_url`; its URL."""
    import psycopg

    server = urlsplit(server_url)
    with psycopg.connect(server._replace(path="/postgres").geturl(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return server._replace(path=f"/{name}").geturl()


def databases(workdir: str, postgres_url: str | None, name: str) -> dict[str, str]:
    """The databases a benchmark runs on: a SQLite file, and PostgreSQL when a server is given."""
    found = {"sqlite": f"sqlite:///{workdir}/{name}.sqlite3"}
    if postgres_url:
        found["postgresql"] = postgres_database(postgres_url, f"bench_{name}")
    return found


def django_environment(database_url: str, workdir: str, **extra: str) -> dict[str, str]:
    """The environment of a production-like Django process on `database_url`."""
    import os

    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": "benchmark",
        "DEBUG": "0",
        "STATIC_ROOT": f"{workdir}/static",
        "PAPERWIRE_VAR_DIR": f"{workdir}/var",
        "LOG_LEVEL": "WARNING",
        **extra,
    }
