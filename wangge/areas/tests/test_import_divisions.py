from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from wangge.areas.importing import ImportRejected
from wangge.areas.models import Region
from wangge.areas.services import do_import_divisions
from wangge.core.models import AuditEntry

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "divisions-chengdu-wuhou-chenghua.csv"
HEADER = "code,name,level,parent_code\n"
GOOD = HEADER + "51,四川省,province,\n5101,成都市,city,51\n510107,武侯区,district,5101\n" \
    "510107005,玉林街道,street,510107\n510107005003,芳草社区,community,510107005\n"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english():
    """The reasons below are matched in English (the message ids); test_reasons_are_in_the_readers_language
    checks the Chinese."""
    with translation.override("en"):
        yield


def _reasons(text):
    with pytest.raises(ImportRejected) as caught:
        do_import_divisions(None, text)
    return [(e.line, e.field, e.reason) for e in caught.value.errors]


def test_import_builds_the_tree_with_paths():
    result = do_import_divisions(None, GOOD)
    assert result.created == 5
    community = Region.objects.get(code="510107005003")
    assert community.path == "/51/5101/510107/510107005/510107005003/"
    assert community.parent.code == "510107005"
    assert community.level == "community"


def test_importing_twice_changes_nothing():
    do_import_divisions(None, GOOD)
    before = list(Region.objects.values_list("id", "code", "name", "path", "updated_at").order_by("id"))
    result = do_import_divisions(None, GOOD)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 5)
    assert list(Region.objects.values_list("id", "code", "name", "path", "updated_at").order_by("id")) == before


def test_a_rename_updates_the_name_only():
    do_import_divisions(None, GOOD)
    result = do_import_divisions(None, GOOD.replace("芳草社区", "芳草东社区"))
    assert result.updated == 1
    assert Region.objects.get(code="510107005003").name == "芳草东社区"


def test_the_real_2023_file_imports_whole():
    result = do_import_divisions(None, REAL.read_text(encoding="utf-8"))
    assert result.created == Region.objects.count() == 226
    assert Region.objects.get(code="510107005").name == "玉林街道"
    assert Region.objects.filter(level="street", parent__code="510107").count() == 15
    assert AuditEntry.objects.filter(operation="areas.import_divisions").count() == 1


@pytest.mark.parametrize("row,line,field,fragment", [
    ("510107005001,X社区,community,510107009", 7, "code", "does not start with its parent"),
    ("510107009001,X社区,community,510107009", 7, "parent_code", "Unknown parent 510107009"),
    ("51010700500,X社区,community,510107005", 7, "code", "A community's code has 12 digits, not '51010700500'"),
    ("510107005,重复街道,street,510107", 7, "code", "Duplicate code 510107005 (first on line 5)"),
    ("510107005009,X,village,510107005", 7, "level", "Unknown level 'village'"),
    ("510107005009,,community,510107005", 7, "name", "name is empty"),
    ("5101070050,X,street,5101", 7, "code", "9 digits"),
    ("510107001,X街道,street,5101", 7, "parent_code", "The parent 5101 is a city; a street's parent is a district"),
    ("5102,X市,city,", 7, "parent_code", "The parent code is empty"),
    ("510107005009,X社区", 7, "", "Expected 4 columns, found 2"),
])
def test_each_bad_row_is_reported_with_its_line_and_nothing_is_written(row, line, field, fragment):
    errors = _reasons(GOOD + row + "\n")
    assert any(e[0] == line and e[1] == field and fragment in e[2] for e in errors), errors
    assert Region.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_every_bad_row_is_reported_not_just_the_first():
    text = GOOD + "510107005009,X,village,510107005\n510107009001,Y社区,community,510107009\n"
    assert [e[0] for e in _reasons(text)] == [7, 8]


@pytest.mark.parametrize("text,fragment", [
    ("", "The file is empty"),
    ("id,name\n1,x\n", "header must be"),
])
def test_malformed_files_are_refused(text, fragment):
    assert any(fragment in e[2] for e in _reasons(text))


def test_command_succeeds_and_is_idempotent(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text(GOOD, encoding="utf-8")
    out = StringIO()
    call_command("import_divisions", str(path), stdout=out)
    assert "created 5" in out.getvalue()
    out = StringIO()
    call_command("import_divisions", str(path), stdout=out)
    assert "created 0, updated 0, unchanged 5" in out.getvalue()


def test_command_fails_with_line_level_messages_and_writes_nothing(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(GOOD + "510107005009,X,village,510107005\n", encoding="utf-8")
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_divisions", str(path), stderr=err)
    assert "line 7, level: Unknown level" in err.getvalue()
    assert Region.objects.count() == 0


def test_command_reports_a_missing_file():
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_divisions", "/nonexistent/file.csv")


def test_reasons_are_in_the_readers_language():
    with translation.override("zh-hans"):
        errors = _reasons(GOOD + "510107009001,X社区,community,510107009\n510107001,X街道,street,5101\n")
    assert (7, "parent_code", "上级代码 510107009 不存在") in errors
    assert (8, "parent_code", "上级 5101 是市；街道的上级应为区") in errors
