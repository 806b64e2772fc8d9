"""Case photos: only real images are kept, re-encoded without EXIF (GPS, device), upright and bounded in size;
one bad file stores nothing; the file view answers only inside the viewer's area."""
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image

from wangge.cases import photos, services
from wangge.cases.models import CaseEvent, CasePhoto, State
from wangge.cases.testing import case_in, category, report
from wangge.core.models import AuditEntry
from wangge.core.roles import Role
from wangge.core.services import OperationError

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def phone_jpeg(size=(40, 20), name="IMG_0001.jpg", orientation=6) -> SimpleUploadedFile:
    """A JPEG as a phone writes it: GPS position, maker and model, and a rotate-90 orientation tag."""
    image = Image.new("RGB", size, "red")
    image.paste((0, 0, 255), (0, 0, size[0] // 2, size[1]))  # left half blue: shows which way it was turned
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "HUAWEI"
    exif[ExifTags.Base.Model] = "P60-SECRET-MODEL"
    exif[ExifTags.IFD.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (30.0, 36.0, 1.5),
                                  ExifTags.GPS.GPSLongitudeRef: "E", ExifTags.GPS.GPSLongitude: (104.0, 3.0, 2.25)}
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif, comment=b"owner: Zhang San 13800001111")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def png(size=(30, 30), mode="RGBA", name="shot.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new(mode, size, (0, 128, 0, 0) if mode == "RGBA" else "green").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def webp(name="w.webp") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "yellow").save(buffer, "WEBP")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/webp")


def text_as_jpg() -> SimpleUploadedFile:
    return SimpleUploadedFile("notes.jpg", b"this is not an image at all, only text\n" * 20, content_type="image/jpeg")


def stored(photo: CasePhoto) -> Image.Image:
    with photo.image.open("rb") as handle:
        data = handle.read()
    image = Image.open(io.BytesIO(data))
    image.load()
    image.raw_bytes = data
    return image


def test_exif_with_gps_is_gone_and_the_photo_is_upright(world):
    case = report(world)
    upload = phone_jpeg(size=(40, 20))
    assert b"P60-SECRET-MODEL" in upload.read() and upload.seek(0) is not None
    [photo] = photos.do_add_photos(world.users[Role.GRID_WORKER], case, [upload])
    image = stored(photo)
    assert image.format == "JPEG"
    exif = image.getexif()
    assert len(exif) == 0
    assert exif.get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert b"P60-SECRET-MODEL" not in image.raw_bytes and b"HUAWEI" not in image.raw_bytes
    assert b"13800001111" not in image.raw_bytes  # the JPEG comment is gone too
    # Orientation 6 (rotate 90° clockwise to show): the 40x20 landscape is kept as a 20x40 portrait,
    # with the blue left half now at the top.
    assert image.size == (20, 40) == (photo.width, photo.height)
    top, bottom = image.getpixel((10, 5)), image.getpixel((10, 35))
    assert top[2] > 200 and top[0] < 60, top
    assert bottom[0] > 200 and bottom[2] < 60, bottom
    assert photo.size == len(image.raw_bytes)
    assert "IMG_0001" not in photo.image.name  # the uploader's file name is not kept


def test_large_photos_are_scaled_down_and_png_webp_accepted(world):
    case = report(world)
    kept = photos.do_add_photos(world.users[Role.GRID_WORKER], case,
                                [phone_jpeg(size=(3000, 1000), orientation=1), png(), webp()])
    assert [(p.width, p.height) for p in kept] == [(2560, 853), (30, 30), (20, 20)]
    assert all(stored(p).format == "JPEG" for p in kept)
    # A transparent PNG is flattened on white, not black.
    assert stored(kept[1]).getpixel((15, 15))[0] > 200


def test_photos_write_a_timeline_row_and_an_audit_row(world):
    case = report(world)
    user = world.users[Role.GRID_WORKER]
    photos.do_add_photos(user, case, [png(), webp()], stage="report")
    event = CaseEvent.objects.filter(case=case).order_by("-id").first()
    assert (event.action, event.details, event.actor_id) == ("add_photos", {"stage": "report", "count": 2}, user.pk)
    assert AuditEntry.objects.filter(operation="cases.add_photos", object_id=str(case.pk)).exists()
    assert CasePhoto.objects.filter(case=case, uploaded_by=user).count() == 2


@pytest.mark.parametrize("bad", ["text", "large", "many", "gif"])
def test_one_bad_file_stores_nothing(world, settings, bad, tmp_path):
    case = report(world)
    files = [png(), phone_jpeg()]
    if bad == "text":
        files.append(text_as_jpg())
    elif bad == "large":
        settings.WANGGE_PHOTO_MAX_BYTES = 2000
        files.append(phone_jpeg(size=(400, 400), orientation=1))
        assert files[-1].size > 2000 >= max(f.size for f in files[:2])
    elif bad == "many":
        settings.WANGGE_PHOTO_MAX_COUNT = 2
        files.append(webp())
    else:
        buffer = io.BytesIO()
        Image.new("RGB", (5, 5)).save(buffer, "GIF")
        files.append(SimpleUploadedFile("anim.jpg", buffer.getvalue()))
    events = CaseEvent.objects.filter(case=case).count()
    with pytest.raises(OperationError) as exc:
        photos.do_add_photos(world.users[Role.GRID_WORKER], case, files)
    assert exc.value.field == "photos"
    assert not CasePhoto.objects.exists()
    assert CaseEvent.objects.filter(case=case).count() == events
    media = tmp_path / "media"
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_truncated_jpeg_is_refused(world):
    good = phone_jpeg(size=(200, 200)).read()
    with pytest.raises(OperationError):
        photos.clean_photos([SimpleUploadedFile("cut.jpg", good[: len(good) // 2])])


def test_outside_the_area_or_finished_case_refused(world):
    case = report(world)
    with pytest.raises(OperationError) as exc:
        photos.do_add_photos(world.outsiders[Role.GRID_WORKER], case, [png()])
    assert exc.value.field == "case"
    with pytest.raises(OperationError) as exc:
        photos.do_add_photos(world.users[Role.GRID_WORKER], case, [png()], stage="sideways")
    assert exc.value.field == "stage"
    closed = case_in(world, "closed")
    with pytest.raises(OperationError):
        photos.do_add_photos(world.users[Role.DISTRICT_OPERATOR], closed, [png()], stage="report")
    photos.do_add_photos(world.users[Role.DISTRICT_OPERATOR], closed, [png()], stage="verify")
    assert CasePhoto.objects.count() == 1


def test_report_with_photos_is_all_or_nothing(world):
    lng, lat = world.grid_center(world.grids[0])
    worker = world.users[Role.GRID_WORKER]
    with pytest.raises(OperationError):
        services.do_report_case(worker, category=category(), title="井盖缺失", lng=lng, lat=lat,
                                photos=[png(), text_as_jpg()])
    assert not CasePhoto.objects.exists()
    with pytest.raises(OperationError) as exc:  # a good photo with a bad report: no case, no photo file
        services.do_report_case(worker, category="99999", title="井盖缺失", lng=lng, lat=lat, photos=[png()])
    assert exc.value.field == "category"
    assert not CasePhoto.objects.exists()
    case = services.do_report_case(worker, category=category(), title="井盖缺失", lng=lng, lat=lat,
                                   photos=[phone_jpeg()])
    assert case.photos.count() == 1
    case = services.do_report_public(category=category(), title="井盖缺失", lng=lng, lat=lat, photos=[png()])
    assert case.photos.get().uploaded_by is None


def test_photo_view_is_scoped(world, client):
    case = report(world)
    [photo] = photos.do_add_photos(world.users[Role.GRID_WORKER], case, [phone_jpeg()])
    url = f"/cases/photos/{photo.pk}/"
    response = client.get(url)
    assert response.status_code == 302 and "login" in response["Location"]
    client.force_login(world.users[Role.COMMUNITY_OPERATOR])
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    body = b"".join(response.streaming_content)
    assert body[:2] == b"\xff\xd8" and b"HUAWEI" not in body
    for outsider in (world.outsiders[Role.COMMUNITY_OPERATOR], world.outsiders[Role.GRID_WORKER],
                     world.users[Role.DEPARTMENT_HANDLER], world.users[Role.MEDIATOR]):
        client.force_login(outsider)
        assert client.get(url).status_code == 404, outsider.username
    client.force_login(world.users[Role.DISTRICT_OPERATOR])
    assert client.get(f"/cases/photos/{photo.pk + 1000}/").status_code == 404


def test_dispatched_department_sees_the_photo(world, client):
    case = case_in(world, "dispatched")
    [photo] = photos.do_add_photos(world.users[Role.GRID_WORKER], case, [png()])
    client.force_login(world.users[Role.DEPARTMENT_HANDLER])
    assert client.get(f"/cases/photos/{photo.pk}/").status_code == 200
    assert case.state == State.DISPATCHED
