"""The worker deletes held uploads whose forms were abandoned, and keeps the recent ones."""
import os
from datetime import timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from wangge.core import pending_uploads, pollers


def test_sweep_deletes_only_what_is_older_than_a_day(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    old = default_storage.save("pending/old", ContentFile(b"x"))
    fresh = default_storage.save("pending/fresh", ContentFile(b"y"))
    long_ago = (timezone.now() - timedelta(hours=pending_uploads.KEEP_HOURS + 1)).timestamp()
    os.utime(tmp_path / old, (long_ago, long_ago))
    assert pending_uploads.sweep() == {"pending_uploads_deleted": 1}
    assert not default_storage.exists(old) and default_storage.exists(fresh)
    assert "pending_uploads" in pollers.registered()


def test_sweep_without_a_pending_folder_does_nothing(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "none")
    assert pending_uploads.sweep() == {"pending_uploads_deleted": 0}
