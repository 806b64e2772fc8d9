"""The JSON API, versioned under /api/v1/. Each app contributes a router from its api.py."""
from django.http import Http404
from ninja import NinjaAPI

from wangge.core.api_auth import API_AUTH

api = NinjaAPI(
    title="Wangge API 网格化服务管理平台接口",
    version="1",
    urls_namespace="api-v1",
    auth=API_AUTH,
)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return api.create_response(request, {"detail": "Not Found"}, status=404)


def _register_routers():
    from wangge.areas.api import router as areas_router
    from wangge.cases.api import router as cases_router
    from wangge.cases.api_stats import router as stats_router
    from wangge.core.api import router as core_router
    from wangge.mediation.api_directory import router as mediation_router  # the lists' router, with the writes
    from wangge.mediation.api_stats import router as mediation_stats_router
    from wangge.mediation.api_warnings import router as mediation_warnings_router
    from wangge.registry.api import router as registry_router

    api.add_router("/", areas_router)
    api.add_router("/", core_router)
    api.add_router("/", registry_router)
    api.add_router("/", cases_router)
    api.add_router("/", stats_router)
    api.add_router("/", mediation_router)
    api.add_router("/", mediation_stats_router)
    api.add_router("/", mediation_warnings_router)


_register_routers()
