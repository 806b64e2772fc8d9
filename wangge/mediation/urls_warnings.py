"""Mediation pages of this part: the early-warning board (研判预警) and the 人民调解协议书 download.

The agreement document lives here (not with the dispute pages) because it is built by documents.py, which this
part owns.
"""
from django.urls import path

from wangge.mediation import views_warnings

urlpatterns = [
    path("warnings/", views_warnings.board, name="warnings"),
    path("warnings/set-aside/", views_warnings.set_aside, name="warning_set_aside"),
    path("warnings/set-aside/<int:pk>/restore/", views_warnings.restore, name="warning_restore"),
    path("<int:pk>/agreement.docx", views_warnings.agreement_doc, name="agreement_doc"),
]
