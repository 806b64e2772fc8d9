"""The 统计考核 page and its .xlsx export, over the known ledger of test_measures (June 2025)."""
import json
import re
from io import BytesIO

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from wangge.cases.tests.test_measures import ledger  # noqa: F401  (the fixture)
from wangge.core.roles import Role

PAGE, XLSX = "/cases/stats/", "/cases/stats.xlsx"
JUNE = {"from": "2025-06-01", "to": "2025-06-30"}


def page(client, user, url=PAGE, **params):
    client.force_login(user)
    return client.get(url, params)


def test_page_shows_cards_charts_and_table(client, world, ledger):  # noqa: F811
    response = page(client, world.users[Role.DISTRICT_OPERATOR], **JUNE)
    assert response.status_code == 200
    body = response.content.decode()
    assert '<dd data-count="received">10</dd>' in body
    assert re.search(r'data-rate="register_rate">75\.0%<span class="kpi-note">6 / 8</span>', body)
    assert re.search(r'data-rate="close_rate">71\.4%<span class="kpi-note">5 / 7</span>', body)
    assert 'data-rate="accept_hours">4.0<' in body
    # every chart reads its data from the page, and echarts from our own static files
    chart = json.loads(re.search(r'<script id="stats-chart-data" type="application/json">(.*?)</script>',
                                 body, re.S).group(1))
    assert chart["bars"]["labels"] == [s.name for s in world.streets]
    assert chart["bars"]["received"] == [9, 1]
    assert chart["trend"]["labels"][-1] == "2025-06" and chart["trend"]["received"][-2:] == [1, 10]
    assert sum(p["value"] for p in chart["pie"]) == 10
    assert "/static/vendor/echarts.min.js" in body
    assert not re.search(r'src="(https?:)?//', body)
    table = re.search(r'<table class="table stats-table" id="stats-table">.*?</table>', body, re.S).group(0)
    assert table.count("<tr") == 1 + 2 + 1  # head, two streets, total
    assert "合计" in table
    assert 'href="/cases/stats.xlsx?from=2025-06-01&amp;to=2025-06-30"' in body


def test_page_by_category_and_by_month(client, world, ledger):  # noqa: F811
    op = world.users[Role.DISTRICT_OPERATOR]
    by_category = page(client, op, group="category", **JUNE)
    assert by_category.status_code == 200
    assert by_category.context["stats"]["group"] == "category"
    by_month = page(client, op, group="period", period="month", **{"from": "2025-05-01", "to": "2025-07-31"})
    assert [r["label"] for r in by_month.context["stats"]["rows"]] == ["2025-05", "2025-06", "2025-07"]


def test_empty_window_shows_dashes_not_percentages(client, world, ledger):  # noqa: F811
    body = page(client, world.users[Role.DISTRICT_OPERATOR],
                **{"from": "2023-01-01", "to": "2023-01-31"}).content.decode()
    assert 'data-rate="register_rate">—<' in body
    assert "100.0%" not in body


def test_street_operator_page_is_their_street(client, world, ledger):  # noqa: F811
    response = page(client, world.outsiders[Role.STREET_OPERATOR], **JUNE)
    body = response.content.decode()
    assert '<dd data-count="received">1</dd>' in body
    assert world.streets[0].name not in body and world.communities[0].name not in body
    assert page(client, world.users[Role.STREET_OPERATOR], region=world.streets[1].code).status_code == 404


def test_bad_filters_answer_422_and_name_the_field(client, world, ledger):  # noqa: F811
    response = page(client, world.users[Role.DISTRICT_OPERATOR], group="nope",
                    **{"from": "2025-06-30", "to": "2025-06-01"})
    assert response.status_code == 422
    assert set(response.context["errors"]) == {"group", "to"}
    assert 'id="stats-errors"' in response.content.decode()


@pytest.mark.parametrize("role", [Role.GRID_WORKER, Role.MEDIATOR])
def test_page_and_export_need_cases_stats(client, world, role):
    assert page(client, world.users[role]).status_code == 403
    assert page(client, world.users[role], XLSX).status_code == 403


def test_anonymous_goes_to_login(client, world):
    assert client.get(PAGE).status_code == 302
    assert client.get(XLSX).status_code == 302


def _sheet(response):
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))


def test_export_is_the_table_with_numerators_and_denominators(client, world, ledger):  # noqa: F811
    rows = _sheet(page(client, world.users[Role.DISTRICT_OPERATOR], XLSX, **JUNE))
    head = rows[1]
    assert head[:3] == ("名称", "编码", "受理数")
    by_name = {r[0]: dict(zip(head, r)) for r in rows[2:]}
    assert list(by_name) == [world.streets[0].name, world.streets[1].name, "合计"]
    total = by_name["合计"]
    assert (total["受理数"], total["立案率"], total["立案率分子"], total["立案率分母"]) == (10, 0.75, 6, 8)
    assert total["结案率分母"] == 7


def test_export_is_scoped_and_refuses_bad_input(client, world, ledger):  # noqa: F811
    response = page(client, world.outsiders[Role.STREET_OPERATOR], XLSX, group="region", level="grid", **JUNE)
    rows = _sheet(response)
    text = repr(rows)
    assert world.streets[0].name not in text and world.grids[0].code not in text
    assert rows[-1][0] == "合计" and rows[-1][2] == 1
    assert page(client, world.outsiders[Role.STREET_OPERATOR], XLSX, region=world.streets[0].code).status_code == 404
    bad = page(client, world.users[Role.DISTRICT_OPERATOR], XLSX, period="decade")
    assert bad.status_code == 422 and "period" in bad.content.decode()


def test_the_window_counted_is_shown_when_no_dates_are_given(client, world, ledger):  # noqa: F811
    client.force_login(world.users[Role.DISTRICT_OPERATOR])
    body = client.get("/cases/stats/", {"period": "month"}).content.decode()
    today = timezone.localdate()
    start = today.replace(day=1)
    assert f'id="stats-window">当前统计区间：{start:%Y-%m-%d} 至' in body
    dated = client.get("/cases/stats/", {"from": "2025-06-01", "to": "2025-06-30"}).content.decode()
    assert 'id="stats-window"' not in dated and 'value="2025-06-01"' in dated
