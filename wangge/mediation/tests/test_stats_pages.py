"""The 矛盾纠纷统计 page, its .xlsx export and the 调解员排名 page, over the ledgers of test_measures."""
import json
import re
from io import BytesIO

import pytest
from openpyxl import load_workbook

from wangge.core.models import AuditEntry
from wangge.core.roles import Role
from wangge.mediation.models import Dispute
from wangge.mediation.tests.test_measures import _published_ledger, ledger  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db

PAGE, XLSX, RANKING = "/mediation/stats/", "/mediation/stats.xlsx", "/mediation/stats/mediators/"
JUNE = {"from": "2025-06-01", "to": "2025-06-30"}


def page(client, user, url=PAGE, **params):
    client.force_login(user)
    return client.get(url, params)


def chart_data(body, element="stats-chart-data"):
    return json.loads(re.search(rf'<script id="{element}" type="application/json">(.*?)</script>', body, re.S).group(1))


def test_the_page_states_the_published_figures(client, world):
    _published_ledger(world)
    body = page(client, world.users[Role.DISTRICT_OPERATOR], year="2025").content.decode()
    assert ("排查发现矛盾纠纷 2,421 件，化解 2,261 件，化解率 93.39%；调解 6,388 件，调解成功 6,095 件，"
            "调解成功率 95.41%，涉及当事人 17,019 人，协议金额 14,836.03 万元") in body
    assert re.search(r'data-rate="mediation_success_rate">95\.41%<span class="kpi-note">6,095 / 6,388</span>', body)
    assert 'data-count="amount">14,836.03<' in body


def test_page_shows_cards_charts_and_table(client, world, ledger):  # noqa: F811
    response = page(client, world.users[Role.DISTRICT_OPERATOR], **JUNE)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-count="mediated">8<span class="kpi-note">成功 5 件</span>' in body
    assert re.search(r'data-rate="found_success_rate">40\.00%<span class="kpi-note">2 / 5</span>', body)
    assert re.search(r'data-rate="referral_days">7\.50 天<span class="kpi-note">2 件，共 15 天</span>', body)
    chart = chart_data(body)
    assert chart["bars"]["labels"] == [s.name for s in world.streets]
    assert chart["bars"]["mediated"] == [6, 2] and chart["bars"]["successful"] == [4, 1]
    assert chart["trend"]["labels"][-1] == "2025-06" and chart["trend"]["mediated"][-2:] == [0, 8]
    assert sum(p["value"] for p in chart["pie"]) == 8
    assert "/static/vendor/echarts.min.js" in body
    assert not re.search(r'src="(https?:)?//', body)
    table = re.search(r'<table class="table stats-table" id="stats-table">.*?</table>', body, re.S).group(0)
    assert table.count("<tr") == 1 + 2 + 1 and "合计" in table
    assert 'href="/mediation/stats.xlsx?from=2025-06-01&amp;to=2025-06-30"' in body


@pytest.mark.parametrize("group_by, rows", [("level", 3), ("type", 5), ("committee", 5), ("mediator", 4),
                                             ("period", 1)])
def test_page_by_each_group(client, world, ledger, group_by, rows):  # noqa: F811
    response = page(client, world.users[Role.DISTRICT_OPERATOR], group_by=group_by, period="month", **JUNE)
    assert response.status_code == 200
    stats = response.context["stats"]
    assert stats["group_by"] == group_by and len(stats["rows"]) == rows
    assert sum(r["counts"]["mediated"] for r in stats["rows"]) == stats["total"]["counts"]["mediated"] == 8


def test_empty_window_shows_dashes_not_percentages(client, world, ledger):  # noqa: F811
    op = world.users[Role.DISTRICT_OPERATOR]
    body = page(client, op, **{"from": "2023-01-01", "to": "2023-01-31"}).content.decode()
    assert 'data-rate="mediation_success_rate">—<' in body
    assert "100.00%" not in body


def test_an_outsider_page_is_their_street_only(client, world, ledger):  # noqa: F811
    m, _ = ledger
    response = page(client, world.outsiders[Role.STREET_OPERATOR], **JUNE)
    assert response.context["stats"]["total"]["counts"]["mediated"] == 2
    body = response.content.decode()
    for text in (world.streets[0].name, world.communities[0].name, m.mediators["mediator_1"].name,
                 m.committee_of(world.communities[0]).name):
        assert text not in body
    assert page(client, world.outsiders[Role.STREET_OPERATOR], region=world.streets[0].code).status_code == 404


@pytest.mark.parametrize("url", [PAGE, XLSX, RANKING])
def test_without_mediation_stats_is_403(client, world, url):
    for role in (Role.GRID_WORKER, Role.MEDIATOR, Role.DEPARTMENT_HANDLER):
        assert page(client, world.users[role], url).status_code == 403


def test_anonymous_goes_to_login(client, world):
    for url in (PAGE, XLSX, RANKING):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]


def test_bad_filters_answer_422_with_field_messages_and_defaults(client, world, ledger):  # noqa: F811
    response = page(client, world.users[Role.DISTRICT_OPERATOR], group_by="colour", type="pets", **JUNE)
    assert response.status_code == 422
    assert set(response.context["errors"]) == {"group_by", "type"}
    body = response.content.decode()
    assert 'id="stats-errors"' in body and "group_by" in body and "没有该纠纷类型" in body
    assert response.context["stats"]["group_by"] == "region"
    assert response.context["stats"]["total"]["counts"]["mediated"] == 8  # the good fields still apply
    reversed_dates = page(client, world.users[Role.DISTRICT_OPERATOR], **{"from": "2025-06-30", "to": "2025-06-01"})
    assert reversed_dates.status_code == 422 and set(reversed_dates.context["errors"]) == {"to"}


def test_xlsx_has_every_row_count_amount_and_rate(client, world, ledger):  # noqa: F811
    before = AuditEntry.objects.filter(operation="mediation.stats_export").count()
    response = page(client, world.users[Role.DISTRICT_OPERATOR], XLSX, **JUNE)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][0].startswith("排查发现矛盾纠纷 5 件，化解 2 件，化解率 40.00%")
    head = list(rows[2])
    total = dict(zip(head, rows[-1]))
    assert total["名称"] == "合计" and total["调解数"] == 8 and total["调解成功"] == 5
    assert total["协议金额（元）"] == 20246.17 and total["协议金额（万元）"] == 2.02
    assert total["调解成功率"] == "62.50%" and total["调解成功率分子"] == 5 and total["调解成功率分母"] == 8
    assert [r[0] for r in rows[3:-1]] == [s.name for s in world.streets]
    assert AuditEntry.objects.filter(operation="mediation.stats_export").count() == before + 1


def test_xlsx_is_scoped_and_refuses_bad_filters(client, world, ledger):  # noqa: F811
    response = page(client, world.outsiders[Role.STREET_OPERATOR], XLSX, group_by="mediator", **JUNE)
    sheet = load_workbook(BytesIO(response.content)).active
    text = " ".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None)
    assert world.streets[0].name not in text and ledger[0].mediators["mediator_1"].name not in text
    rows = list(sheet.iter_rows(values_only=True))
    assert dict(zip(rows[2], rows[-1]))["调解数"] == 2
    before = AuditEntry.objects.count()
    bad = page(client, world.users[Role.DISTRICT_OPERATOR], XLSX, period="decade")
    assert bad.status_code == 422 and "period" in bad.content.decode()
    assert AuditEntry.objects.count() == before
    assert page(client, world.outsiders[Role.STREET_OPERATOR], XLSX, region=world.streets[0].code).status_code == 404


def test_the_ranking_page(client, world, ledger):  # noqa: F811
    m, _ = ledger
    response = page(client, world.users[Role.DISTRICT_OPERATOR], RANKING, year="2025", min_cases="1")
    assert response.status_code == 200
    body = response.content.decode()
    table = re.search(r'<table class="table stats-table" id="ranking-table">.*?</table>', body, re.S).group(0)
    names = [m.mediators[k].name for k in ("mediator_1", "pool", "mediator_2")]
    assert [table.index(n) for n in names] == sorted(table.index(n) for n in names)
    assert "66.67%" in table and "4.50（2 人）" in table and table.count("十佳") == 3
    assert chart_data(body, "ranking-chart-data") == {"labels": names, "agreed": [2, 1, 1], "cases": [3, 1, 1]}
    default = page(client, world.users[Role.DISTRICT_OPERATOR], RANKING, year="2025")
    assert default.context["data"]["ranking"] == [] and 'id="below-table"' in default.content.decode()


def test_the_ranking_page_is_scoped_and_checks_its_filters(client, world, ledger):  # noqa: F811
    m, _ = ledger
    outsider = page(client, world.outsiders[Role.COMMUNITY_OPERATOR], RANKING, year="2025", min_cases="1")
    assert [r["name"] for r in outsider.context["data"]["ranking"]] == [m.mediators["mediator_2"].name]
    assert m.mediators["mediator_1"].name not in outsider.content.decode()
    bad = page(client, world.users[Role.DISTRICT_OPERATOR], RANKING, year="nineteen", min_cases="0")
    assert bad.status_code == 422 and set(bad.context["errors"]) == {"year", "min_cases"}
    assert 'id="ranking-errors"' in bad.content.decode()
    assert Dispute.objects.count() == 10
