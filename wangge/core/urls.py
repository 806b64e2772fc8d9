from django.urls import path

from wangge.core import views

urlpatterns = [
    path("login/", views.WanggeLoginView.as_view(), name="login"),
    path("logout/", views.WanggeLogoutView.as_view(), name="logout"),
]
