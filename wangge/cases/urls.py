"""Case pages. Each part keeps its own url module so the pieces stay small."""
from django.urls import include, path

app_name = "cases"

urlpatterns = [
    path("", include("wangge.cases.urls_pages")),
    path("", include("wangge.cases.urls_photos")),
    path("", include("wangge.cases.urls_stats")),
]
