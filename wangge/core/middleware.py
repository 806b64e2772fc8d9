"""Refuse malformed requests before any view sees them (and answer a scripted submit: ScriptedSubmitMiddleware).

A NUL byte (%00) in a path or a query string: no field of the platform may hold one, and PostgreSQL refuses it
in text, so a filter passing it on would answer 500 on PostgreSQL (and quietly match nothing on SQLite). One
check here instead of one in every parser.
A multipart body whose headers are malformed: see RejectMalformedMultipartMiddleware."""
from io import BytesIO
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest
from django.http.multipartparser import MultiPartParser, MultiPartParserError
from django.shortcuts import resolve_url
from django.utils.translation import gettext as _


class RejectNulBytesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or any("\x00" in key or any("\x00" in v for v in values)
                                         for key, values in request.GET.lists()):
            return HttpResponseBadRequest(_("A parameter contains a NUL byte"),
                                          content_type="text/plain; charset=utf-8")
        return self.get_response(request)


class RejectMalformedMultipartMiddleware:
    """Answer 400 to a multipart body whose headers Django's parser refuses (no boundary, an invalid one, a
    negative length), before any view or other middleware reads the body: the first to touch request.POST or
    request.FILES — the CSRF check, a form, ninja's parameter parsing — would otherwise raise mid-request.
    The check is Django's own (MultiPartParser validates the headers when it is made, reading nothing)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.content_type == "multipart/form-data":
            try:
                MultiPartParser(request.META, BytesIO(), [], request.encoding or "utf-8")
            except MultiPartParserError as exc:
                return HttpResponseBadRequest(_("Malformed multipart body: %(error)s") % {"error": exc},
                                              content_type="text/plain; charset=utf-8")
        return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    """Every HTML page says that only the platform's own files may run or style it (settings.WANGGE_CSP): no
    inline script, no `on*=` handler, no style attribute, nothing from outside. Templates keep their scripts and
    styles in static files and pass data by `json_script` or data-* attributes, so an injected <script> or
    handler does nothing. Paths under settings.WANGGE_CSP_EXEMPT (the API's Swagger page, whose scripts are
    django-ninja's) keep their own; paths under settings.WANGGE_CSP_INLINE_ALLOWED still get 'unsafe-inline'
    for their scripts and styles (pages not yet moved to static files)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = _policy(settings.WANGGE_CSP)
        self.inline_policy = _policy({**settings.WANGGE_CSP, **{
            name: f"{settings.WANGGE_CSP[name]} 'unsafe-inline'" for name in ("script-src", "style-src")}})
        self.exempt = tuple(settings.WANGGE_CSP_EXEMPT)
        self.inline_allowed = tuple(settings.WANGGE_CSP_INLINE_ALLOWED)

    def __call__(self, request):
        response = self.get_response(request)
        if (response.get("Content-Type", "").startswith("text/html")
                and "Content-Security-Policy" not in response and not request.path.startswith(self.exempt)):
            inline = self.inline_allowed and request.path.startswith(self.inline_allowed)
            response["Content-Security-Policy"] = self.inline_policy if inline else self.policy
        return response


def _policy(directives: dict) -> str:
    return "; ".join(f"{name} {value}" for name, value in directives.items())


SCRIPTED_SUBMIT_HEADER = "HTTP_X_WANGGE_SUBMIT"


class ScriptedSubmitMiddleware:
    """A form sent by static/wangge/submit.js (XHR, for its progress bar; header `X-Wangge-Submit: 1`) is
    answered as a normal submit would be, except that a redirect becomes `204` with the target in
    `X-Wangge-Redirect`: XHR would follow the redirect itself and read the next page, taking its one-time
    messages ("Reported: WG…") with it; the script goes there instead, as the browser would have. A redirect to
    the log-in page (the session ended while the phone was offline) is also marked `X-Wangge-Login: 1`, so the
    script keeps the form (and the report) and asks the user to log in again. Any other answer (the form again
    with its errors, a refusal) is passed on untouched, for the script to show."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.META.get(SCRIPTED_SUBMIT_HEADER) != "1" or not (300 <= response.status_code < 400) \
                or not response.has_header("Location"):
            return response
        location = response["Location"]
        answer = HttpResponse(status=204)
        answer["X-Wangge-Redirect"] = location
        if urlsplit(location).path == urlsplit(resolve_url(settings.LOGIN_URL)).path:
            answer["X-Wangge-Login"] = "1"
        for cookie in response.cookies.values():  # the session's and CSRF cookies the view set
            answer.cookies[cookie.key] = cookie
        answer["Cache-Control"] = "no-store"
        return answer
