"""Log-in and log-out pages, the language switch and the error pages. Lock-out after repeated failures is
django-axes' job (AXES_LOCKOUT_TEMPLATE renders registration/locked_out.html)."""
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.shortcuts import render
from django.views import i18n

from wangge.core.services import do_set_language


class WanggeLoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["failure_limit"] = getattr(settings, "AXES_FAILURE_LIMIT", 5)
        return context

    def form_valid(self, form):
        """The language they chose last follows them to a new phone or browser."""
        response = super().form_valid(form)
        language = form.get_user().language
        if language:
            _language_cookie(response, language)
        return response


class WanggeLogoutView(auth_views.LogoutView):
    """POST only (Django 5): a link cannot log anyone out."""


def set_language(request):
    """Django's language switch; for someone signed in, the choice is also the language of their messages."""
    response = i18n.set_language(request)
    language = request.POST.get("language", "")
    if request.method == "POST" and request.user.is_authenticated and language in dict(settings.LANGUAGES):
        do_set_language(request.user, language)
    return response


def _language_cookie(response, language: str) -> None:
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=settings.LANGUAGE_COOKIE_AGE,
                        path=settings.LANGUAGE_COOKIE_PATH, domain=settings.LANGUAGE_COOKIE_DOMAIN,
                        secure=settings.LANGUAGE_COOKIE_SECURE, httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                        samesite=settings.LANGUAGE_COOKIE_SAMESITE)


# The error pages (wangge/urls.py names them): the templates with `error_page` set, so that nothing of the address
# asked for is written back into the page (the language switch then returns to the home page). An address may
# hold a record's number or an area's code the reader may not see.

def page_not_found(request, exception=None):
    return render(request, "404.html", {"error_page": True}, status=404)


def permission_denied(request, exception=None):
    return render(request, "403.html", {"error_page": True}, status=403)


def bad_request(request, exception=None):
    return render(request, "400.html", {"error_page": True}, status=400)
