"""The in-process catalogue: an edit saved here is seen at once; one made elsewhere within its TTL."""
import pytest

from wangge.cases import catalogue
from wangge.cases.models import Category, MajorCategory

pytestmark = pytest.mark.django_db


def test_an_active_category_is_found_by_its_full_code_and_an_unknown_one_is_not():
    found = catalogue.active_by_code("01001")
    assert found == Category.objects.get(major__code="01", code="001")
    assert catalogue.active_by_code("99999") is None


def test_deactivating_a_category_or_its_class_here_is_seen_at_once():
    category = catalogue.active_by_code("01001")
    category.active = False
    category.save()
    assert catalogue.active_by_code("01001") is None
    major = MajorCategory.objects.get(code="02")
    code = f"02{major.minors.first().code}"
    assert catalogue.active_by_code(code) is not None
    major.active = False
    major.save()
    assert catalogue.active_by_code(code) is None


def test_an_edit_made_by_another_process_is_seen_once_the_ttl_has_passed(monkeypatch):
    assert catalogue.active_by_code("01001") is not None
    Category.objects.filter(major__code="01", code="001").update(active=False)  # no signal: as if elsewhere
    assert catalogue.active_by_code("01001") is not None  # still within the TTL
    clock = [catalogue.time.monotonic() + catalogue.TTL + 1]
    monkeypatch.setattr(catalogue.time, "monotonic", lambda: clock[0])
    assert catalogue.active_by_code("01001") is None
