"""Sensing pages (namespace `sensing`, mounted at /sensing/ by wangge/urls.py)."""
from django.urls import path

from wangge.sensing import views_alerts, views_buildings, views_cards, views_devices, views_rules

app_name = "sensing"

urlpatterns = [
    path("alerts/", views_alerts.board, name="alerts"),
    path("alerts/<int:pk>/", views_alerts.detail, name="alert"),
    path("alerts/<int:pk>/act/<str:action>/", views_alerts.act, name="alert_act"),
    path("coverage/", views_buildings.coverage_page, name="coverage"),
    path("rules/", views_rules.rules_page, name="rules"),
    path("rules/<int:pk>/remove/", views_rules.rule_remove, name="rule_remove"),
    path("cards/holders/", views_buildings.holders_page, name="holders"),
    path("people/<int:person_pk>/cards/issue/", views_cards.issue, name="card_issue"),
    path("cards/<int:pk>/act/<str:action>/", views_cards.act, name="card_act"),
    path("cards/<int:pk>/reveal/", views_cards.reveal, name="card_reveal"),
    path("buildings/<int:pk>/", views_buildings.building_card, name="building"),
    path("buildings/<int:pk>/profile/", views_buildings.building_profile, name="building_profile"),
]

# Devices (views_devices.py): the list, the map, a device's page, its forms and "open the video".
CODE = "<str:code>"
urlpatterns += [
    path("devices/", views_devices.device_list, name="devices"),
    path("devices/map/", views_devices.device_map, name="device_map"),
    path("devices/new/", views_devices.device_new, name="device_new"),
    path(f"devices/{CODE}/", views_devices.device_detail, name="device"),
    path(f"devices/{CODE}/edit/", views_devices.device_edit, name="device_edit"),
    path(f"devices/{CODE}/state/", views_devices.device_state, name="device_state"),
    path(f"devices/{CODE}/open/", views_devices.open_camera, name="device_open"),
]
