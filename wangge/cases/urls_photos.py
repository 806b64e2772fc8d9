"""Case photos, streamed only to those who may see the case (photos are never public media)."""
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import FileResponse, Http404
from django.urls import path
from django.views.decorators.http import require_GET

from wangge.cases.models import Case, CasePhoto
from wangge.core.roles import can


@login_required
@require_GET
def photo(request, pk):
    """One photo of a case in the viewer's area; 404 for anything else, exactly like a photo that is not there."""
    cases = Case.objects.visible_to(request.user)
    if not can(request.user, "cases.view"):
        cases = cases.filter(Q(reporter=request.user))  # a connected system sees the photos of its own reports
    found = CasePhoto.objects.filter(pk=pk, case__in=cases.values("pk")).first()
    if found is None:
        raise Http404
    try:
        handle = found.image.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


urlpatterns = [
    path("cases/photos/<int:pk>/", photo, name="photo"),
]
