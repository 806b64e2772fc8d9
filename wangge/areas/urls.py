from django.urls import path, re_path

from wangge.areas import views

urlpatterns = [
    path("", views.home, name="home"),
    path("map/", views.map_home, name="map_home"),
    path("map/outlines.json", views.map_outlines, name="map_outlines"),
    re_path(r"^map/(?P<code>\d{2,15})\.json$", views.map_json, name="map_json"),
    re_path(r"^regions/(?P<code>\d{2,15})/$", views.region_page, name="region"),
    re_path(r"^regions/(?P<code>\d{2,15})/panel/$", views.region_panel, name="region_panel"),
    re_path(r"^grids/(?P<code>\d{15})/$", views.grid_page, name="grid"),
]
