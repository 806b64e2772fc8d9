from django.urls import include, path

app_name = "insight"
urlpatterns = [
    path("", include("wangge.insight.urls_map")),
    path("", include("wangge.insight.urls_warnings")),
]
