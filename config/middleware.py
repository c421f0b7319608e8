"""The site's own middleware."""

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse, QueryDict

from core.text import without_controls

BAD_PATH = "This address has a control character in it."
BAD_PARAMETER = "A query parameter has a control character in it."


class DropControlCharacters:
    """Query parameters without control characters (and XML's noncharacters): no page, feed or
    JSON answer ever shows one back or tries to write one into XML (an Atom feed with U+0001
    cannot be written). Most query strings are plain: they are left as they are.

    A path with a control character in it (`/unsubscribe/%00/`) names nothing the site has: it
    is answered 400 before any view looks it up (PostgreSQL refuses a NUL in a query).

    The API is read by programs, which are told rather than corrected: a parameter with a
    control character in it is answered 400, never read as a shorter one (`q` of 201
    characters with one U+0001 must fail its 200-character bound as the schema says)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        path = request.path_info
        if not path.isprintable() and without_controls(path) != path:
            if path.startswith("/api/"):  # the API answers its problems in JSON
                return JsonResponse({"detail": BAD_PATH}, status=400)
            return HttpResponseBadRequest(BAD_PATH, content_type="text/plain")
        if "%" in request.META.get("QUERY_STRING", "") and not all(
            (key + value).isprintable() for key, value in request.GET.items()
        ):
            if path.startswith("/api/"):
                return JsonResponse({"detail": BAD_PARAMETER}, status=400)
            cleaned = QueryDict(mutable=True)
            for key, values in request.GET.lists():
                cleaned.setlist(without_controls(key), [without_controls(v) for v in values])
            cleaned._mutable = False
            request.GET = cleaned
        return self.get_response(request)


class PublicApiCors:
    """The API (/api/) is public and read-only: any site may read it from a browser (CORS for
    GET and HEAD, and the preflight of such a request); nothing else is offered."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if not request.path_info.startswith("/api/"):
            return self.get_response(request)
        if request.method == "OPTIONS" and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in request.META:
            response = HttpResponse(status=204)
            response["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
            response["Access-Control-Allow-Headers"] = "Accept, Content-Type"
            response["Access-Control-Max-Age"] = "86400"
        else:
            response = self.get_response(request)
        if request.method in ("GET", "HEAD", "OPTIONS"):
            response["Access-Control-Allow-Origin"] = "*"
        return response
