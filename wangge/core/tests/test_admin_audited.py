"""Every model editable in the Django admin is audited, the catalogue included: each registered ModelAdmin is
an AuditedAdmin, and an edit through the admin (a form or an inline row) leaves its audit row."""
import json

import pytest
from django.contrib import admin
from django.forms.models import model_to_dict

from wangge.cases.models import Category, MajorCategory
from wangge.core.admin import AuditedAdmin
from wangge.core.models import AuditEntry, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("maintainer", "maintainer@example.org", "x-unused-x")


def _form_data(obj) -> dict:
    """What the admin's change form posts for `obj` as it is (JSON as text, many-to-many as ids, a box that is
    not ticked left out)."""
    data = {}
    for name, value in model_to_dict(obj).items():
        field = obj._meta.get_field(name)
        if field.many_to_many:
            data[name] = [item.pk for item in value]
        elif isinstance(value, (list, dict)):
            data[name] = json.dumps(value)
        elif value is True:
            data[name] = "on"
        elif value is not False:
            data[name] = "" if value is None else value
        if callable(getattr(field, "default", None)) and name in data:
            data[f"initial-{name}"] = data[name]  # the form's hidden copy of a field with a callable default
    return data


def test_every_registered_model_admin_is_audited():
    assert admin.site._registry, "nothing registered: the admin did not load"
    unaudited = sorted(model._meta.label for model, model_admin in admin.site._registry.items()
                       if not isinstance(model_admin, AuditedAdmin))
    assert unaudited == []
    assert {"cases.Category", "cases.MajorCategory", "auth.Group"} <= {m._meta.label for m in admin.site._registry}


def test_editing_a_catalogue_entry_in_the_admin_is_audited(client, superuser):
    category = Category.objects.filter(active=True).order_by("id").first()
    client.force_login(superuser)
    before = AuditEntry.objects.count()
    data = {**_form_data(category), "name": "占道经营（改）", "handle_within_days": category.handle_within_days + 1}
    response = client.post(f"/admin/cases/category/{category.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    category.refresh_from_db()
    assert category.name == "占道经营（改）"
    entry = AuditEntry.objects.get(operation="admin.change", object_type="cases.category")
    assert AuditEntry.objects.count() == before + 1
    assert entry.actor == superuser and entry.object_id == str(category.pk)
    assert entry.details["fields"] == ["handle_within_days", "name"]


def test_an_inline_catalogue_row_added_in_the_admin_is_audited(client, superuser):
    major = MajorCategory.objects.order_by("id").first()
    rows = list(Category.objects.filter(major=major).order_by("id"))
    client.force_login(superuser)
    inline = admin.site._registry[MajorCategory].inlines[0]
    formset_prefix = inline.model._meta.get_field("major").remote_field.get_accessor_name()
    data = {**_form_data(major), f"{formset_prefix}-TOTAL_FORMS": str(len(rows) + 1),
            f"{formset_prefix}-INITIAL_FORMS": str(len(rows)), f"{formset_prefix}-MIN_NUM_FORMS": "0",
            f"{formset_prefix}-MAX_NUM_FORMS": "1000"}
    for i, row in enumerate([*rows, None]):
        values = _form_data(row) if row is not None else {
            "code": "999", "name": "新增小类", "department_codes": "[]", "default_priority": rows[0].default_priority,
            "accept_within_hours": 2, "handle_within_days": 5, "urgent_handle_within_days": 1, "active": "on"}
        data.update({f"{formset_prefix}-{i}-{name}": values[name] for name in inline.fields if name in values})
        data[f"{formset_prefix}-{i}-id"] = row.pk if row is not None else ""
        data[f"{formset_prefix}-{i}-major"] = major.pk
    response = client.post(f"/admin/cases/majorcategory/{major.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    added = Category.objects.get(major=major, code="999")
    entry = AuditEntry.objects.get(operation="admin.add", object_type="cases.category")
    assert entry.object_id == str(added.pk) and entry.actor == superuser
