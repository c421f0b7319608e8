"""Live sources: setup's default feeds and schedules, the Hugging Face API polled by listing day,
arXiv's daily listing, backfills, and fetches that cannot hang, all against a loopback server that
serves the real responses in ../shared/feeds and variants of them."""

import io
import json
import logging
import time
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from papers.models import Feed, IngestRun, Paper, UpvoteObservation
from papers.services import feeds as feed_services
from papers.tasks import fetch_feed
from tests.conftest import Route

pytestmark = pytest.mark.django_db

API = "/api/daily_papers"
ARXIV_LISTING = "/rss/cs.AI+cs.CL+cs.CV+cs.LG"


def today():
    return timezone.now().date()


def hf_listing(shared, day, upvotes: dict[str, int] | None = None, **fields) -> bytes:
    """The real API response, listed on `day`, with some upvote counts changed."""
    items = json.loads((shared / "feeds" / "hf-daily-papers.json").read_text())
    for item in items:
        paper = item["paper"]
        paper["submittedOnDailyAt"] = f"{day}T00:00:00.000Z"
        paper.update(fields)
        if upvotes and paper["id"] in upvotes:
            paper["upvotes"] = upvotes[paper["id"]]
    return json.dumps(items).encode()


@pytest.fixture
def live(http_server, settings, shared):
    """The default sources pointed at the loopback server: today's Hugging Face listing is the
    real response, the seven days before are empty, and arXiv's listing is the real day."""
    settings.PAPERS_HF_DAILY_URL = http_server.base_url + API
    settings.PAPERS_ARXIV_RSS_URL = http_server.base_url + "/rss/"
    serve_days(http_server, {today(): hf_listing(shared, today())})
    http_server.serve(
        ARXIV_LISTING, (shared / "feeds" / "arxiv-rss-all-2024-11-28.xml").read_bytes()
    )
    return http_server


def serve_days(server, listings: dict) -> None:
    for n in range(8):
        day = today() - timedelta(days=n)
        server.serve(f"{API}?date={day}", listings.get(day, b"[]"), content_type="application/json")


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=out)
    return out.getvalue()


def hf_feed() -> Feed:
    return Feed.objects.get(kind="hf-json")


def schedule_state():
    tasks = PeriodicTask.objects.order_by("name")
    return [(t.name, t.task, t.args, t.interval_id, t.crontab_id, t.enabled) for t in tasks]


class TestSetup:
    def test_it_creates_the_default_feeds_each_with_its_own_schedule(self, live):
        run("setup")

        hf = hf_feed()
        arxiv = Feed.objects.get(kind="arxiv")
        assert hf.url == live.base_url + API and hf.enabled
        assert arxiv.url == live.base_url + ARXIV_LISTING and arxiv.enabled
        assert (hf.schedule.interval.every, hf.schedule.interval.period) == (1, "hours")
        assert hf.schedule.task == "papers.tasks.fetch_feed"
        assert json.loads(hf.schedule.args) == [hf.pk]
        cron = arxiv.schedule.crontab
        assert (cron.minute, cron.hour, cron.day_of_week) == ("30", "0", "1-5")
        assert str(cron.timezone) == "America/New_York"
        names = set(PeriodicTask.objects.values_list("name", flat=True))
        assert {"Match new and changed papers", "Send due digests"} <= names

    def test_running_it_twice_gives_the_same_feeds_and_schedules(self, live):
        run("setup")
        feeds, schedules = list(Feed.objects.values_list("pk", "url")), schedule_state()
        second = run("setup")

        assert list(Feed.objects.values_list("pk", "url")) == feeds
        assert schedule_state() == schedules
        assert "created" not in second and "written" not in second

    def test_an_edited_schedule_stays_edited_until_reset_schedules(self, live):
        run("setup")
        task = PeriodicTask.objects.get(name="Send due digests")
        task.interval = IntervalSchedule.objects.create(every=2, period="hours")
        task.enabled = False
        task.save()
        PeriodicTask.objects.filter(name="Match new and changed papers").delete()
        hf_feed().schedule.delete()

        run("setup")
        task.refresh_from_db()
        assert (task.interval.every, task.enabled) == (2, False)
        assert not PeriodicTask.objects.filter(name="Match new and changed papers").exists()

        out = run("setup", "--reset-schedules")
        task.refresh_from_db()
        assert (task.interval.every, task.interval.period, task.enabled) == (5, "minutes", True)
        assert PeriodicTask.objects.get(name="Match new and changed papers").enabled
        assert hf_feed().schedule.interval.period == "hours"
        assert "restored" in out

    def test_a_default_feed_an_operator_deleted_stays_deleted(self, live):
        run("setup")
        hf_feed().delete()
        out = run("setup")
        assert not Feed.objects.filter(kind="hf-json").exists()
        assert "left deleted" in out

    def test_upgrading_gives_each_feed_a_schedule_of_its_own(self, live):
        every_hour = IntervalSchedule.objects.create(every=1, period="hours")
        PeriodicTask.objects.create(
            name="Fetch enabled feeds", task="papers.tasks.fetch_feeds", interval=every_hour
        )
        old = Feed.objects.create(name="old", url=live.base_url + "/old.xml")

        run("setup")

        assert not PeriodicTask.objects.filter(task="papers.tasks.fetch_feeds").exists()
        old.refresh_from_db()
        assert json.loads(old.schedule.args) == [old.pk]


class TestHuggingFaceByListingDay:
    def test_a_poll_asks_for_today_and_the_seven_days_before(self, live):
        run("setup")
        out = run("feeds", "fetch", "Hugging Face Daily Papers")

        asked = [path for path, _ in live.requests if path.startswith(API)]
        assert asked == [f"{API}?date={today() - timedelta(days=n)}" for n in range(8)]
        assert "5 new" in out
        user_agent = live.requests[0][1]["User-Agent"]
        assert user_agent.startswith("Paperwire/") and "mailto:" in user_agent

    def test_everything_the_listing_says_is_kept(self, live):
        run("setup")
        run("feeds", "fetch", "--all")

        sigma = Paper.objects.get(arxiv_id="2607.27958")
        assert sigma.listed_on == today()
        assert sigma.thumbnail_url.endswith("/papers/2607.27958.png")
        assert sigma.github_stars == 1
        assert sigma.code_url == "https://github.com/declare-lab/sigma-mem"
        assert sigma.comment_count == 2
        assert sigma.submitted_by == "Suorong Yang"
        assert sigma.organization.handle == "NanyangTechnologicalUniversity"
        assert sigma.organization.name == "Nanyang Technological University"
        assert sigma.organization.avatar_url.startswith("https://cdn-avatars.huggingface.co/")
        beta = Paper.objects.get(arxiv_id="2607.28582")
        assert beta.project_url == "https://umd-huang-lab.github.io/beta-opsd/"

    def test_ai_summary_and_keywords_are_kept_and_shown(self, live, shared, client):
        serve_days(
            live,
            {
                today(): hf_listing(
                    shared, today(), ai_summary="A short summary.", ai_keywords=["MoE", "routing"]
                )
            },
        )
        run("setup")
        run("feeds", "fetch", "--all")

        paper = Paper.objects.get(arxiv_id="2607.28308")
        assert (paper.ai_summary, paper.ai_keywords) == ("A short summary.", ["MoE", "routing"])
        page = client.get(f"/papers/{paper.pk}/").content.decode()
        assert "A short summary." in page and "generated by Hugging Face" in page
        assert "routing" in client.get("/trending/").content.decode()

    def test_a_repoll_with_nothing_changed_stores_nothing(self, live):
        run("setup")
        run("feeds", "fetch", "--all")
        runs, observations = IngestRun.objects.count(), UpvoteObservation.objects.count()

        out = run("feeds", "fetch", "Hugging Face Daily Papers")

        assert "not modified" in out
        assert (IngestRun.objects.count(), UpvoteObservation.objects.count()) == (
            runs,
            observations,
        )
        assert hf_feed().last_status == "not-modified"

    def test_a_repoll_with_changed_upvotes_adds_one_observation_per_changed_paper(
        self, live, shared, client
    ):
        run("setup")
        run("feeds", "fetch", "--all")
        before = client.get("/trending/").content.decode()
        assert before.index("Beyond Geometric") > before.index("OPSD")  # 2 upvotes < 17
        observed = dict(
            Paper.objects.filter(sources__contains="hf-json").values_list("arxiv_id", "pk")
        )
        UpvoteObservation.objects.update(observed_at=timezone.now() - timedelta(hours=2))

        changed = {"2607.28308": 40, "2607.23193": 5}  # 2 -> 40 and 3 -> 5
        serve_days(live, {today(): hf_listing(shared, today(), upvotes=changed)})
        run("feeds", "fetch", "Hugging Face Daily Papers")

        for arxiv_id, pk in observed.items():
            history = list(
                UpvoteObservation.objects.filter(paper_id=pk)
                .order_by("observed_at")
                .values_list("upvotes", flat=True)
            )
            assert len(history) == (2 if arxiv_id in changed else 1), arxiv_id
            if arxiv_id in changed:
                assert history[-1] == changed[arxiv_id]
        after = client.get("/trending/").content.decode()
        assert after.index("Beyond Geometric") < after.index("OPSD")  # +38 today beats +0
        assert "+38" in after

    def test_the_days_before_keep_being_followed(self, live, shared):
        yesterday = today() - timedelta(days=1)
        serve_days(live, {yesterday: hf_listing(shared, yesterday)})
        run("setup")
        run("feeds", "fetch", "--all")
        serve_days(live, {yesterday: hf_listing(shared, yesterday, upvotes={"2607.16922": 9})})

        run("feeds", "fetch", "Hugging Face Daily Papers")

        paper = Paper.objects.get(arxiv_id="2607.16922")
        assert paper.upvotes == 9 and paper.listed_on == yesterday
        assert paper.upvote_history.count() == 2

    def test_the_celery_task_and_the_admin_action_fetch_the_same_way(
        self, live, admin_client, django_capture_on_commit_callbacks
    ):
        run("setup")
        feed = hf_feed()
        assert fetch_feed.delay(feed.pk).get() == 5
        Paper.objects.all().delete()
        feed.day_digests = {}
        feed.save()

        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(
                "/admin/papers/feed/",
                {"action": "fetch_now", "_selected_action": [feed.pk]},
                follow=True,
            )
        assert response.status_code == 200
        assert Paper.objects.count() == 5


class TestArxivListing:
    def test_the_daily_listing_stores_new_papers_and_skips_replacements_of_unknown_ones(self, live):
        run("setup")
        out = run("feeds", "fetch", "--all")
        assert "935 new" in out  # 926 new and 9 cross-lists; 569 replacements of older papers
        run_row = IngestRun.objects.get(source__endswith=ARXIV_LISTING)
        assert (run_row.new_count, run_row.skipped_count) == (935, 569)

    def test_replace_items_update_versions_without_creating_papers(self, ingest_bytes):
        def listing(*items) -> bytes:
            return (
                b'<rss version="2.0" xmlns:arxiv="http://arxiv.org/schemas/atom"><channel>'
                b"<title>cs.LG updates on arXiv.org</title>" + b"".join(items) + b"</channel></rss>"
            )

        def item(arxiv_id: str, version: int, kind: str, title: str) -> bytes:
            return (
                f"<item><title>{title}</title><guid>oai:arXiv.org:{arxiv_id}v{version}</guid>"
                f"<description>arXiv:{arxiv_id}v{version} Announce Type: {kind} "
                f"Abstract: About {title}.</description>"
                "<pubDate>Mon, 23 Nov 2026 00:00:00 -0500</pubDate></item>"
            ).encode()

        first = ingest_bytes(
            listing(item("2611.00001", 1, "new", "One"), item("2611.00002", 1, "new", "Two"))
        )
        assert first.new == 2
        second = ingest_bytes(
            listing(
                item("2611.00001", 2, "replace", "One, revised"),
                item("2511.09999", 3, "replace", "Old paper"),
            )
        )

        assert (second.new, second.updated, second.skipped) == (0, 1, 1)
        assert Paper.objects.count() == 2
        revised = Paper.objects.get(arxiv_id="2611.00001")
        assert (revised.arxiv_version, revised.title) == (2, "One, revised")
        assert not Paper.objects.filter(arxiv_id="2511.09999").exists()


class TestFetchingCannotHang:
    def test_a_dripping_server_is_cut_at_the_deadline_with_nothing_stored(
        self, http_server, settings, shared
    ):
        settings.PAPERS_FETCH_DEADLINE = 1.0
        body = (shared / "feeds" / "hf-daily-papers.json").read_bytes()
        url = http_server.serve("/drip", body, drip=0.01, content_type="application/json")
        feed = Feed.objects.create(name="drip", url=url)

        started = time.monotonic()
        report = feed_services.feed_fetch(feed=feed)

        assert time.monotonic() - started < 3
        assert "deadline" in report.error
        feed.refresh_from_db()
        assert feed.last_status == "error" and "deadline" in feed.last_error
        assert not Paper.objects.exists()
        assert IngestRun.objects.get().status == "failed"

    def test_a_429_with_retry_after_is_waited_out(self, http_server, shared):
        body = (shared / "feeds" / "hf-daily-papers.json").read_bytes()
        url = http_server.serve_in_turn(
            "/limited",
            Route(body=b"slow down", status=429, headers={"Retry-After": "1"}),
            Route(body=body, content_type="application/json"),
        )
        feed = Feed.objects.create(name="limited", url=url, kind="hf-json")
        feed.url = url + "?date=2026-07-31"  # one listing day, as given
        feed.save()
        http_server.routes["/limited?date=2026-07-31"] = http_server.routes.pop("/limited")

        report = feed_services.feed_fetch(feed=feed)

        assert report.error == "" and report.new == 5
        first, second = http_server.times
        assert second - first >= 1.0

    def test_other_transient_errors_back_off_exponentially(self, http_server, settings):
        settings.PAPERS_FETCH_BACKOFF_SECONDS = 0.2
        url = http_server.serve_in_turn(
            "/flaky",
            Route(body=b"oops", status=502),
            Route(body=b"oops", status=500),
            Route(body=b"[]", content_type="application/json"),
        )
        feed = Feed.objects.create(name="flaky", url=url, kind="hf-json")
        feed.url = url + "?date=2026-07-31"
        feed.save()
        http_server.routes["/flaky?date=2026-07-31"] = http_server.routes.pop("/flaky")

        report = feed_services.feed_fetch(feed=feed)

        assert report.error == ""
        first, second, third = http_server.times
        assert 0.2 <= second - first < 0.4 <= third - second

    def test_a_retry_after_beyond_the_deadline_fails_at_once(self, http_server, settings):
        settings.PAPERS_FETCH_DEADLINE = 5
        url = http_server.serve(
            "/busy", b"busy", status=503, headers={"Retry-After": "3600"}, content_type="text/plain"
        )
        feed = Feed.objects.create(name="busy", url=url)
        started = time.monotonic()
        report = feed_services.feed_fetch(feed=feed)
        assert time.monotonic() - started < 2
        assert "HTTP 503" in report.error and "would pass the deadline" in report.error
        assert len(http_server.requests) == 1

    def test_redirects_are_limited_and_only_to_http(self, http_server, settings):
        settings.PAPERS_FETCH_MAX_REDIRECTS = 2
        for n in range(4):
            http_server.serve(f"/hop{n}", b"", status=302, headers={"Location": f"/hop{n + 1}"})
        loop = Feed.objects.create(name="loop", url=http_server.base_url + "/hop0")
        assert "more than 2 redirects" in feed_services.feed_fetch(feed=loop).error

        http_server.serve("/to-file", b"", status=302, headers={"Location": "file:///etc/passwd"})
        sneaky = Feed.objects.create(name="sneaky", url=http_server.base_url + "/to-file")
        assert "only http:// and https://" in feed_services.feed_fetch(feed=sneaky).error


class TestFailingFeeds:
    def test_failures_are_counted_and_flag_the_feed_after_three(
        self, http_server, admin_client, caplog
    ):
        feed = Feed.objects.create(name="Gone", url=http_server.base_url + "/gone")
        for expected in (1, 2):
            feed_services.feed_fetch(feed=feed)
            assert feed.consecutive_failures == expected
        assert "Gone" not in admin_client.get("/admin/").content.decode()

        with caplog.at_level(logging.ERROR, logger="papers.services.feeds"):
            feed_services.feed_fetch(feed=feed)

        assert feed.consecutive_failures == 3 and feed.failing
        assert "has failed 3 times in a row" in caplog.text
        index = admin_client.get("/admin/").content.decode()
        assert "Gone" in index and "HTTP 404" in index

        http_server.serve("/gone", b"[]", content_type="application/json")
        feed_services.feed_fetch(feed=feed)
        assert (feed.consecutive_failures, feed.last_status) == (0, "ok")
        assert feed.last_success_at is not None


class TestFeedAdmin:
    def test_a_feed_added_in_the_admin_gets_an_hourly_schedule_that_follows_it(
        self, admin_client, http_server
    ):
        url = http_server.base_url + "/lab.atom"
        response = admin_client.post(
            "/admin/papers/feed/add/", {"name": "Lab", "url": url, "kind": "", "enabled": "on"}
        )
        assert response.status_code == 302
        feed = Feed.objects.get()
        assert (feed.schedule.interval.every, feed.schedule.interval.period) == (1, "hours")
        assert feed.schedule.enabled

        admin_client.post(
            f"/admin/papers/feed/{feed.pk}/change/", {"name": "Lab news", "url": url, "kind": ""}
        )
        feed.refresh_from_db()
        assert (feed.enabled, feed.schedule.enabled) == (False, False)
        assert feed.schedule.name == f"Fetch feed {feed.pk}: Lab news"
        changelist = admin_client.get("/admin/papers/feed/").content.decode()
        assert "every 1 hour, disabled" in changelist


class TestFeedsCommand:
    def test_list_prints_kind_schedule_last_success_failures_and_added(self, live):
        run("setup")
        run("feeds", "fetch", "--all")
        out = run("feeds", "list")

        header, _rule, *rows = out.splitlines()[:4]
        assert header.split() == [
            "name",
            "kind",
            "schedule",
            "last",
            "success",
            "failures",
            "added",
        ]
        hf = next(row for row in rows if row.startswith("Hugging Face"))
        assert "hf-json" in hf and "every 1 hour" in hf and hf.split()[-2:] == ["0", "5"]
        arxiv = next(row for row in rows if row.startswith("arXiv"))
        assert "cron 30 0 * * 1-5 (America/New_York)" in arxiv and arxiv.endswith("935")

    def test_add_gives_a_feed_its_own_schedule(self, http_server):
        out = run(
            "feeds", "add", http_server.base_url + "/lab.xml", "--kind", "feed", "--every", "30"
        )
        feed = Feed.objects.get()
        assert (feed.kind, feed.schedule.interval.every, feed.schedule.interval.period) == (
            "feed",
            30,
            "minutes",
        )
        assert "every 30 minutes" in out

        with pytest.raises(CommandError, match="already"):
            run("feeds", "add", http_server.base_url + "/lab.xml")
        with pytest.raises(CommandError, match="http:// or https://"):
            run("feeds", "add", "file:///etc/passwd")

    def test_fetch_names_an_unknown_feed_and_fails_for_a_failing_one(self, http_server):
        Feed.objects.create(name="Gone", url=http_server.base_url + "/gone")
        with pytest.raises(CommandError, match="No feed named 'Nope'"):
            run("feeds", "fetch", "Nope")
        with pytest.raises(CommandError, match="1 feed failed"):
            run("feeds", "fetch", "--all")

    def test_backfill_fetches_the_last_n_listing_days(self, live, shared):
        days = [today() - timedelta(days=n) for n in range(3)]
        serve_days(live, {day: hf_listing(shared, day) for day in days})
        run("setup")

        out = run("feeds", "backfill", "--days", "3", "Hugging Face Daily Papers")

        asked = [path for path, _ in live.requests]
        assert asked == [f"{API}?date={day}" for day in days]
        assert "3 requests, 5 new" in out

    def test_backfill_of_arxiv_asks_the_api_by_date_range_three_seconds_apart(
        self, live, shared, monkeypatch, settings
    ):
        settings.PAPERS_ARXIV_API_URL = live.base_url + "/api/query"
        monkeypatch.setattr(feed_services, "ARXIV_API_PAGE", 5)
        run("setup")
        categories = ["cs.AI", "cs.CL", "cs.CV", "cs.LG"]
        start = today() - timedelta(days=1)
        pages = [feed_services.arxiv_api_url(categories, start, today(), n * 5) for n in (0, 1)]
        api_page = (shared / "feeds" / "arxiv-api-query.xml").read_bytes()
        empty = b'<feed xmlns="http://www.w3.org/2005/Atom"><title>arXiv Query</title></feed>'
        for url, body in zip(pages, (api_page, empty), strict=True):
            live.serve(url.removeprefix(live.base_url), body)

        out = run(
            "feeds", "backfill", "--days", "2", "arXiv new submissions (cs.AI, cs.CL, cs.CV, cs.LG)"
        )

        assert [path for path, _ in live.requests] == [u.removeprefix(live.base_url) for u in pages]
        assert "submittedDate%3A%5B" in pages[0] and "cat%3Acs.AI" in pages[0]
        assert live.times[1] - live.times[0] >= 3.0
        assert "2 requests, 5 new" in out

    def test_backfill_days_must_be_sensible(self, live):
        run("setup")
        with pytest.raises(CommandError, match="--days takes 1 to"):
            run("feeds", "backfill", "--days", "0")


class TestLocalSetup:
    def test_make_run_shows_live_papers_when_the_sources_answer(self, live, settings, tmp_path):
        settings.VAR_DIR = tmp_path
        out = run("local_setup")
        assert "Live: 5 new" in out
        assert "Sample" not in out
        assert Paper.objects.count() == 5

    def test_without_the_sources_it_says_so_in_one_line_and_uses_the_sample(
        self, settings, tmp_path
    ):
        settings.VAR_DIR = tmp_path
        out = run("local_setup")
        lines = [line for line in out.splitlines() if "could not be reached" in line]
        assert len(lines) == 1 and "using the bundled sample" in lines[0]
        assert "Traceback" not in out
        assert Paper.objects.count() == 40
