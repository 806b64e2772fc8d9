"""Log-in and log-out pages. Lock-out after repeated failures is django-axes' job
(AXES_LOCKOUT_TEMPLATE renders registration/locked_out.html)."""
from django.conf import settings
from django.contrib.auth import views as auth_views


class WanggeLoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["failure_limit"] = getattr(settings, "AXES_FAILURE_LIMIT", 5)
        return context


class WanggeLogoutView(auth_views.LogoutView):
    """POST only (Django 5): a link cannot log anyone out."""
