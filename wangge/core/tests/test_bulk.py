"""The one bulk writer: rows prepared as the ORM would, ids reserved before the rows exist, statistics after."""
from datetime import date
from types import SimpleNamespace

import pytest
from django.db import connection, transaction

from wangge.core.bulk import BulkWriter, Ids, Table, catch_up_sequences, first_free_id, reserve_ids
from wangge.registry.models import Building, Person

pytestmark = pytest.mark.django_db(transaction=True)

ID_NUMBER = "510107199001010014"


def test_rows_go_in_prepared_as_the_orm_would_and_read_back_through_it(world):
    grid = world.grids[0]
    with transaction.atomic():
        ids = Ids()
        building_id, person_id = ids.next(Building), ids.next(Person)
        writer = BulkWriter()
        writer.insert(Table(Building), [{"id": building_id, "grid_id": grid.pk, "address": "幸福路1号", "name": "1栋"}])
        writer.insert(Table(Person), [SimpleNamespace(
            id=person_id, name="张三", id_number=ID_NUMBER, id_hash="h" * 64, id_tail="0014", sex="M",
            birth_date=date(1990, 1, 1), grid_id=grid.pk)])
        writer.finish()
    building = Building.objects.get(pk=building_id)
    assert (building.address, building.floors, building.grid_id) == ("幸福路1号", 1, grid.pk)  # defaults filled in
    person = Person.objects.get(pk=person_id)
    assert (person.id_number, person.birth_date, person.ethnicity, person.phone) == (ID_NUMBER, date(1990, 1, 1),
                                                                                     "01", "")
    with connection.cursor() as cursor:  # encrypted at rest, as a save() would have stored it
        cursor.execute("SELECT id_number FROM registry_person WHERE id = %s", [person_id])
        assert cursor.fetchone()[0].startswith("v1:")


def test_reserved_ids_are_never_handed_out_again(world):
    grid = world.grids[0]
    with transaction.atomic():
        reserved = reserve_ids(Building, 3)
        assert len(set(reserved)) == 3 and min(reserved) >= first_free_id(Building) - 3
        BulkWriter().insert(Table(Building), [{"id": pk, "grid_id": grid.pk, "address": "路", "name": f"{pk}栋"}
                                              for pk in reserved])
    later = Building.objects.create(grid=grid, address="路", name="后来的楼")
    assert later.pk > max(reserved)


def test_own_numbering_then_catch_up_keeps_the_sequence_ahead(world):
    grid = world.grids[0]
    with transaction.atomic():
        first = first_free_id(Building)
        BulkWriter().insert(Table(Building), [{"id": first + n, "grid_id": grid.pk, "address": "路", "name": f"{n}栋"}
                                              for n in range(5)])
        catch_up_sequences([Building])
    assert Building.objects.create(grid=grid, address="路", name="后来的楼").pk == first + 5


def test_a_dry_run_hands_out_stand_ins_and_reserves_nothing(world):
    before = first_free_id(Building)
    ids = Ids(real=False)
    assert [ids.next(Building) for _ in range(3)] == [-1, -2, -3]
    assert first_free_id(Building) == before


def test_finish_leaves_planner_statistics_for_the_tables_written_on_postgresql(world):
    grid = world.grids[0]
    with transaction.atomic():
        writer = BulkWriter()
        writer.insert(Table(Building), [{"id": pk, "grid_id": grid.pk, "address": f"路{pk % 7}", "name": f"{pk}栋"}
                                        for pk in reserve_ids(Building, 200)])
        assert list(writer.written) == ["registry_building"]
        writer.finish()
        assert writer.written == {}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'registry_building'")
            assert cursor.fetchone()[0] >= 200  # without ANALYZE a bulk-loaded table reads as empty (-1 or 0)
            cursor.execute("SELECT count(*) FROM pg_stats WHERE tablename = 'registry_building'")
            assert cursor.fetchone()[0] > 0
        else:  # SQLite keeps its own heuristics: the writer does not run ANALYZE there
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
            assert cursor.fetchone()[0] == 0


@pytest.mark.parametrize("gap", [False, True])
def test_history_rows_copied_in_sql_are_what_a_save_records(world, admin_user, gap):
    """history_of: one '+' row per key given (and none for the others), each field as stored, the
    stamp as given; consecutive keys go as a range, others as one list parameter."""
    from django.utils import timezone

    grid = world.grids[0]
    now = timezone.now()
    with transaction.atomic():
        first = first_free_id(Building)
        writer = BulkWriter()
        writer.insert(Table(Building), [{"id": first + n, "grid_id": grid.pk, "address": "路", "name": f"{n}栋",
                                         "lng": 104.0 + n / 100, "floors": 3 + n} for n in range(4)])
        keys = [first, first + 2, first + 3] if gap else [first + 1, first + 2, first + 3]
        writer.history_of(Building, keys, history_date=connection.ops.adapt_datetimefield_value(now),
                          history_user_id=admin_user.pk, history_change_reason="导入 / import")
        catch_up_sequences([Building])
    records = list(Building.history.filter(id__gte=first).order_by("history_id"))
    assert [r.id for r in records] == keys
    for record in records:
        stored = Building.objects.get(pk=record.id)
        assert (record.name, record.address, record.lng, record.floors, record.grid_id, record.head_id) == (
            stored.name, stored.address, stored.lng, stored.floors, stored.grid_id, stored.head_id)
        assert (record.history_type, record.history_user_id, record.history_change_reason, record.history_date) == (
            "+", admin_user.pk, "导入 / import", now)


def test_tuples_are_filled_in_with_the_defaults_in_column_order(world):
    table = Table(Building, prepared=True)
    make = table.from_tuples(("name", "id", "grid_id", "address"))
    row = dict(zip(table.attnames, make(("1栋", 7, world.grids[0].pk, "幸福路"))))
    assert (row["id"], row["name"], row["address"], row["floors"], row["lng"], row["head_id"]) == (
        7, "1栋", "幸福路", 1, None, None)
    with pytest.raises(ValueError):
        table.from_tuples(("id", "nonsense"))
