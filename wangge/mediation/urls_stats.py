"""矛盾纠纷统计: the measures page, its .xlsx export and the mediators' ranking (namespace `mediation`)."""
from django.urls import path

from wangge.mediation import views_stats

urlpatterns = [
    path("stats/", views_stats.stats, name="stats"),
    path("stats.xlsx", views_stats.stats_xlsx, name="stats_xlsx"),
    path("stats/mediators/", views_stats.mediators, name="stats_mediators"),
]
