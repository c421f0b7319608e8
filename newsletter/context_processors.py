"""What every page's header and footer need: the site's address, the source code, and the
reader's own manage page when they came by a signed link."""

from django.conf import settings
from django.http import HttpRequest

MANAGE_URL_KEY = "paperwire_manage_url"


def site(request: HttpRequest) -> dict:
    session = getattr(request, "session", None)
    return {
        "site_url": settings.SITE_URL,
        "source_code_url": settings.SOURCE_CODE_URL,
        # Read without creating a session: most visitors never have one.
        "manage_url": session.get(MANAGE_URL_KEY) if session is not None else None,
    }
