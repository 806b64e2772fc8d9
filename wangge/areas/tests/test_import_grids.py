import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from wangge.areas.importing import ImportRejected
from wangge.areas.models import Region
from wangge.areas.services import do_import_grids, grids_feature_collection
from wangge.core.models import AuditEntry
from wangge.testing import CELL, ORIGIN_LAT, ORIGIN_LNG, square

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english():
    """The reasons below are matched in English (the message ids); test_reasons_are_in_the_readers_language
    checks the Chinese."""
    with translation.override("en"):
        yield


def feature(code, parent_code, geometry, name="新网格", households=420):
    return {"type": "Feature", "geometry": geometry,
            "properties": {"code": code, "name": name, "parent_code": parent_code, "households": households}}


def collection(*features):
    return json.dumps({"type": "FeatureCollection", "features": list(features)})


def far_square(i):
    """Squares well away from the world's grids (no overlaps with existing siblings)."""
    return square(ORIGIN_LNG + i * CELL, ORIGIN_LAT + 1)


def errors_of(text):
    with pytest.raises(ImportRejected) as caught:
        do_import_grids(None, text)
    return caught.value.errors


def test_import_creates_grids_under_their_community(world):
    community = world.communities[0]
    result = do_import_grids(None, collection(feature(community.code + "009", community.code, far_square(0))))
    assert result.created == 1
    grid = Region.objects.get(code=community.code + "009")
    assert grid.level == "grid" and grid.parent == community
    assert grid.path == community.path + grid.code + "/"
    assert grid.households == 420
    assert grid.center_lng is not None


def test_export_then_import_changes_nothing(world):
    text = json.dumps(grids_feature_collection(Region.objects.all()))
    assert len(json.loads(text)["features"]) == 8
    stamps = list(Region.objects.grids().values_list("updated_at", flat=True).order_by("id"))
    result = do_import_grids(None, text)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 8)
    assert list(Region.objects.grids().values_list("updated_at", flat=True).order_by("id")) == stamps


def test_changed_boundary_updates_the_grid(world):
    grid = world.grids[0]
    smaller = square(ORIGIN_LNG, ORIGIN_LAT, CELL / 2)
    result = do_import_grids(None, collection(feature(grid.code, grid.parent.code, smaller, name=grid.name)))
    assert result.updated == 1
    grid.refresh_from_db()
    assert grid.polygon == smaller


BOWTIE = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
UNCLOSED = {"type": "Polygon", "coordinates": [[[104, 30], [104.01, 30], [104.01, 30.01], [104, 30.01]]]}
OUT_OF_RANGE = {"type": "Polygon", "coordinates": [[[200, 30], [201, 30], [201, 31], [200, 30]]]}
POINT = {"type": "Point", "coordinates": [104, 30]}
NOT_NUMBERS = {"type": "Polygon", "coordinates": [[["a", 30], [104.01, 30], [104.01, 30.01], ["a", 30]]]}


@pytest.mark.parametrize("geometry,fragment", [
    (BOWTIE, "Self-intersection"),
    (UNCLOSED, "not closed"),
    (OUT_OF_RANGE, "out of range"),
    (POINT, "Polygon or MultiPolygon"),
    (NOT_NUMBERS, "must be numbers"),
    (None, "GeoJSON object"),
])
def test_invalid_geometry_is_refused_and_nothing_written(world, geometry, fragment):
    community = world.communities[0]
    good = feature(community.code + "008", community.code, far_square(1))
    bad = feature(community.code + "009", community.code, geometry)
    errors = errors_of(collection(good, bad))
    assert [(e.line, e.field) for e in errors] == [(2, "geometry")]
    assert fragment in errors[0].reason
    assert not Region.objects.filter(code__in=[community.code + "008", community.code + "009"]).exists()
    assert not AuditEntry.objects.filter(operation="areas.import_grids").exists()


def test_overlap_with_an_existing_sibling_is_reported(world):
    community = world.communities[0]
    # Half a cell over the community's first grid.
    overlapping = square(ORIGIN_LNG + CELL / 2, ORIGIN_LAT - CELL / 2)
    errors = errors_of(collection(feature(community.code + "009", community.code, overlapping)))
    assert any("overlap" in e.reason and world.grids[0].code in e.reason for e in errors)


def test_overlap_inside_the_file_is_reported(world):
    community = world.communities[0]
    a = feature(community.code + "008", community.code, far_square(0))
    b = feature(community.code + "009", community.code, square(ORIGIN_LNG + CELL / 3, ORIGIN_LAT + 1))
    errors = errors_of(collection(a, b))
    assert len(errors) == 1 and errors[0].field == "geometry"
    assert f"{community.code}008 and {community.code}009 overlap" in errors[0].reason


def test_touching_siblings_are_fine(world):
    community = world.communities[0]
    a = feature(community.code + "008", community.code, far_square(0))
    b = feature(community.code + "009", community.code, far_square(1))
    assert do_import_grids(None, collection(a, b)).created == 2


def test_overlap_between_grids_of_different_communities_is_not_a_sibling_overlap(world):
    # Sibling overlap is checked per community; cousins are another community's business.
    other = world.communities[1]
    overlapping = square(ORIGIN_LNG + CELL / 2, ORIGIN_LAT)
    assert do_import_grids(None, collection(feature(other.code + "009", other.code, overlapping))).created == 1


@pytest.mark.parametrize("props,field,fragment", [
    ({"code": "12345"}, "code", "15 digits"),
    ({"parent_code": "510107999999"}, "parent_code", "Unknown parent community 510107999999"),
    ({"parent_code": "510107001"}, "parent_code", "a community's 12-digit code"),
    ({"name": ""}, "name", "name is empty"),
    ({"households": -3}, "households", "whole number"),
    ({"households": "many"}, "households", "whole number"),
])
def test_bad_properties_are_refused(world, props, field, fragment):
    community = world.communities[0]
    f = feature(community.code + "009", community.code, far_square(0))
    if "parent_code" in props and props["parent_code"] == "510107999999":
        f["properties"]["code"] = "510107999999001"
    f["properties"].update(props)
    errors = errors_of(collection(f))
    assert any(e.field == field and fragment in e.reason for e in errors), errors


def test_grid_code_must_start_with_its_community(world):
    a, b = world.communities[0], world.communities[1]
    errors = errors_of(collection(feature(b.code + "009", a.code, far_square(0))))
    assert any("does not start with" in e.reason for e in errors)


def test_duplicate_codes_in_one_file(world):
    community = world.communities[0]
    f = feature(community.code + "009", community.code, far_square(0))
    errors = errors_of(collection(f, f))
    assert any("Duplicate code" in e.reason and e.line == 2 for e in errors)


@pytest.mark.parametrize("text,fragment", [
    ("{not json", "Malformed JSON"),
    ('{"type": "Feature"}', "FeatureCollection"),
    ("[]", "FeatureCollection"),
])
def test_malformed_files(world, text, fragment):
    assert fragment in errors_of(text)[0].reason


def test_commands_round_trip(world, tmp_path):
    out = tmp_path / "grids.geojson"
    call_command("export_grids", "-o", str(out))
    data = json.loads(out.read_text(encoding="utf-8"))
    assert {f["properties"]["code"] for f in data["features"]} == {g.code for g in world.grids}
    stdout = StringIO()
    call_command("import_grids", str(out), stdout=stdout)
    assert "created 0, updated 0, unchanged 8" in stdout.getvalue()


def test_export_as_a_user_is_scoped(world, tmp_path):
    out = tmp_path / "mine.geojson"
    call_command("export_grids", "-o", str(out), "--as", world.users["street_operator"].username)
    codes = {f["properties"]["code"] for f in json.loads(out.read_text())["features"]}
    assert codes == {g.code for g in world.grids[:4]}


def test_import_command_fails_with_feature_numbers(world, tmp_path):
    community = world.communities[0]
    path = tmp_path / "bad.geojson"
    path.write_text(collection(feature(community.code + "009", community.code, BOWTIE)), encoding="utf-8")
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_grids", str(path), stderr=err)
    assert "feature 1, geometry: Invalid polygon" in err.getvalue()


def test_reasons_are_in_the_readers_language(world):
    community = world.communities[0]
    a = feature(community.code + "008", community.code, far_square(0))
    b = feature(community.code + "009", community.code, square(ORIGIN_LNG + CELL / 3, ORIGIN_LAT + 1))
    c = feature(community.code + "007", community.code, UNCLOSED)
    with translation.override("zh-hans"):
        reasons = {e.reason for e in errors_of(collection(a, b, c))}
    assert f"同一社区内网格 {community.code}008 与 {community.code}009 重叠" in reasons
    assert "第 0 个面第 0 个环：环未闭合（首尾坐标不同）" in reasons
