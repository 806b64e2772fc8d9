"""People import (实有人口) from CSV against a plain bulk insert of the same rows, measured in the same run.

    .venv/bin/python bench/import_people.py [--rows 100000] [--db sqlite|postgres|both] [--per-building 50]

The issue's figure is --rows 1000000 on each database.

For each database: a throwaway database (a temporary SQLite file, or a
PostgreSQL database created on postgres://postgres@127.0.0.1:5432 and dropped at
the end), migrated, with a synthetic district of square grids; half of the
buildings registered beforehand, the other half new in the file (their rows
carry coordinates, so the import creates and locates them). The CSV has --rows
synthetic people (valid ID numbers with 510107 area codes, Chinese names,
phones, ethnicities, kinds), a household per house: 户主 first, then family.
Then it times:

  real   services.do_import_people(district operator, iter_people_file(csv)):
         the code `python -m wangge import_people` runs — reading the CSV, every
         row through clean_person (python-stdnum), AES-GCM for ID numbers and
         phones, HMAC lookup hashes, batch locate of new buildings, houses and
         households created, residence history, simple-history rows for every
         person/house/household/building, one transaction, one audit row;
  plain  the same person rows, read back from registry_person with every value
         already computed (ciphertexts, hashes, foreign keys), inserted into an
         empty clone of registry_person (same columns, indexes and constraints)
         by the fastest plain path: COPY on PostgreSQL, executemany on SQLite
         (with the same 256 MB page cache the import's writer takes), in one
         transaction.

Prints rows/s of each and the ratio real/plain (target >= 0.5; exit status 1
below it). --db both runs each database in its own process.
"""
import argparse
import base64
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 0.5
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
ORIGIN_LNG, ORIGIN_LAT, CELL = 104.00, 30.60, 0.005

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩邓冯曹彭曾"
    "肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任卢姚沈钟姜"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红燕鹏辉建国文博宇浩然欣怡子涵梓轩思雨佳琪"
ETHNICITY = ["汉族"] * 90 + ["藏族"] * 4 + ["彝族"] * 3 + ["回族"] * 2 + ["羌族"]
KINDS = ["户籍"] * 70 + ["流动"] * 25 + ["人户分离"] * 4 + ["境外"]
FAMILY = ["配偶", "子女", "子女", "父母", "孙子女"]
HEADERS = ["姓名", "公民身份号码", "民族", "联系电话", "人口类型", "楼栋地址", "楼栋名称", "单元", "房号", "与户主关系",
           "迁入日期", "经度", "纬度", "坐标系"]


# --- the throwaway database ---------------------------------------------------------------------

def setup_django(database_url: str, var_dir: Path):
    os.environ.update({
        "DATABASE_URL": database_url, "WANGGE_VAR_DIR": str(var_dir), "WANGGE_DEBUG": "0",
        "WANGGE_SECRET_KEY": "bench-only-" + os.urandom(16).hex(),
        "WANGGE_DATA_KEY": base64.b64encode(os.urandom(32)).decode(),
        "DJANGO_SETTINGS_MODULE": "wangge.settings",
    })
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def create_pg_database(name: str):
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_pg_database(name: str):
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def build_district(n_grids: int, n_buildings: int, seed: int):
    """Square grids under 510107; half of the buildings registered now. Returns (operator, buildings)."""
    from wangge.areas.models import Level
    from wangge.core.roles import Role
    from wangge.registry.models import Building
    from wangge.testing import make_region, make_user, square

    rng = random.Random(seed)
    province = make_region("51", "四川省", Level.PROVINCE)
    city = make_region("5101", "成都市", Level.CITY, province)
    district = make_region("510107", "武侯区", Level.DISTRICT, city)
    side = max(1, round(n_grids ** 0.5))
    grids, street, community = [], None, None
    for n in range(n_grids):
        if n % 64 == 0:
            street = make_region(f"510107{n // 64 + 1:03d}", f"街道{n // 64 + 1}", Level.STREET, district)
        if n % 8 == 0:
            c = n % 64 // 8 + 1
            community = make_region(f"{street.code}{c:03d}", f"{street.name}社区{c}", Level.COMMUNITY, street)
        col, row = n % side, n // side
        grids.append(make_region(f"{community.code}{n % 8 + 1:03d}", f"{community.name}网格{n % 8 + 1}", Level.GRID,
                                 community, polygon=square(ORIGIN_LNG + col * CELL, ORIGIN_LAT + row * CELL, CELL)))
    buildings = []
    for b in range(n_buildings):
        grid_n = b % n_grids
        col, row = grid_n % side, grid_n // side
        lng = ORIGIN_LNG + (col + rng.uniform(0.05, 0.95)) * CELL
        lat = ORIGIN_LAT + (row + rng.uniform(0.05, 0.95)) * CELL
        buildings.append({"grid": grids[grid_n], "address": f"测试路{b // 20 + 1}号院", "name": f"{b % 20 + 1}栋",
                          "lng": round(lng, 6), "lat": round(lat, 6), "registered": b % 2 == 0})
    Building.objects.bulk_create([Building(grid=b["grid"], address=b["address"], name=b["name"], lng=b["lng"],
                                           lat=b["lat"], floors=18, units=2)
                                  for b in buildings if b["registered"]], batch_size=2000)
    operator = make_user("bench_district", Role.DISTRICT_OPERATOR, region=district)
    return operator, buildings


# --- the synthetic file -------------------------------------------------------------------------

def id_numbers(n: int, seed: int):
    """n distinct valid 公民身份号码 of people born 1991-2020 in 510107 (武侯区 exists since 1990)."""
    from stdnum.cn import ric

    first, days = date(1991, 1, 1), (date(2020, 12, 31) - date(1991, 1, 1)).days + 1
    stride = 7919  # a prime: consecutive people get scattered birthdays
    for i in range(n):
        day, seq = (i * stride) % days, i // days
        born = first + timedelta(days=day)
        body = f"510107{born:%Y%m%d}{seq:03d}"
        yield body + ric.calc_check_digit(body + "0"), born


def write_csv(path: Path, n_rows: int, buildings: list, per_building: int, seed: int):
    import csv

    rng = random.Random(seed)
    today = date.today()
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADERS)
        people = id_numbers(n_rows, seed)
        written, b = 0, 0
        while written < n_rows:
            building = buildings[b % len(buildings)]
            where = [building["address"], building["name"]]
            position = ["", "", ""] if building["registered"] else [building["lng"], building["lat"], "WGS-84"]
            in_building, house = 0, 0
            while in_building < per_building and written < n_rows:
                unit, number = house % 2 + 1, f"{house // 4 + 1}{house // 2 % 2 + 1:02d}"
                for member in range(min(rng.choice((1, 2, 3, 3, 4, 5)), n_rows - written)):
                    number_id, born = next(people)
                    moved = born + timedelta(days=rng.randint(0, max(0, (today - born).days)))
                    writer.writerow([
                        rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2)))), number_id,
                        rng.choice(ETHNICITY), f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"
                        if rng.random() < 0.8 else "", rng.choice(KINDS), *where, unit, number,
                        "户主" if member == 0 else rng.choice(FAMILY), moved.isoformat(), *position,
                    ])
                    written += 1
                    in_building += 1
                house += 1
            b += 1


# --- the two timings ----------------------------------------------------------------------------

def time_real_import(operator, path: Path, jobs: int):
    from wangge.registry.importing import iter_people_file
    from wangge.registry.services import do_import_people

    started = time.perf_counter()
    with open(path, "rb") as stream:
        result = do_import_people(operator, iter_people_file(stream, path.name, jobs=jobs))
    return time.perf_counter() - started, result


def clone_person_table(clone: str) -> str:
    """An empty table defined like registry_person (columns, indexes, unique and foreign keys)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"CREATE TABLE {clone} (LIKE registry_person INCLUDING ALL)")
            cursor.execute("SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                           "WHERE conrelid = 'registry_person'::regclass AND contype = 'f'")
            for n, (definition,) in enumerate(cursor.fetchall()):
                cursor.execute(f"ALTER TABLE {clone} ADD CONSTRAINT {clone}_fk{n} {definition}")
        else:
            cursor.execute("SELECT type, sql FROM sqlite_master WHERE tbl_name = 'registry_person' AND sql IS NOT NULL")
            statements = sorted(cursor.fetchall(), key=lambda s: s[0] != "table")
            for n, (kind, sql) in enumerate(statements):
                sql = sql.replace('"registry_person"', f'"{clone}"')
                if kind == "index":  # index names are global: give the clone's their own
                    head, _, rest = sql.partition(" ON ")
                    sql = f"{head.rsplit(' ', 1)[0]} \"{clone}_ix{n}\" ON {rest}"
                cursor.execute(sql)
    return clone


def orm_model_for(table: str):
    """A model with Person's fields (the encrypted ones included) over the clone `table`."""
    from django.db import models

    from wangge.registry.models import Person

    attrs = {"__module__": __name__}
    for person_field in Person._meta.local_fields:
        copy = person_field.clone()
        if copy.is_relation:
            copy.remote_field.related_name = "+"
        attrs[person_field.name] = copy
    attrs["Meta"] = type("Meta", (), {"db_table": table, "managed": False, "app_label": "registry"})
    return type("BenchPlainPerson", (models.Model,), attrs)


def time_orm_bulk_create(model, columns: list[str], rows: list[tuple]) -> float:
    """Information: the ORM's plain path, bulk_create of objects built beforehand (untimed) from the
    stored rows; the encrypted fields encrypt on the way in, as they always do."""
    from django.db import transaction

    from wangge.core.crypto import decrypt

    attnames = [model._meta.get_field(c).attname if c != "id" else "id" for c in columns]
    secret = {i for i, c in enumerate(columns) if c in ("id_number", "phone")}
    objects = [model(**{a: (decrypt(v) if i in secret and v else v) for i, (a, v) in enumerate(zip(attnames, row))})
               for row in rows]
    started = time.perf_counter()
    with transaction.atomic():
        model.objects.bulk_create(objects, batch_size=2000)
    return time.perf_counter() - started


def read_back_people() -> tuple[list[str], list[tuple]]:
    """registry_person exactly as stored (ciphertexts included), in id order: the plain insert's rows."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM registry_person ORDER BY id")
        columns = [c[0] for c in cursor.description]
        return columns, cursor.fetchall()


def time_plain_insert(table: str, columns: list[str], rows: list[tuple]) -> float:
    """The reference gets every advantage the import's writer has: on SQLite the same page cache."""
    from django.db import connection, transaction

    from wangge.core.bulk import roomy_sqlite_cache

    names = ", ".join(f'"{c}"' for c in columns)
    started = time.perf_counter()
    with transaction.atomic(), roomy_sqlite_cache(), connection.cursor() as wrapper:
        cursor = wrapper.cursor
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"
            for i in range(0, len(rows), 10_000):
                cursor.executemany(sql, rows[i:i + 10_000])
    return time.perf_counter() - started


def settle_writes():
    """Flush the last phase's dirty pages so that neither timing pays for the other's."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("CHECKPOINT")
        else:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def check_import(result, n_rows: int):
    from wangge.core.models import AuditEntry
    from wangge.registry.models import Person, Residence

    people, residences, history = Person.objects.count(), Residence.objects.count(), Person.history.count()
    audits = AuditEntry.objects.filter(operation="registry.import_people").count()
    if (result.created, people, residences, history, audits) != (n_rows, n_rows, n_rows, n_rows, 1):
        raise SystemExit(f"import check failed: created {result.created}, people {people}, "
                         f"residences {residences}, history {history}, audit rows {audits}")


# --- one database, in this process --------------------------------------------------------------

def run_one(db: str, args) -> int:
    with tempfile.TemporaryDirectory(prefix="wangge-bench-import-") as tmp:
        tmp = Path(tmp)
        pg_name = f"wangge_bench_import_{os.getpid()}"
        if db == "postgres":
            create_pg_database(pg_name)
            url = f"{PG_SERVER}/{pg_name}"
        else:
            url = f"sqlite:///{tmp / 'bench.sqlite3'}"
        try:
            return measure(db, url, tmp, args)
        finally:
            if db == "postgres":
                from django.db import connections

                connections.close_all()
                drop_pg_database(pg_name)


def measure(db: str, url: str, tmp: Path, args) -> int:
    started = time.perf_counter()
    setup_django(url, tmp / "var")
    n_buildings = max(2, -(-args.rows // args.per_building))
    operator, buildings = build_district(args.grids, n_buildings, args.seed)
    path = tmp / "people.csv"
    write_csv(path, args.rows, buildings, args.per_building, args.seed)
    size = path.stat().st_size / 1e6
    print(f"[{db}] setup: {args.grids} grids, {n_buildings:,} buildings (half new in the file, with coordinates), "
          f"{args.rows:,} rows in a {size:.0f} MB CSV ({time.perf_counter() - started:.0f} s)", flush=True)

    from wangge.registry.importing import auto_jobs

    jobs = args.jobs or auto_jobs(path.stat().st_size)
    settle_writes()
    real_seconds, result = time_real_import(operator, path, jobs)
    check_import(result, args.rows)
    real_rate = args.rows / real_seconds
    print(f"[{db}] real : {args.rows:,} rows in {real_seconds:7.1f} s = {real_rate:9,.0f} rows/s   "
          f"(+{result.buildings_created:,} buildings, {result.houses_created:,} houses, "
          f"{result.households_created:,} households, {args.rows:,} residences, history rows for all; "
          f"rows checked in {jobs} process{'es' if jobs > 1 else ''})", flush=True)

    columns, rows = read_back_people()
    table = clone_person_table("bench_plain_person")
    settle_writes()
    plain_seconds = time_plain_insert(table, columns, rows)
    plain_rate = len(rows) / plain_seconds
    how = "COPY" if db == "postgres" else "executemany"
    print(f"[{db}] plain: {len(rows):,} rows in {plain_seconds:7.1f} s = {plain_rate:9,.0f} rows/s   "
          f"({how} of the stored person rows into an empty clone of registry_person)", flush=True)
    if args.orm:
        model = orm_model_for(clone_person_table("bench_orm_person"))
        settle_writes()
        orm_rate = len(rows) / time_orm_bulk_create(model, columns, rows)
        print(f"[{db}] (information) ORM bulk_create of the same rows into another empty clone: "
              f"{orm_rate:,.0f} rows/s; real/ORM = {real_rate / orm_rate:.2f}", flush=True)
    ratio = real_rate / plain_rate
    print(f"[{db}] ratio real/plain = {ratio:.2f} (target >= {TARGET_RATIO}); load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs", flush=True)
    if args.reimport:
        again_started = time.perf_counter()
        again = time_real_import(operator, path, jobs)[1]
        again_seconds = time.perf_counter() - again_started
        print(f"[{db}] again: the same file imported again: {again.unchanged:,} unchanged, {again.created} created, "
              f"{again.updated} updated in {again_seconds:.1f} s = {args.rows / again_seconds:,.0f} rows/s")
    return 0 if ratio >= TARGET_RATIO else 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="people in the file (the issue's figure: 1000000)")
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--grids", type=int, default=128)
    parser.add_argument("--per-building", type=int, default=50, help="people per building")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reimport", action="store_true", help="also time importing the same file again")
    parser.add_argument("--orm", action="store_true",
                        help="also time, as information, the ORM's bulk_create of the same rows")
    parser.add_argument("--jobs", type=int, help="processes checking rows (default: as import_people, one per CPU)")
    args = parser.parse_args(argv)
    if args.db != "both":
        return run_one(args.db, args)
    status = 0
    for db in ("sqlite", "postgres"):
        forwarded = [a for a in (argv if argv is not None else sys.argv[1:])]
        if "--db" in forwarded:
            i = forwarded.index("--db")
            del forwarded[i:i + 2]
        forwarded = [a for a in forwarded if not a.startswith("--db=")]
        status |= subprocess.run([sys.executable, __file__, *forwarded, "--db", db]).returncode
    return status


if __name__ == "__main__":
    sys.exit(main())
