"""The default care and special groups (GB/T 31000-2015 9+X) with visit frequencies.
Administrators may change frequencies or add local groups afterwards."""
from django.db import migrations

TAGS = [
    # code, name, group, visit every N days
    ("left_behind_child", "留守儿童", "care", 30),
    ("children_in_difficulty", "困境儿童", "care", 30),
    ("empty_nest_elder", "空巢老人", "care", 30),
    ("elder_living_alone", "独居老人", "care", 7),
    ("disabled", "残疾人", "care", 30),
    ("subsistence", "低保/特困", "care", 30),
    ("veteran", "退役军人", "care", 90),
    ("serious_illness", "大病重病", "care", 30),
    ("community_correction", "社区矫正人员", "special", 7),
    ("released_prisoner", "刑满释放人员", "special", 30),
    ("drug_user", "吸毒人员", "special", 7),
    ("severe_mental_disorder", "严重精神障碍患者", "special", 7),
    ("aids_risk", "艾滋病危险人员", "special", 30),
    ("key_youth", "重点青少年", "special", 30),
    ("key_petitioner", "信访重点人员", "special", 14),
]


def create(apps, schema_editor):
    Tag = apps.get_model("registry", "Tag")
    for code, name, group, days in TAGS:
        Tag.objects.get_or_create(code=code, defaults={"name": name, "group": group, "visit_every_days": days})


def remove(apps, schema_editor):
    apps.get_model("registry", "Tag").objects.filter(code__in=[t[0] for t in TAGS]).delete()


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]
    operations = [migrations.RunPython(create, remove)]
