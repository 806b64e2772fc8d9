"""The demo's labelled cluster (wangge/demo/cases.py) is what the early warnings find: a significant hot spot of
street-order reports, explained by its numbers, on a small demo district loaded the way load_demo loads it."""
from datetime import datetime

import pytest

from wangge.demo import cases as demo_cases
from wangge.demo import services
from wangge.demo.generator import generate
from wangge.insight import analysis
from wangge.insight.models import EarlyWarning

pytestmark = pytest.mark.django_db
SEED = 2023
NOW = datetime.fromisoformat("2026-11-20T16:00:00+08:00")


def test_the_demo_cluster_is_a_significant_hot_spot():
    district = services.load(generate(SEED, target_grids=40, streets=3), people=0, cases=0).district
    demo_cases.load_cases(district, SEED, 1500, now=NOW)
    analysis.run(NOW)
    hot = EarlyWarning.objects.filter(kind="hotspot", category=demo_cases.CLUSTER_MAJOR).order_by("-details__z")
    assert hot.exists()
    top = max(hot, key=lambda w: w.details["z"])
    assert top.details["q"] <= 0.05 and top.details["z"] > 3 and top.details["observed"] >= 3
    assert top.details["neighbourhood"] > top.details["expected"]
    assert len(top.records) >= top.details["observed"]
    from wangge.cases.models import Case

    described = Case.objects.filter(pk__in=[pk for source, pk, number in top.records if source == "case"])
    assert any(demo_cases.CLUSTER_NOTE in c.description for c in described)
