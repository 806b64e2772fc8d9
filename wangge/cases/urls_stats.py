"""统计考核: the measures page and its .xlsx export (namespace `cases`)."""
from django.urls import path

from wangge.cases import views_stats

urlpatterns = [
    path("cases/stats/", views_stats.stats, name="stats"),
    path("cases/stats.xlsx", views_stats.stats_xlsx, name="stats_xlsx"),
]
