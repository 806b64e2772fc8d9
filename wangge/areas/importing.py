"""Reading division CSVs and grid GeoJSON into checked rows, before anything is written.

Readers return the rows they understood and a list of `RowError`s; the
operations in services.py write only when that list is empty.
"""
import csv
import io
import json
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from wangge.areas.geometry import GeometryError, parse_boundary
from wangge.areas.models import CODE_LENGTH, PARENT_LEVEL, Level
from wangge.core.importing import ImportRejected, RowError  # noqa: F401 (shared by every import; re-exported)

DIVISION_LEVELS = [Level.PROVINCE, Level.CITY, Level.DISTRICT, Level.STREET, Level.COMMUNITY]
DIVISION_COLUMNS = ["code", "name", "level", "parent_code"]


@dataclass
class DivisionRow:
    line: int
    code: str
    name: str
    level: str
    parent_code: str


@dataclass
class GridFeature:
    line: int
    code: str
    name: str
    parent_code: str
    households: int | None
    geometry: dict
    shape: object = field(repr=False, default=None)


def read_divisions_csv(text: str) -> tuple[list[DivisionRow], list[RowError]]:
    """Parse and check each row on its own; cross-row checks happen in services."""
    text = text.lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        return [], [RowError(1, _("The file is empty"))]
    except csv.Error as exc:
        return [], [RowError(1, _("Malformed CSV: %(error)s") % {"error": exc})]
    if header[:4] != DIVISION_COLUMNS:
        return [], [RowError(1, _("The header must be %(columns)s") % {"columns": ",".join(DIVISION_COLUMNS)})]
    rows, errors = [], []
    try:
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != 4:
                errors.append(RowError(line, _("Expected 4 columns, found %(n)s") % {"n": len(cells)}))
                continue
            code, name, level, parent_code = (c.strip() for c in cells)
            row_errors = _check_division_row(line, code, name, level, parent_code)
            errors.extend(row_errors)
            if not row_errors:
                rows.append(DivisionRow(line, code, name, level, parent_code))
    except csv.Error as exc:
        errors.append(RowError(reader.line_num, _("Malformed CSV: %(error)s") % {"error": exc}))
    return rows, errors


def _check_division_row(line, code, name, level, parent_code) -> list[RowError]:
    errors = []
    if level not in DIVISION_LEVELS:
        return [RowError(line, _("Unknown level %(level)s") % {"level": repr(level)}, "level")]
    if not code.isdigit() or len(code) != CODE_LENGTH[level]:
        errors.append(RowError(line, _("A %(level)s's code has %(digits)s digits, not %(code)s")
                               % {"level": str(Level(level).label).lower(), "digits": CODE_LENGTH[level],
                                  "code": repr(code)}, "code"))
    if not name:
        errors.append(RowError(line, _("The name is empty"), "name"))
    if level == Level.PROVINCE:
        if parent_code:
            errors.append(RowError(line, _("A province has no parent"), "parent_code"))
    elif not parent_code:
        errors.append(RowError(line, _("The parent code is empty"), "parent_code"))
    elif not code.startswith(parent_code):
        errors.append(RowError(line, _("The code %(code)s does not start with its parent's code %(parent)s")
                               % {"code": code, "parent": parent_code}, "code"))
    return errors


def read_grids_geojson(text: str) -> tuple[list[GridFeature], list[RowError]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return [], [RowError(exc.lineno, _("Malformed JSON: %(error)s") % {"error": exc.msg})]
    if (not isinstance(data, dict) or data.get("type") != "FeatureCollection"
            or not isinstance(data.get("features"), list)):
        return [], [RowError(1, _("Expected a GeoJSON FeatureCollection"))]
    features, errors = [], []
    for number, feature in enumerate(data["features"], start=1):
        feature_errors, parsed = _check_grid_feature(number, feature)
        for error in feature_errors:
            error.unit = "feature"
        errors.extend(feature_errors)
        if parsed:
            features.append(parsed)
    return features, errors


def _check_grid_feature(number, feature) -> tuple[list[RowError], GridFeature | None]:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return [RowError(number, _("Not a GeoJSON Feature"))], None
    props = feature.get("properties") or {}
    code = str(props.get("code") or "").strip()
    name = str(props.get("name") or "").strip()
    parent_code = str(props.get("parent_code") or "").strip()
    errors = []
    if not code.isdigit() or len(code) != CODE_LENGTH[Level.GRID]:
        errors.append(RowError(number, _("A grid's code has 15 digits, not %(code)s") % {"code": repr(code)}, "code"))
    if len(parent_code) != CODE_LENGTH[PARENT_LEVEL[Level.GRID]] or not parent_code.isdigit():
        errors.append(RowError(number, _("The parent code must be a community's 12-digit code, not %(code)s")
                               % {"code": repr(parent_code)}, "parent_code"))
    elif code and not code.startswith(parent_code):
        errors.append(RowError(number, _("The code %(code)s does not start with its parent's code %(parent)s")
                               % {"code": code, "parent": parent_code}, "code"))
    if not name:
        errors.append(RowError(number, _("The name is empty"), "name"))
    households = props.get("households")
    if households is not None and (not isinstance(households, int) or isinstance(households, bool) or households < 0):
        errors.append(RowError(number, _("Households must be a whole number, 0 or more, not %(value)s")
                               % {"value": repr(households)}, "households"))
    try:
        geom = parse_boundary(feature.get("geometry"))
    except GeometryError as exc:
        errors.append(RowError(number, str(exc), "geometry"))
        geom = None
    if errors:
        return errors, None
    return [], GridFeature(number, code, name, parent_code, households, feature["geometry"], geom)
