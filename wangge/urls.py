from django.contrib import admin
from django.urls import include, path

from wangge.api import api
from wangge.core import views as core_views

urlpatterns = [
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/setlang/", core_views.set_language, name="set_language"),
    path("", include("wangge.core.urls")),
    path("", include("wangge.areas.urls")),
    path("", include("wangge.registry.urls")),
    path("", include("wangge.cases.urls")),
    path("open311/v2/", include("wangge.cases.open311.urls")),
    path("mediation/", include("wangge.mediation.urls")),
    path("sensing/", include("wangge.sensing.urls")),
    path("insight/assessment/", include("wangge.insight.assessment.urls")),
    path("insight/", include("wangge.insight.urls")),
    path("", include("wangge.portal.urls")),
]

handler400 = "wangge.core.views.bad_request"
handler403 = "wangge.core.views.permission_denied"
handler404 = "wangge.core.views.page_not_found"
