"""The one map (一张图) on 10,000,000 cases: its API's p95 against the same figures by a raw GROUP BY.

    .venv/bin/python bench/dashboard.py [--database-url postgres://postgres@127.0.0.1:5432/bench_dashboard]
                                        [--cases 10000000] [--samples 30] [--reuse] [--keep]

The database is made afresh (dropped if a run before left it), migrated, and given the demo district's regions
(`load_demo --people 0 --cases 0 --disputes 0`: 武侯区's 14 streets, 113 communities, 550 grids and their
staff), then --cases synthetic cases (default 10,000,000) over the last three years, loaded with COPY through
the one bulk writer (`wangge/core/bulk.py`): grids drawn with uneven weights (some busy, most quiet), the demo
catalogue's categories, states by age (old cases closed, 80 % on time; recent ones spread over the open states).
Then the rollups are rebuilt once (`rollups.rebuild()`, timed) and ANALYZE run. --reuse times a database that
already holds them.

Timed, in this process, signed in as the district operator (`district`):

  one map    GET /api/v1/insight/map/<code> through Django's test Client (the whole middleware stack, the scope
             check, the rollups for cases, disputes and alerts, devices, key places, coverage, the heat layer);
  raw        the same case figures without rollups, as the map would have to ask: the region's cases in the
             range grouped by major category and state, and grouped by child region, major category and state
             (two GROUP BYs over `Case.objects.visible_to(user)` under the region's path), in the same run.

Each at district, street and grid level (random regions of the level), for the map's default range (the last 30
days) and for a year; --samples requests each (default 30). Prints p50 and p95 per level and range, and the ratio
raw p95 / one-map p95. Targets (issue 12): one-map p95 < 200 ms and ≥ 10× faster than the raw query.
At the end the database is dropped unless --keep or --reuse.
"""
import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_dashboard"
YEARS = 3
CHUNK = 200_000


def run(*args, url):
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "wangge.settings"}
    subprocess.run([sys.executable, "-m", "wangge", *args], cwd=ROOT, env=env, check=True)


def fresh_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def load_cases(total: int) -> float:
    """`total` synthetic cases by COPY (the one bulk writer), numbered apart from any demo case. Seconds taken."""
    import numpy as np
    from django.db import connection, transaction
    from django.utils import timezone

    from wangge.areas.models import Level, Region
    from wangge.cases.models import Case, Category, State
    from wangge.core.bulk import BulkWriter, Table

    rng = np.random.default_rng(12)
    grids = list(Region.objects.filter(level=Level.GRID).values_list("pk", flat=True))
    categories = list(Category.objects.filter(active=True).values_list("pk", flat=True))
    weights = rng.pareto(1.5, len(grids)) + 0.2  # a few busy grids, most quiet
    weights /= weights.sum()
    now = timezone.now()
    span = YEARS * 365 * 86400
    open_states = [State.REPORTED, State.REGISTERED, State.DISPATCHED, State.ACCEPTED, State.HANDLED]
    table = Table(Case, with_pk=False, prepared=True)
    attnames = ("number", "channel", "category_id", "title", "grid_id", "owner_region_id", "state", "reported_at",
                "handle_by", "closed_at", "on_time")
    shape = table.from_tuples(attnames)
    writer = BulkWriter()
    started = time.monotonic()
    with transaction.atomic():
        with connection.cursor() as cursor:  # generated rows are valid: no per-row foreign-key trigger
            cursor.execute("SET LOCAL session_replication_role = replica")
        done = 0
        while done < total:
            n = min(CHUNK, total - done)
            ages = np.sort(rng.integers(0, span, n))[::-1]
            grid_ids = rng.choice(grids, n, p=weights).tolist()
            category_ids = rng.choice(categories, n).tolist()
            closed = (ages > 20 * 86400) | (rng.random(n) < 0.4)
            on_time = rng.random(n) < 0.8
            open_pick = rng.integers(0, len(open_states), n).tolist()
            rows = []
            for i in range(n):
                reported = now - timedelta(seconds=int(ages[i]))
                handle_by = reported + timedelta(days=5)
                if closed[i]:
                    state, closed_at = State.CLOSED, (handle_by - timedelta(days=1) if on_time[i]
                                                      else handle_by + timedelta(days=2))
                    timely = bool(on_time[i])
                else:
                    state, closed_at, timely = open_states[open_pick[i]], None, None
                rows.append(shape((f"BENCH{done + i:010d}", "grid_worker", category_ids[i], "合成事件",
                                   grid_ids[i], grid_ids[i], state, reported, handle_by, closed_at, timely)))
            writer.insert_tuples(table.name, table.columns, rows)
            done += n
            print(f"  {done:,} cases loaded ({time.monotonic() - started:.0f} s)", flush=True)
    return time.monotonic() - started


def analyse() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def raw_figures(user, region, first, last) -> int:
    """The one map's case figures without rollups: the region's by major and state, each child's likewise."""
    from django.db.models import Count
    from django.db.models.functions import Substr

    from wangge.cases.models import Case
    from wangge.insight.rollups import local_start

    cases = Case.objects.visible_to(user).filter(grid__path__startswith=region.path,
                                                 reported_at__gte=local_start(first),
                                                 reported_at__lt=local_start(last + timedelta(days=1)))
    own = list(cases.values("category__major__code", "state").annotate(n=Count("id")).order_by())
    child_path = len(region.path) + 1 + {"district": 9, "street": 12, "community": 15}.get(region.level, 0)
    children = list(cases.annotate(child=Substr("grid__path", 1, child_path))
                    .values("child", "category__major__code", "state").annotate(n=Count("id")).order_by())
    return len(own) + len(children)


def p(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def measure(samples: int) -> list[tuple]:
    from django.db import reset_queries
    from django.test import Client
    from django.utils import timezone

    from wangge.areas.models import Level, Region
    from wangge.core.models import User

    user = User.objects.get(username="district")
    client = Client()
    client.force_login(user)
    rng = random.Random(5)
    today = timezone.localdate()
    ranges = {"30 days": (today - timedelta(days=29), today), "a year": (today - timedelta(days=365), today)}
    results = []
    for level in (Level.DISTRICT, Level.STREET, Level.GRID):
        regions = list(Region.objects.filter(level=level, path__startswith=user.scope_node.path))
        for label, (first, last) in ranges.items():
            api, raw = [], []
            for _ in range(samples):
                region = rng.choice(regions)
                url = f"/api/v1/insight/map/{region.code}?from={first}&to={last}"
                started = time.perf_counter()
                response = client.get(url)
                api.append(time.perf_counter() - started)
                assert response.status_code == 200, (url, response.status_code, response.content[:200])
                started = time.perf_counter()
                raw_figures(user, region, first, last)
                raw.append(time.perf_counter() - started)
                reset_queries()
            results.append((level, label, api, raw))
            print(f"  {level:9} {label:8} one map p95 {p(api, .95) * 1000:7.1f} ms"
                  f"   raw p95 {p(raw, .95) * 1000:8.1f} ms",
                  flush=True)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--cases", type=int, default=10_000_000)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--reuse", action="store_true", help="time a database that already holds the cases")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    url = args.database_url
    if not url.startswith(("postgres://", "postgresql://")):
        parser.error("the dashboard benchmark runs on PostgreSQL, where districts run")
    os.environ.update({"DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "wangge.settings", "WANGGE_DEBUG": "0"})
    timings = {}
    if args.reuse:
        run("migrate", "--noinput", "-v0", url=url)  # the code may be newer than the database kept
    else:
        fresh_database(url)
        run("migrate", "--noinput", "-v0", url=url)
        run("load_demo", "--people", "0", "--cases", "0", "--disputes", "0", url=url)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from wangge.insight import rollups

    try:
        if not args.reuse:
            print(f"loading {args.cases:,} cases by COPY …", flush=True)
            timings["copy"] = load_cases(args.cases)
            analyse()
            started = time.monotonic()
            written = rollups.rebuild()
            timings["rebuild"] = time.monotonic() - started
            analyse()
            rollups.vacuum()
            print(f"  rollups rebuilt in {timings['rebuild']:.0f} s ({written['case']:,} day rows for cases)")
        from wangge.cases.models import Case
        from wangge.insight.models import Rollup

        print(f"cases: {Case.objects.count():,}; rollup rows: {Rollup.objects.count():,}")
        measure(2)  # warm both paths once: the first requests of a process pay for imports and caches
        print("timing …")
        results = measure(args.samples)
    finally:
        if not args.keep and not args.reuse:
            from django.db import connections

            connections.close_all()
            drop_database(url)
    print()
    print(f"{'level':9} {'range':8} {'one map p50':>12} {'p95':>8} {'raw p50':>10} {'p95':>10} {'raw/one map':>12}")
    worst_p95, worst_ratio = 0.0, float("inf")
    for level, label, api, raw in results:
        ratio = p(raw, .95) / p(api, .95)
        worst_p95, worst_ratio = max(worst_p95, p(api, .95)), min(worst_ratio, ratio)
        print(f"{level:9} {label:8} {statistics.median(api) * 1000:10.1f}ms {p(api, .95) * 1000:6.1f}ms "
              f"{statistics.median(raw) * 1000:8.1f}ms {p(raw, .95) * 1000:8.1f}ms {ratio:11.1f}×")
    if timings:
        print(f"load: COPY {timings['copy']:.0f} s, rollups rebuilt in {timings['rebuild']:.0f} s")
    print(f"worst one-map p95 {worst_p95 * 1000:.1f} ms (target < 200 ms); "
          f"smallest ratio raw/one map {worst_ratio:.1f}× (target ≥ 10×)")
    return 0 if worst_p95 < 0.2 and worst_ratio >= 10 else 1


if __name__ == "__main__":
    sys.exit(main())
