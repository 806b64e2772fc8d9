"""调解员手机端 (views_mobile.py), under /mediation/ in the "mediation" namespace."""
from django.urls import path

from wangge.mediation import views_mobile

urlpatterns = [
    path("m/", views_mobile.mine, name="mobile_mine"),
    path("m/me/", views_mobile.me, name="mobile_me"),
    path("m/<int:pk>/", views_mobile.card, name="mobile_card"),
    path("m/<int:pk>/act/<str:action>/", views_mobile.act, name="mobile_act"),
    path("m/<int:pk>/party/<int:party>/phone/", views_mobile.reveal_phone, name="mobile_reveal_phone"),
]
