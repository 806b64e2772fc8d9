"""The default 事项清单: urban management (城市管理) and governance (社会治理) classes.

Departments are rows per district, so each minor names its departments by code in `department_codes`;
dispatch resolves them to the case's district's rows. Codes: CG 城管, ZJ 住建, HB 生态环境, GA 公安,
XF 消防, SJ 市场监管, SW 水务, GD 供电, RQ 燃气, MZ 民政, RS 人社, WJ 卫健, SF 司法, JY 教育, JT 交通运输,
YL 园林绿化. Limits: (accept within working hours, handle within working days, urgent handle within days).
"""
from django.db import migrations

N, U = "normal", "urgent"

CATALOGUE = [
    ("01", "市容环境", [
        ("001", "暴露垃圾", ["CG"], N, 2, 1, 1),
        ("002", "积存垃圾渣土", ["CG"], N, 2, 2, 1),
        ("003", "道路不洁", ["CG"], N, 2, 1, 1),
        ("004", "乱堆物堆料", ["CG"], N, 2, 2, 1),
        ("005", "油烟污染", ["HB", "CG"], N, 4, 5, 2),
    ]),
    ("02", "宣传广告", [
        ("001", "违规户外广告", ["CG"], N, 4, 5, 2),
        ("002", "非法小广告", ["CG"], N, 4, 2, 1),
        ("003", "占道宣传咨询", ["CG"], N, 2, 1, 1),
    ]),
    ("03", "施工管理", [
        ("001", "施工扰民", ["ZJ", "HB"], N, 2, 3, 1),
        ("002", "工地扬尘", ["ZJ", "HB"], N, 2, 3, 1),
        ("003", "违法建设", ["CG", "ZJ"], N, 4, 10, 3),
        ("004", "道路遗撒", ["CG"], U, 1, 1, 1),
    ]),
    ("04", "街面秩序", [
        ("001", "占道经营", ["CG"], N, 2, 1, 1),
        ("002", "店外经营", ["CG", "SJ"], N, 2, 2, 1),
        ("003", "流浪乞讨", ["MZ", "GA"], N, 2, 2, 1),
        ("004", "非机动车乱停放", ["JT", "CG"], N, 2, 1, 1),
    ]),
    ("05", "市政公用设施", [
        ("001", "井盖缺损", ["SW", "ZJ"], U, 1, 1, 1),
        ("002", "路灯不亮", ["GD", "CG"], N, 4, 3, 1),
        ("003", "供水管道破裂", ["SW"], U, 1, 1, 1),
        ("004", "道路破损", ["ZJ"], N, 4, 5, 2),
    ]),
    ("06", "交通设施", [
        ("001", "交通信号灯故障", ["GA"], U, 1, 1, 1),
        ("002", "交通标志损坏", ["JT", "GA"], N, 4, 5, 2),
        ("003", "护栏损坏", ["JT"], N, 4, 5, 2),
    ]),
    ("07", "园林绿化", [
        ("001", "绿地脏乱", ["YL"], N, 4, 3, 1),
        ("002", "树木倒伏", ["YL"], U, 1, 1, 1),
        ("003", "毁绿占绿", ["YL", "CG"], N, 4, 5, 2),
    ]),
    ("11", "矛盾纠纷", [
        ("001", "邻里纠纷", ["SF"], N, 4, 10, 3),
        ("002", "物业纠纷", ["ZJ", "SF"], N, 4, 10, 3),
        ("003", "劳资纠纷", ["RS"], N, 4, 10, 3),
        ("004", "婚姻家庭纠纷", ["SF", "MZ"], N, 4, 10, 3),
    ]),
    ("12", "治安隐患", [
        ("001", "可疑人员", ["GA"], U, 1, 1, 1),
        ("002", "黄赌毒线索", ["GA"], U, 1, 3, 1),
        ("003", "群租房隐患", ["GA", "ZJ"], N, 4, 5, 2),
    ]),
    ("13", "消防/燃气/建筑安全隐患", [
        ("001", "消防通道堵塞", ["XF"], U, 1, 1, 1),
        ("002", "电动车违规充电", ["XF"], U, 1, 1, 1),
        ("003", "燃气泄漏隐患", ["RQ"], U, 1, 1, 1),
        ("004", "危房及建筑安全", ["ZJ"], U, 1, 3, 1),
    ]),
    ("14", "特殊人群异常", [
        ("001", "严重精神障碍患者异常", ["WJ", "GA"], U, 1, 1, 1),
        ("002", "社区矫正对象异常", ["SF"], U, 1, 1, 1),
        ("003", "吸毒人员异常", ["GA"], U, 1, 1, 1),
    ]),
    ("15", "民生诉求与代办", [
        ("001", "低保救助", ["MZ"], N, 8, 10, 3),
        ("002", "就业社保", ["RS"], N, 8, 10, 3),
        ("003", "医疗卫生", ["WJ"], N, 8, 5, 2),
        ("004", "入学就学", ["JY"], N, 8, 10, 3),
        ("005", "证照代办", ["MZ"], N, 8, 10, 3),
    ]),
    ("16", "政策咨询", [
        ("001", "政策咨询", ["MZ"], N, 8, 5, 2),
    ]),
]


def load(apps, schema_editor):
    MajorCategory = apps.get_model("cases", "MajorCategory")
    Category = apps.get_model("cases", "Category")
    for major_code, major_name, minors in CATALOGUE:
        major, _ = MajorCategory.objects.get_or_create(code=major_code, defaults={"name": major_name})
        for code, name, departments, priority, accept_h, handle_d, urgent_d in minors:
            Category.objects.get_or_create(major=major, code=code, defaults={
                "name": name, "department_codes": departments, "default_priority": priority,
                "accept_within_hours": accept_h, "handle_within_days": handle_d,
                "urgent_handle_within_days": urgent_d})


def unload(apps, schema_editor):
    apps.get_model("cases", "Category").objects.filter(major__code__in=[m[0] for m in CATALOGUE]).delete()
    apps.get_model("cases", "MajorCategory").objects.filter(code__in=[m[0] for m in CATALOGUE]).delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
