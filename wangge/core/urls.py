from django.urls import path

from wangge.core import views, views_inbox, views_offline

urlpatterns = [
    path("login/", views.WanggeLoginView.as_view(), name="login"),
    path("logout/", views.WanggeLogoutView.as_view(), name="logout"),
    path("inbox/", views_inbox.inbox, name="inbox"),
    path("inbox/<int:pk>/read/", views_inbox.read, name="inbox_read"),
    path("inbox/read-all/", views_inbox.read_all, name="inbox_read_all"),
    path("sw.js", views_offline.service_worker, name="service_worker"),
    path("offline/check/", views_offline.offline_check, name="offline_check"),
]
