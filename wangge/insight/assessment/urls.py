from django.urls import path

from wangge.insight.assessment import views

app_name = "assessment"
urlpatterns = [
    path("", views.index, name="index"),
    path("schemes/new/", views.scheme_edit, name="scheme_new"),
    path("schemes/<int:pk>/", views.scheme_page, name="scheme"),
    path("schemes/<int:pk>/edit/", views.scheme_edit, name="scheme_edit"),
    path("periods/<int:pk>/", views.period_page, name="period"),
    path("periods/<int:pk>/do/<str:action>/", views.period_action, name="period_action"),
    path("periods/<int:pk>/allowances/", views.allowances, name="allowances"),
    path("periods/<int:pk>/spot-check/", views.spot_check, name="spot_check"),
    path("evidence/<int:pk>/", views.evidence, name="evidence"),
    path("scores/<int:pk>/", views.score_page, name="score"),
    path("scores/<int:pk>/appeal/", views.appeal_new, name="appeal_new"),
    path("appeals/", views.appeals, name="appeals"),
    path("appeals/<int:pk>/", views.appeal_page, name="appeal"),
    path("appeals/<int:pk>/<str:action>/", views.appeal_act, name="appeal_act"),
    path("top-grid-workers/", views.top_grid_workers, name="top"),
]
