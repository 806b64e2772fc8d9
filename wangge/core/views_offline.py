"""What the report pages' offline support needs from the server (docs/architecture.md, "Reports on a weak
network"): the service worker's script, served from the site's root so its scope may cover /cases/report/ and
/portal/report/, and a small answer a phone asks before it sends the reports it kept: a fresh CSRF token and who
is logged in (the session may have ended while the phone was offline)."""
from django.http import JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
def service_worker(request):
    """The service worker (templates/core/sw.js: a template only so that it names the queue script by its
    static URL, hashed in production). Browsers check it for updates on every visit; it must not be cached."""
    response = render(request, "core/sw.js", content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = "/"
    return response


@require_GET
def offline_check(request):
    """{"csrf_token": a token for the next POST, "owner": "user:<id>" when logged in, else ""}. Reads nothing
    else and changes nothing (a GET of the report form would release the photos it holds)."""
    user = request.user
    response = JsonResponse({"csrf_token": get_token(request),
                             "owner": f"user:{user.pk}" if user.is_authenticated else ""})
    response["Cache-Control"] = "no-store"
    return response
