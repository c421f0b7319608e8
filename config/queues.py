"""The Celery queues: each kind of work on a queue of its own, so that a slow feed never delays
mail and each pool of workers is sized on its own.

- `fetch`: fetching feeds and reading what readers upload (network and parsing);
- `match`: matching, indexing for search, training rankings (CPU);
- `send`: signups' and links' mails, and the digests (the ESP);
- `maintenance`: pruning, watching deliverability;
- the default queue (`celery`): anything else.

A queue's name is its kind after CELERY_QUEUE_PREFIX (empty by default), so that several
deployments, or tests, can share one broker.
"""

KINDS = ("fetch", "match", "send", "maintenance")

ROUTES = {
    "papers.tasks.fetch_feed*": "fetch",
    "newsletter.tasks.read_library_upload": "fetch",
    "papers.tasks.index_search": "match",
    "newsletter.tasks.match_*": "match",
    "newsletter.tasks.train_*": "match",
    "newsletter.tasks.send_*": "send",
    "newsletter.tasks.process_signup": "send",
    "newsletter.tasks.request_manage_link": "send",
    "newsletter.tasks.watch_deliverability": "maintenance",
    "config.tasks.prune_old_rows": "maintenance",
}


def queue_names(prefix: str = "") -> dict[str, str]:
    return {kind: f"{prefix}{kind}" for kind in KINDS}


def task_routes(prefix: str = "") -> dict[str, dict[str, str]]:
    names = queue_names(prefix)
    return {pattern: {"queue": names[kind]} for pattern, kind in ROUTES.items()}
