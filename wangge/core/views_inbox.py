"""消息中心: the signed-in user's in-app messages. Each user sees only their own; a message of someone else
answers 404 like anything outside one's area."""
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from wangge.core import notify
from wangge.core.keyset import keyset_page
from wangge.core.models import Notification

PAGE_SIZE = 30


@login_required
@require_GET
def inbox(request):
    unread_only = request.GET.get("unread") == "1"
    messages = Notification.objects.filter(recipient=request.user)
    if unread_only:
        messages = messages.unread()
    page = keyset_page(messages, ("-created_at", "-id"), request.GET, PAGE_SIZE)
    return render(request, "core/inbox.html", {
        "page": page, "unread_only": unread_only, "query": "unread=1" if unread_only else "",
        "unread_total": Notification.objects.filter(recipient=request.user).unread().count(),
    })


@login_required
@require_POST
def read(request, pk: int):
    """Mark one message read; with `open`, go on to what it is about."""
    try:
        note = notify.do_mark_read(request.user, pk)
    except Notification.DoesNotExist:
        raise Http404 from None
    if request.POST.get("open") and note.url and url_has_allowed_host_and_scheme(note.url, allowed_hosts=None):
        return redirect(note.url)
    return redirect(_back(request))


@login_required
@require_POST
def read_all(request):
    notify.do_mark_all_read(request.user)
    return redirect(_back(request))


def _back(request) -> str:
    url = reverse("inbox")
    return f"{url}?unread=1" if request.POST.get("unread") == "1" else url
