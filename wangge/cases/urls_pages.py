"""The case workbenches (namespace `cases`, included at the site root by urls.py)."""
from django.urls import path

from wangge.cases import views_case, views_lists, views_report

urlpatterns = [
    path("cases/", views_lists.queue, name="queue"),
    path("cases/supervision/", views_lists.board, name="board"),
    path("cases/inbox/", views_lists.inbox, name="inbox"),
    path("cases/mine/", views_lists.mine, name="mine"),
    path("cases/report/", views_report.report, name="report"),
    path("cases/report/duplicates/", views_report.report_duplicates, name="report_duplicates"),
    path("cases/<int:pk>/", views_case.detail, name="detail"),
    path("cases/<int:pk>/act/<str:action>/", views_case.act, name="act"),
]
