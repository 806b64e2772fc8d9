"""Mediation pages under /mediation/. Each part keeps its own url module so the pieces stay small."""
from django.urls import include, path

app_name = "mediation"

urlpatterns = [
    path("", include("wangge.mediation.urls_pages")),
    path("", include("wangge.mediation.urls_mobile")),
    path("", include("wangge.mediation.urls_stats")),
    path("", include("wangge.mediation.urls_warnings")),
    path("", include("wangge.mediation.urls_directory")),
]
