"""Mediation staff pages (namespace `mediation`, mounted at /mediation/ by urls.py)."""
from django.urls import path

from wangge.mediation import views_dispute, views_ledger, views_referrals, views_register

urlpatterns = [
    path("", views_ledger.ledger, name="ledger"),
    path("new/", views_register.register, name="register"),
    path("new/parties/", views_register.party_search, name="party_search"),
    path("from-case/<int:case_pk>/", views_register.from_case, name="from_case"),
    path("referrals/", views_referrals.referrals, name="referrals"),
    path("referrals/new/", views_referrals.refer, name="refer"),
    path("<int:pk>/", views_dispute.detail, name="detail"),
    path("<int:pk>/act/<str:action>/", views_dispute.act, name="act"),
    path("<int:pk>/letter/", views_dispute.letter, name="letter"),
    path("<int:pk>/parties/<int:party_pk>/reveal/<str:field>/", views_dispute.reveal, name="party_reveal"),
]
