"""The citizen portal under /portal/ (namespace "portal"): public, no account."""
from django.urls import path
from django.views.decorators.gzip import gzip_page

from wangge.portal import views, views_dispute

app_name = "portal"

urlpatterns = [
    path("portal/", views.index, name="index"),
    # The map pages carry the outlines (portal/_map_data.html): sent compressed (GZipMiddleware pads each
    # answer at random against BREACH).
    path("portal/report/", gzip_page(views.report), name="report"),
    path("portal/report/similar/", views.similar, name="similar"),
    path("portal/report/done/<str:code>/", views.receipt, name="receipt"),
    path("portal/track/", views.track, name="track"),
    path("portal/track/<str:code>/", views.case_page, name="case"),
    path("portal/track/<str:code>/rate/", views.rate, name="rate"),
    path("portal/grid-worker/", gzip_page(views.grid_worker), name="grid_worker"),
    path("portal/grid-worker/lookup/", views.grid_worker_lookup, name="grid_worker_lookup"),
    path("portal/map.json", views.map_outline, name="map"),
    path("portal/dispute/", gzip_page(views_dispute.report), name="dispute"),
    path("portal/dispute/mediators/", views_dispute.mediators, name="dispute_mediators"),
    path("portal/dispute/done/<str:token>/", views_dispute.receipt, name="dispute_receipt"),
]
