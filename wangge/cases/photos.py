"""Case photos (现场照片): checked, turned upright and re-encoded before anything is kept.

A phone photo carries EXIF: the GPS position of whoever took it, the device, the time. None of that may
stay with a case that citizens and many offices see, so every photo is decoded and written again as a
fresh JPEG from its pixels alone (no EXIF, XMP, ICC or comment), after applying the EXIF orientation so
it still shows the right way up. The longest side is brought down to MAX_SIDE: phone cameras give 4000 px
and more, which nobody needs to judge a pile of rubbish and which fills the disk.

`clean_photos` checks every file before any is stored, so one bad file in an upload stores nothing.
"""
import io
import secrets
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from wangge.cases.models import Case, CasePhoto, PhotoStage, State
from wangge.cases.workflow import FLOW
from wangge.core.roles import can
from wangge.core.services import NotInArea, OperationError

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
MAX_SIDE = 2560
JPEG_QUALITY = 85


@dataclass
class CleanPhoto:
    """A photo ready to store: JPEG bytes without metadata, and its size in pixels."""

    original_name: str
    content: bytes
    width: int
    height: int


def _refuse(message: str):
    raise OperationError(message, field="photos")


def _decode(upload) -> Image.Image:
    """The image in an upload, fully decoded; OperationError when the bytes are not a JPEG/PNG/WebP."""
    name = getattr(upload, "name", "") or "photo"
    try:
        upload.seek(0)
        data = upload.read()
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()  # catches truncated and corrupt files before the full decode
            kind = probe.format
        if kind not in ACCEPTED_FORMATS:
            _refuse(_("Unsupported image type (JPEG, PNG or WebP): %(name)s") % {"name": name})
        image = Image.open(io.BytesIO(data))
        image.load()
    except OperationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        _refuse(_("Not an image: %(name)s") % {"name": name})
    finally:
        try:
            upload.seek(0)
        except (AttributeError, ValueError, OSError):
            pass
    return image


def _reencode(image: Image.Image) -> tuple[bytes, int, int]:
    upright = ImageOps.exif_transpose(image)
    upright.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    # A new image from the pixels alone: nothing of the original's info (EXIF, XMP, ICC, comment) comes along.
    # Transparent areas become white rather than black.
    clean = Image.new("RGB", upright.size, "white")
    if upright.mode in ("RGBA", "LA", "PA") or (upright.mode == "P" and "transparency" in upright.info):
        rgba = upright.convert("RGBA")
        clean.paste(rgba, mask=rgba.getchannel("A"))
    else:
        clean.paste(upright.convert("RGB"))
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue(), clean.width, clean.height


def clean_photos(files) -> list[CleanPhoto]:
    """Check and re-encode every file; OperationError(field="photos") for the first bad one, storing nothing."""
    files = [f for f in (files or []) if f is not None]
    limit = settings.WANGGE_PHOTO_MAX_COUNT
    if len(files) > limit:
        _refuse(_("At most %(limit)s photos") % {"limit": limit})
    max_bytes = settings.WANGGE_PHOTO_MAX_BYTES
    for upload in files:  # sizes first: a cheap refusal before any decoding
        size = getattr(upload, "size", None)
        if size is None or size > max_bytes:
            _refuse(_("Photo larger than %(mb)s MB: %(name)s") % {"mb": max_bytes // (1024 * 1024) or 1,
                                                                 "name": getattr(upload, "name", "")})
    cleaned = []
    for upload in files:
        image = _decode(upload)
        try:
            content, width, height = _reencode(image)
        except (OSError, ValueError):
            _refuse(_("Cannot process the image: %(name)s") % {"name": getattr(upload, "name", "")})
        finally:
            image.close()
        cleaned.append(CleanPhoto(getattr(upload, "name", "") or "photo", content, width, height))
    return cleaned


def _may_add(actor, case) -> None:
    if actor is None:
        return  # the portal and Open311 attach to the case they have just made
    if not Case.objects.visible_to(actor).filter(pk=case.pk).exists():
        raise NotInArea(_("The case is outside your area"), field="case")
    if not (can(actor, "cases.view") or case.reporter_id == actor.pk):
        raise NotInArea(_("Not allowed"), field="case")


def store_photos(actor, case, cleaned: list[CleanPhoto], stage: str, now, stored: list) -> list[CasePhoto]:
    """Write already-cleaned photos to storage and as rows, inside the caller's transaction.

    Files are not part of a database transaction: each stored name is appended to `stored`, so the caller
    can delete them again when its transaction fails (see `do_add_photos`)."""
    saved = []
    for photo in cleaned:
        row = CasePhoto(case=case, stage=stage, width=photo.width, height=photo.height, size=len(photo.content),
                        uploaded_by=actor if getattr(actor, "pk", None) else None, uploaded_at=now)
        # A random name: the uploader's file name can carry personal text and is not needed.
        row.image.save(f"{case.pk}-{secrets.token_hex(8)}.jpg", ContentFile(photo.content), save=False)
        stored.append(row.image.name)
        row.save()
        saved.append(row)
    return saved


def remove_files(names) -> None:
    """Delete stored photo files whose rows were rolled back."""
    storage = CasePhoto._meta.get_field("image").storage
    for name in names:
        try:
            storage.delete(name)
        except OSError:
            pass


@contextmanager
def photo_transaction():
    """A transaction that may store photo files: yields the list `store_photos` appends their names to, and
    deletes those files again when the transaction fails (files are not part of a database transaction)."""
    stored = []
    try:
        with transaction.atomic():
            yield stored
    except BaseException:
        remove_files(stored)
        raise


def attach_photos(actor, case, cleaned: list[CleanPhoto], stage: str, now, stored: list, *,
                  checked: bool = True) -> list[CasePhoto]:
    """Store already-cleaned photos on `case` with their timeline row, inside the caller's photo_transaction.

    `checked`: the actor must see the case and the case take photos at this stage (not needed for the photos
    of the report that has just made the case)."""
    if checked:
        if stage not in PhotoStage.values:
            raise OperationError(_("Unknown photo stage %(stage)r") % {"stage": stage}, field="stage")
        _may_add(actor, case)
        _check_state(case, stage)
    photos = store_photos(actor, case, cleaned, stage, now, stored)
    FLOW.record(actor, case, "add_photos", details={"stage": stage, "count": len(photos)}, now=now)
    return photos


def do_add_photos(actor, case, files, stage: str = PhotoStage.REPORT, *, now=None) -> list[CasePhoto]:
    """Add photos to a case (at report, after handling, at verification): all or none, with a timeline row."""
    if stage not in PhotoStage.values:
        raise OperationError(_("Unknown photo stage %(stage)r") % {"stage": stage}, field="stage")
    cleaned = clean_photos(files)
    if not cleaned:
        _refuse(_("No photo given"))
    with photo_transaction() as stored:
        return attach_photos(actor, case, cleaned, stage, now or timezone.now(), stored)


def _check_state(case, stage) -> None:
    if case.state in (State.REJECTED, State.MERGED) or (case.state == State.CLOSED and stage != PhotoStage.VERIFY):
        raise OperationError(_("The case is finished"), field="stage")
