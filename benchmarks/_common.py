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
