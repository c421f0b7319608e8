"""`manage.py screenshots`: the main pages and the digest email at 390 and 1,280 px, light and
dark, taken with Playwright and the Debian Chromium from a running site (`make run`).

    manage.py screenshots [--url http://127.0.0.1:8000] [--out docs/screenshots] [--icons]

It reads this database for what needs a link (a paper, a subscriber's manage page, a sent
digest), so run it with the settings of the site it photographs. `--icons` also renders the
favicon, the touch icon and the Open Graph image from static/img/mark.svg into static/.
"""

import os
import shutil
import struct
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
WIDTHS = (390, 1280)
SCHEMES = ("light", "dark")


class Command(BaseCommand):
    help = (
        "Screenshots of the main pages and the digest email, at 390 and 1,280 px, light and dark."
    )
    requires_system_checks = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default=settings.SITE_URL, help="The running site.")
        parser.add_argument("--out", default=str(settings.BASE_DIR / "docs" / "screenshots"))
        parser.add_argument("--icons", action="store_true", help="Also render the icons.")

    def handle(self, *args, **options) -> None:
        try:
            from playwright.sync_api import Error, sync_playwright
        except ImportError:
            raise CommandError("Playwright is not installed: pip install -e '.[dev]'") from None
        if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
            raise CommandError(f"No Chromium at {CHROMIUM}: apt-get install chromium")
        out = Path(options["out"])
        out.mkdir(parents=True, exist_ok=True)
        base = options["url"].rstrip("/")
        # The database is read first: Playwright's loop makes this thread async for Django.
        pages, email = list(_main_pages()), _digest_email_html()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            try:
                if options["icons"]:
                    self._icons(browser)
                taken = self._pages(browser, base, out, pages, email)
            except Error as exc:
                raise CommandError(
                    f"{base}: {exc.message.splitlines()[0]} (is the site running?)"
                ) from None
            finally:
                browser.close()
        self.stdout.write(self.style.SUCCESS(f"{taken} screenshots in {out}"))

    def _pages(self, browser, base: str, out: Path, pages: list, email: str) -> int:
        taken = 0
        for scheme in SCHEMES:
            for width in WIDTHS:
                context = browser.new_context(
                    viewport={"width": width, "height": 900}, color_scheme=scheme,
                    device_scale_factor=1,
                )  # fmt: skip
                page = context.new_page()
                for name, path in pages:
                    page.goto(base + path, wait_until="networkidle")
                    page.screenshot(path=str(out / f"{name}-{width}-{scheme}.png"), full_page=True)
                    taken += 1
                if email:
                    page.set_content(email, wait_until="load")
                    page.screenshot(path=str(out / f"email-{width}-{scheme}.png"), full_page=True)
                    taken += 1
                context.close()
                self.stdout.write(f"{width} px, {scheme}: done")
        return taken

    def _icons(self, browser) -> None:
        static = settings.BASE_DIR / "static"
        mark = (static / "img" / "mark.svg").read_text()
        page = browser.new_page(viewport={"width": 1200, "height": 630})
        for size, target in ((180, static / "img" / "touch-icon.png"), (32, None)):
            page.set_viewport_size({"width": size, "height": size})
            page.set_content(f"<style>body{{margin:0}}svg{{width:{size}px;height:{size}px;"
                             f"display:block}}</style>{mark}")  # fmt: skip
            png = page.screenshot(omit_background=True)
            if target is not None:
                target.write_bytes(png)
            else:
                (static / "favicon.ico").write_bytes(_ico(png, size))
        page.set_viewport_size({"width": 1200, "height": 630})
        page.set_content(OG_PAGE.replace("MARK", mark))
        page.screenshot(path=str(static / "img" / "og.png"))
        page.close()
        self.stdout.write("icons: static/favicon.ico, static/img/touch-icon.png, static/img/og.png")


def _ico(png: bytes, size: int) -> bytes:
    """An .ico holding one PNG image (every browser since IE 9 reads these)."""
    header = struct.pack("<HHH", 0, 1, 1)
    entry = struct.pack("<BBBBHHII", size, size, 0, 0, 1, 32, len(png), 6 + 16)
    return header + entry + png


def _main_pages():
    """(name, path) of the pages to photograph; those that need a row are taken when one exists."""
    from newsletter.models import Subscriber
    from newsletter.tokens import manage_token
    from papers.selectors import visible_papers

    yield "trending", "/"
    yield "trending-now", "/trending/"
    yield "search", "/search/?q=language+model"
    paper = visible_papers().exclude(ai_summary="").order_by("-upvotes").first()
    paper = paper or visible_papers().order_by("-upvotes").first()
    if paper:
        yield "paper", f"/papers/{paper.pk}/"
    yield "subscribe", "/subscribe/?rule=quantization"
    yield "feeds", "/feeds/"
    subscriber = Subscriber.objects.filter(status=Subscriber.Status.ACTIVE).first()
    if subscriber:
        yield "manage", f"/manage/{manage_token(subscriber)}/"


def _digest_email_html() -> str:
    from newsletter.digests.preview import digest_render
    from newsletter.models import Digest

    digest = Digest.objects.filter(status=Digest.Status.SENT).order_by("-sent_at").first()
    if digest is None:
        return ""
    rendered, _content = digest_render(digest=digest, now=timezone.now())
    return rendered.html


OG_PAGE = """<!doctype html><html><head><style>
body { margin: 0; width: 1200px; height: 630px; display: flex; flex-direction: column;
  justify-content: center; padding: 0 96px; box-sizing: border-box; background: #f7f7f5;
  font-family: system-ui, sans-serif; color: #1d1d1f; }
.brand { display: flex; align-items: center; gap: 28px; font-size: 84px; font-weight: 800; }
.brand svg { width: 120px; height: 120px; }
p { font-size: 44px; color: #3c4043; margin: 40px 0 0; max-width: 960px; line-height: 1.3; }
.bar { position: absolute; left: 0; right: 0; bottom: 0; height: 18px; background: #0b57d0; }
</style></head><body><div class="brand">MARK Paperwire</div>
<p>Trending research papers in your email inbox, on the topics you follow.</p>
<div class="bar"></div></body></html>"""
