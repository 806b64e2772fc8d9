"""Refuse query strings carrying a NUL byte (%00) before any view sees them.

No field of the platform may hold one, and PostgreSQL refuses it in text, so a filter passing it on would answer
500 on PostgreSQL (and quietly match nothing on SQLite). One check here instead of one in every parser."""
from django.conf import settings
from django.http import HttpResponseBadRequest


class RejectNulBytesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or any("\x00" in key or any("\x00" in v for v in values)
                                         for key, values in request.GET.lists()):
            return HttpResponseBadRequest("请求参数含非法字符 / a parameter contains a NUL byte",
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
