"""Reading division CSVs and grid GeoJSON into checked rows, before anything is written.

Readers return the rows they understood and a list of `RowError`s; the
operations in services.py write only when that list is empty.
"""
import csv
import io
import json
from dataclasses import dataclass, field

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
        return [], [RowError(1, "empty file / 文件为空")]
    except csv.Error as exc:
        return [], [RowError(1, f"malformed CSV: {exc}")]
    if header[:4] != DIVISION_COLUMNS:
        return [], [RowError(1, f"header must be {','.join(DIVISION_COLUMNS)} / 表头应为 code,name,level,parent_code")]
    rows, errors = [], []
    try:
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != 4:
                errors.append(RowError(line, f"expected 4 columns, found {len(cells)} / 列数应为 4"))
                continue
            code, name, level, parent_code = (c.strip() for c in cells)
            row_errors = _check_division_row(line, code, name, level, parent_code)
            errors.extend(row_errors)
            if not row_errors:
                rows.append(DivisionRow(line, code, name, level, parent_code))
    except csv.Error as exc:
        errors.append(RowError(reader.line_num, f"malformed CSV: {exc}"))
    return rows, errors


def _check_division_row(line, code, name, level, parent_code) -> list[RowError]:
    errors = []
    if level not in DIVISION_LEVELS:
        return [RowError(line, f"unknown level {level!r} / 未知层级", "level")]
    if not code.isdigit() or len(code) != CODE_LENGTH[level]:
        errors.append(RowError(line, f"a {level} code has {CODE_LENGTH[level]} digits, got {code!r}"
                                     " / 代码长度与层级不符", "code"))
    if not name:
        errors.append(RowError(line, "name is empty / 名称为空", "name"))
    if level == Level.PROVINCE:
        if parent_code:
            errors.append(RowError(line, "a province has no parent / 省级无上级", "parent_code"))
    elif not parent_code:
        errors.append(RowError(line, "parent_code is empty / 缺少上级代码", "parent_code"))
    elif not code.startswith(parent_code):
        errors.append(RowError(line, f"code {code} does not start with its parent's code {parent_code}"
                                     " / 代码须以上级代码开头", "code"))
    return errors


def read_grids_geojson(text: str) -> tuple[list[GridFeature], list[RowError]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return [], [RowError(exc.lineno, f"malformed JSON: {exc.msg} / JSON 格式错误")]
    if (not isinstance(data, dict) or data.get("type") != "FeatureCollection"
            or not isinstance(data.get("features"), list)):
        return [], [RowError(1, "expected a GeoJSON FeatureCollection / 须为 FeatureCollection")]
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
        return [RowError(number, "not a GeoJSON Feature")], None
    props = feature.get("properties") or {}
    code = str(props.get("code") or "").strip()
    name = str(props.get("name") or "").strip()
    parent_code = str(props.get("parent_code") or "").strip()
    errors = []
    if not code.isdigit() or len(code) != CODE_LENGTH[Level.GRID]:
        errors.append(RowError(number, f"a grid code has 15 digits, got {code!r} / 网格代码须为 15 位", "code"))
    if len(parent_code) != CODE_LENGTH[PARENT_LEVEL[Level.GRID]] or not parent_code.isdigit():
        errors.append(RowError(number, f"parent_code must be a 12-digit community code, got {parent_code!r}"
                                       " / 上级须为 12 位社区代码", "parent_code"))
    elif code and not code.startswith(parent_code):
        errors.append(RowError(number, f"code {code} does not start with its parent's code {parent_code}"
                                       " / 代码须以上级代码开头", "code"))
    if not name:
        errors.append(RowError(number, "name is empty / 名称为空", "name"))
    households = props.get("households")
    if households is not None and (not isinstance(households, int) or isinstance(households, bool) or households < 0):
        errors.append(RowError(number, f"households must be a whole number >= 0, got {households!r}"
                                       " / 户数须为非负整数", "households"))
    try:
        geom = parse_boundary(feature.get("geometry"))
    except GeometryError as exc:
        errors.append(RowError(number, str(exc), "geometry"))
        geom = None
    if errors:
        return errors, None
    return [], GridFeature(number, code, name, parent_code, households, feature["geometry"], geom)
