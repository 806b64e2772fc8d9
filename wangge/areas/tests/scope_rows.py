from wangge.core.roles import OPERATORS, Role
from wangge.core.tests.scope_matrix import Row


def _stats_match_visible(response, ctx):
    """The counts under a region are the counts of what the user may see there."""
    data = response.json()
    region = ctx.region
    expected = {}
    for r in ctx.visible_regions:
        if r.path.startswith(region.path) and r.pk != region.pk:
            expected[r.level] = expected.get(r.level, 0) + 1
    assert data["counts"] == expected


def _listing_is_exactly_visible(response, ctx):
    codes = {item["code"] for item in response.json()["items"]}
    assert codes == {r.code for r in ctx.visible_regions}


ROWS = [
    Row("api: region list", "/api/v1/regions?limit=1000", check=_listing_is_exactly_visible),
    Row("api: region search", "/api/v1/regions?q=测试&limit=1000"),
    Row("api: region detail", "/api/v1/regions/{code}"),
    Row("api: region children", "/api/v1/regions/{code}/children"),
    Row("api: region stats", "/api/v1/regions/{code}/stats", check=_stats_match_visible),
    Row("api: grid team", "/api/v1/grids/{code}/team", levels=("grid",)),
    Row("api: grid export", "/api/v1/grids/export", roles=(Role.ADMINISTRATOR, *OPERATORS)),
    Row("api: grid export under", "/api/v1/grids/export?under={code}", roles=(Role.ADMINISTRATOR, *OPERATORS),
        levels=("street", "community")),
    # Pages
    Row("page: map home", "/map/"),  # "/" is the map too, or sends a role to its work page (rows of their own)
    Row("page: region", "/regions/{code}/"),
    Row("page: region panel", "/regions/{code}/panel/", levels=("district", "street", "community")),
    Row("page: grid", "/grids/{code}/", levels=("grid",)),
    Row("page: map data", "/map/{code}.json"),
]
