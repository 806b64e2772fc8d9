"""Refuse query strings carrying a NUL byte (%00) before any view sees them.

No field of the platform may hold one, and PostgreSQL refuses it in text, so a filter passing it on would answer
500 on PostgreSQL (and quietly match nothing on SQLite). One check here instead of one in every parser."""
from django.http import HttpResponseBadRequest
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
