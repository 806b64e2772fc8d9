"""Uploads kept across a refused form (上报 on a weak network): a browser cannot put a file back into a file
input, so a photo sent with a form that came back with an error would be lost, and the grid worker would have
to take it again. The page holds what was sent, on the server, for that user's session, and lists it on the
form again (ticked); the next submit takes it back.

Held files live under MEDIA_ROOT/pending/ and are named in the session only, so no one else can claim them;
they are deleted when the form succeeds (`release`), and the worker's `sweep` deletes what a user abandoned
(the form never sent again) after KEEP_HOURS. The operation still checks every photo (type, size,
count) when the form finally goes through: holding is not accepting.
"""
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import default_storage

SESSION_KEY = "wangge_pending_uploads"
KEEP_HOURS = 24  # a form left with an error is sent again within the day, or not at all


def held(request) -> list[dict]:
    """What this session holds: [{"id", "name", "size"}], in the order sent."""
    return [{k: item[k] for k in ("id", "name", "size")} for item in request.session.get(SESSION_KEY, [])]


def hold(request, uploads) -> list[dict]:
    """Keep these uploaded files for the session (at most the photo limit in all, each under the size limit:
    anything else would be refused on submit anyway), beside what it already holds. Returns all it holds."""
    items = list(request.session.get(SESSION_KEY, []))
    for upload in uploads:
        if len(items) >= settings.WANGGE_PHOTO_MAX_COUNT or not upload.size or \
                upload.size > settings.WANGGE_PHOTO_MAX_BYTES:
            continue
        token = secrets.token_hex(12)
        upload.seek(0)
        path = default_storage.save(f"pending/{token}", upload)
        items.append({"id": token, "name": (upload.name or "photo")[:100], "size": upload.size, "path": path})
    request.session[SESSION_KEY] = items
    return held(request)


def take(request, ids) -> list[File]:
    """The held files named by `ids` (those of this session only), opened for the operation; the others held
    are dropped (the user unticked them)."""
    wanted = set(ids)
    kept, files = [], []
    for item in request.session.get(SESSION_KEY, []):
        if item["id"] in wanted and default_storage.exists(item["path"]):
            kept.append(item)
            handle = default_storage.open(item["path"], "rb")
            files.append(File(handle, name=item["name"]))
        else:
            default_storage.delete(item["path"])
    request.session[SESSION_KEY] = kept
    return files


def release(request) -> None:
    """The form went through: delete what was held."""
    for item in request.session.pop(SESSION_KEY, []):
        default_storage.delete(item["path"])


def sweep(now=None) -> dict:
    """The worker's round: delete held files older than KEEP_HOURS (their forms were abandoned)."""
    from django.utils import timezone

    cutoff = (now or timezone.now()) - timedelta(hours=KEEP_HOURS)
    try:
        _, names = default_storage.listdir("pending")
    except FileNotFoundError:
        return {"pending_uploads_deleted": 0}
    deleted = 0
    for name in names:
        path = f"pending/{name}"
        try:
            if default_storage.get_modified_time(path) < cutoff:
                default_storage.delete(path)
                deleted += 1
        except FileNotFoundError:  # taken or released meanwhile
            continue
    return {"pending_uploads_deleted": deleted}
