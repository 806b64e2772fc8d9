"""The JSON API, versioned under /api/v1/. Each app contributes a router from its api.py; refusals become
statuses in one place (wangge/core/refusals.py), registered here once."""
from django.db import InterfaceError, OperationalError
from django.http import Http404
from ninja import NinjaAPI

from wangge.areas.api import router as areas_router
from wangge.cases.api import router as cases_router
from wangge.cases.api_stats import router as stats_router
from wangge.core import refusals
from wangge.core.api import router as core_router
from wangge.core.api_auth import API_AUTH
from wangge.insight.api_map import router as insight_map_router
from wangge.insight.api_warnings import router as insight_warnings_router
from wangge.insight.assessment.api import router as assessment_router
from wangge.mediation.api_directory import router as mediation_router  # the lists' router, with the writes
from wangge.mediation.api_stats import router as mediation_stats_router
from wangge.mediation.api_warnings import router as mediation_warnings_router
from wangge.registry.api import router as registry_router
from wangge.sensing.api import router as sensing_router
from wangge.sensing.api_devices import router as devices_router
from wangge.sensing.api_events import router as sensing_events_router

api = NinjaAPI(
    title="Wangge API 网格化服务管理平台接口",
    version="1",
    urls_namespace="api-v1",
    auth=API_AUTH,
)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return api.create_response(request, {"detail": "Not Found"}, status=404)


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def _database_unavailable(request, exc):
    """The database restarting or failing over is no client's fault and no bug: 503 with Retry-After, so
    devices and connected systems send again (what they sent is stored once: docs/api/devices.md)."""
    response = api.create_response(request, {"detail": "Service Unavailable"}, status=503)
    response["Retry-After"] = "1"
    return response


refusals.install(api)

for router in (areas_router, core_router, registry_router, cases_router, stats_router, mediation_router,
               mediation_stats_router, mediation_warnings_router, sensing_router,
               # /devices/events before /devices/{code}: the first route that matches a path answers it.
               sensing_events_router, devices_router, insight_map_router,
               insight_warnings_router, assessment_router):
    api.add_router("/", router)
