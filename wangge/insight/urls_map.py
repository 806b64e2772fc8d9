from django.urls import re_path

from wangge.insight import views_map

urlpatterns = [
    re_path(r"^map/$", views_map.onemap_page, name="onemap"),
    re_path(r"^map/(?P<code>\d{2,15})/$", views_map.onemap_page, name="onemap_region"),
    re_path(r"^map/(?P<code>\d{2,15})/export\.xlsx$", views_map.onemap_export, name="onemap_export"),
]
