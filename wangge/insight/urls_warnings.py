"""The early-warning board, a warning's page and the 研判 reports (namespace `insight`, at /insight/)."""
from django.urls import path

from wangge.insight import views_warnings

urlpatterns = [
    path("warnings/", views_warnings.board, name="warnings"),
    path("warnings/export.xlsx", views_warnings.board_export, name="warnings_export"),
    path("warnings/<int:pk>/", views_warnings.detail, name="warning"),
    path("warnings/<int:pk>/act/<str:action>/", views_warnings.act, name="warning_act"),
    path("reports/", views_warnings.reports, name="reports"),
    path("reports/<int:pk>/file/", views_warnings.report_file, name="report_file"),
]
