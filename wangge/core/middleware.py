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
    django-ninja's) keep their own."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = "; ".join(f"{name} {value}" for name, value in settings.WANGGE_CSP.items())
        self.exempt = tuple(settings.WANGGE_CSP_EXEMPT)

    def __call__(self, request):
        response = self.get_response(request)
        if (response.get("Content-Type", "").startswith("text/html")
                and "Content-Security-Policy" not in response and not request.path.startswith(self.exempt)):
            response["Content-Security-Policy"] = self.policy
        return response
