import pytest

from wangge.cases.models import Category, MajorCategory

pytestmark = pytest.mark.django_db


def test_default_catalogue_covers_urban_management_and_governance():
    names = set(MajorCategory.objects.values_list("name", flat=True))
    assert {"市容环境", "宣传广告", "施工管理", "街面秩序", "市政公用设施", "交通设施", "园林绿化", "矛盾纠纷",
            "治安隐患", "消防/燃气/建筑安全隐患", "特殊人群异常", "民生诉求与代办", "政策咨询"} <= names
    for category in Category.objects.select_related("major"):
        assert len(category.major.code) == 2 and len(category.code) == 3
        assert category.department_codes, category
        assert category.urgent_handle_within_days <= category.handle_within_days
    assert Category.objects.get(major__code="01", code="001").full_code == "01001"
