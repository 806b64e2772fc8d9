"""Every main page on PostgreSQL with the demo district loaded, per role, against the log-in page.

    .venv/bin/python bench/pages.py [--database-url postgres://postgres@127.0.0.1:5432/bench_pages]
                                    [--repeat 5] [--budget-ms 300] [--reuse] [--keep] [--only NAME]
                                    [--ten-times] [--load-only]

The database named by --database-url is made afresh (PostgreSQL: dropped if a run before left it, created;
SQLite, `sqlite:///FILE`: the file must not exist), migrated, and the demo district loaded the way a new user
loads it: `python -m wangge load_demo` (550 grids, ~105,000 residents, a year of cases and disputes;
--ten-times: 1,000,000 residents, 200,000 cases, 40,000 disputes; --load-only: load and keep it). At the
end the database is dropped (the SQLite file removed) unless --keep. --reuse times a database that already
holds the demo, as it is: nothing created, loaded or dropped.

Pages are requested in this process through Django's test Client (the whole middleware stack, templates and
queries; no HTTP socket), WANGGE_DEBUG=0, signed in with force_login as:

  district  the district operator (`district`, 武侯区)
  street    the street operator of the street with the most households
  grid      the grid worker of the grid with the most residents
  mediator  the mediator with the most disputes (the mediation phone pages are theirs alone)
  public    nobody signed in (the portal)

Detail pages open a record the role can see: the newest case, dispute, and the person, building, house,
organisation and place with the most behind them. A page a role may not use (403) is left out of its column.
Each page is requested once unmeasured (its SQL queries are counted then, with CaptureQueriesContext), then
--repeat times (default 5); the median is reported.

  reference  GET /login/ (a form, no query) and GET /api/v1/ping (no database), same client, same run.

Prints a table slowest first (median ms and queries per role), the slowest page, and the slowest's ratio to
the log-in page; and the five largest answers (KB) with how many pages pass 200 KB. Exit status 1 if any
page's median is >= --budget-ms (default 300), 2 if a page answered anything but 200 (or 403 for a role that
may not use it).
"""
import argparse
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_pages"
STAFF = ("district", "street", "grid")
PAGE_KB = 200  # what a list or board page should stay under, for a phone on a weak network (reported, not judged)
ROLES = (*STAFF, "mediator", "public")
TEN_TIMES = ["--people", "1000000", "--cases", "200000", "--disputes", "40000"]  # the "ten times the demo"


@dataclass
class Page:
    name: str
    path: Callable  # (picks, user) -> the URL to request, or None when the role has nothing to open
    roles: tuple = STAFF


@dataclass
class Timing:
    path: str = ""
    status: int = 0
    queries: int = 0
    size: int = 0  # bytes of the answer (HTML or JSON)
    samples: list = field(default_factory=list)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.samples) * 1000


# --- the database ---------------------------------------------------------------------------------

def is_postgres(url: str) -> bool:
    return url.startswith(("postgres://", "postgresql://"))


def server_and_name(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts._replace(path="/postgres").geturl(), parts.path.lstrip("/")


def pg(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def create_database(url: str) -> None:
    if is_postgres(url):
        server, name = server_and_name(url)
        pg(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        pg(server, f'CREATE DATABASE "{name}"')
    elif Path(urlsplit(url).path).exists():
        raise SystemExit(f"{url} exists: give a new file, or --reuse to time it as it is")


def drop_database(url: str) -> None:
    try:
        if is_postgres(url):
            server, name = server_and_name(url)
            pg(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            Path(urlsplit(url).path).unlink(missing_ok=True)
    except Exception as exc:  # noqa: BLE001 - say so, the figures are printed already
        print(f"could not drop {url}: {exc}", file=sys.stderr)


def manage(env: dict, *args) -> str:
    done = subprocess.run([sys.executable, "-m", "wangge", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"python -m wangge {' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return done.stdout


def load_demo(env: dict, sizes: list[str]) -> None:
    started = time.perf_counter()
    manage(env, "migrate", "--noinput", "-v0")
    out = manage(env, "load_demo", *sizes)
    print(f"setup     migrate + load_demo in {time.perf_counter() - started:.0f} s: {out.splitlines()[0][:160]}")


# --- who, and which records ------------------------------------------------------------------------

def pick_users() -> dict:
    from django.db.models import Count

    from wangge.areas.models import Level, Region
    from wangge.core.models import User
    from wangge.core.roles import Role
    from wangge.mediation.models import Dispute
    from wangge.registry.models import Person

    def user_at(role, region):
        return User.objects.filter(role=role, region=region, is_active=True).order_by("username").first()

    street = Region.objects.filter(level=Level.STREET).order_by("-households", "code").first()
    grid_id = (Person.objects.filter(grid__isnull=False).values("grid").annotate(n=Count("pk"))
               .order_by("-n", "grid").values_list("grid", flat=True).first())
    mediator = (Dispute.objects.filter(mediator__user__isnull=False).values("mediator__user")
                .annotate(n=Count("pk")).order_by("-n", "mediator__user").values_list("mediator__user", flat=True)
                .first())
    users = {
        "district": User.objects.filter(role=Role.DISTRICT_OPERATOR, is_active=True).order_by("username").first(),
        "street": user_at(Role.STREET_OPERATOR, street),
        "grid": user_at(Role.GRID_WORKER, grid_id),
        "mediator": User.objects.filter(pk=mediator).first(),
        "public": None,
    }
    missing = [role for role, user in users.items() if role != "public" and user is None]
    if missing:
        raise SystemExit(f"the demo has no user for {', '.join(missing)}: is it loaded?")
    return users


def first_pk(queryset):
    return queryset.values_list("pk", flat=True).first()


def most(queryset, related: str):
    """The visible record with the most `related` rows behind it (ties: the lowest id)."""
    from django.db.models import Count

    return first_pk(queryset.annotate(n=Count(related, distinct=True)).order_by("-n", "pk"))


class Picks:
    """The records each role's detail pages open, looked up once per user through `visible_to`."""

    def __init__(self):
        self.cache = {}

    def get(self, user, what: str):
        key = (user.pk if user else None, what)
        if key not in self.cache:
            self.cache[key] = getattr(self, what)(user)
        return self.cache[key]

    @staticmethod
    def area(user):
        return user.scope_node.code

    @staticmethod
    def child_region(user):
        from wangge.areas.models import Region

        return Region.objects.visible_to(user).filter(parent=user.scope_node).order_by("-households", "code") \
            .values_list("code", flat=True).first()

    @staticmethod
    def grid(user):
        from django.db.models import Count

        from wangge.areas.models import Level, Region
        from wangge.registry.models import Person

        grids = Region.objects.visible_to(user).filter(level=Level.GRID)
        busiest = (Person.objects.visible_to(user).filter(grid__in=grids).values("grid").annotate(n=Count("pk"))
                   .order_by("-n", "grid").values_list("grid__code", flat=True).first())
        return busiest or grids.order_by("code").values_list("code", flat=True).first()

    @staticmethod
    def person(user):
        from wangge.registry.models import Person

        return most(Person.objects.visible_to(user).filter(tags__isnull=False), "visits")

    @staticmethod
    def building(user):
        from wangge.registry.models import Building

        return most(Building.objects.visible_to(user), "houses")

    @staticmethod
    def house(user):
        from wangge.registry.models import House

        return most(House.objects.visible_to(user), "residents")

    @staticmethod
    def organisation(user):
        from wangge.registry.models import Organisation

        return first_pk(Organisation.objects.visible_to(user).order_by("pk"))

    @staticmethod
    def place(user):
        from wangge.registry.models import Place

        return first_pk(Place.objects.visible_to(user).order_by("pk"))

    @staticmethod
    def case(user):
        from wangge.cases.models import Case

        return first_pk(Case.objects.visible_to(user).order_by("-pk"))

    @staticmethod
    def dispute(user):
        from wangge.mediation.models import Dispute

        return first_pk(Dispute.objects.visible_to(user).order_by("-pk"))

    @staticmethod
    def alert(user):
        from wangge.sensing.models import Alert

        return first_pk(Alert.objects.visible_to(user).order_by("-pk"))

    @staticmethod
    def card_building(user):
        from wangge.sensing.models import Card

        return Card.objects.visible_to(user).order_by("pk").values_list("building_id", flat=True).first()

    @staticmethod
    def tracking_code(_user):
        from wangge.cases.models import Case

        return Case.objects.filter(closed_at__isnull=False).order_by("-pk").values_list("tracking_code", flat=True) \
            .first()


def at(template: str, *needs: str):
    """A path builder: `template` formatted with the picks named by `needs` (None if one is missing)."""
    def build(picks: Picks, user):
        values = [picks.get(user, need) for need in needs]
        return None if any(v is None for v in values) else template.format(*values)
    return build


def fixed(path: str):
    return lambda _picks, _user: path


MEDIATION = (*STAFF, "mediator")
PAGES = [
    # areas: the map home, region pages and their data
    Page("home", fixed("/")),
    Page("region (own area)", at("/regions/{}/", "area"), ("district", "street")),
    Page("region (a child)", at("/regions/{}/", "child_region"), ("district", "street")),
    Page("region panel", at("/regions/{}/panel/", "area"), ("district", "street")),
    Page("map json (own area)", at("/map/{}.json", "area")),
    Page("grid page", at("/grids/{}/", "grid")),
    # registry: people, buildings, visits, organisations, places
    Page("buildings", fixed("/buildings/")),
    Page("grid buildings", at("/grids/{}/buildings/", "grid")),
    Page("building", at("/buildings/{}/", "building")),
    Page("house", at("/houses/{}/", "house")),
    Page("people", fixed("/people/")),
    Page("people search 王", fixed("/people/search/?q=%E7%8E%8B")),
    Page("person", at("/people/{}/", "person")),
    Page("visits due", fixed("/visits/due/")),
    Page("organisations", fixed("/organisations/")),
    Page("organisation", at("/organisations/{}/", "organisation")),
    Page("places", fixed("/places/")),
    Page("place", at("/places/{}/", "place")),
    Page("vehicles", fixed("/vehicles/")),
    Page("population (own area)", at("/regions/{}/population/", "area")),
    Page("people import", fixed("/people/import/")),
    # cases
    Page("case queue", fixed("/cases/")),
    Page("case inbox (待办)", fixed("/cases/inbox/")),
    Page("case board (督办)", fixed("/cases/supervision/")),
    Page("case stats (统计考核)", fixed("/cases/stats/")),
    Page("my cases", fixed("/cases/mine/")),
    Page("report a case", fixed("/cases/report/")),
    Page("case detail", at("/cases/{}/", "case")),
    Page("messages inbox", fixed("/inbox/"), MEDIATION),
    # mediation
    Page("dispute ledger", fixed("/mediation/"), MEDIATION),
    Page("register dispute", fixed("/mediation/new/"), MEDIATION),
    Page("dispute detail", at("/mediation/{}/", "dispute"), MEDIATION),
    Page("dispute stats", fixed("/mediation/stats/"), MEDIATION),
    Page("mediator stats", fixed("/mediation/stats/mediators/"), MEDIATION),
    Page("dispute warnings", fixed("/mediation/warnings/"), MEDIATION),
    Page("mobile: my mediation", fixed("/mediation/m/"), ("mediator",)),
    Page("mobile: my record", fixed("/mediation/m/me/"), ("mediator",)),
    Page("mobile: dispute card", at("/mediation/m/{}/", "dispute"), ("mediator",)),
    # sensing
    Page("alert board", fixed("/sensing/alerts/")),
    Page("alert", at("/sensing/alerts/{}/", "alert")),
    Page("three-ones coverage", fixed("/sensing/coverage/")),
    Page("card holders", fixed("/sensing/cards/holders/")),
    Page("building card (院落)", at("/sensing/buildings/{}/", "card_building")),
    Page("alert rules", fixed("/sensing/rules/")),
    # portal (the public)
    Page("portal", fixed("/portal/"), ("public",)),
    Page("portal report", fixed("/portal/report/"), ("public",)),
    Page("portal track", fixed("/portal/track/"), ("public",)),
    Page("portal case", at("/portal/track/{}/", "tracking_code"), ("public",)),
    Page("portal grid worker", fixed("/portal/grid-worker/"), ("public",)),
    Page("portal map json", fixed("/portal/map.json"), ("public",)),
    Page("portal dispute", fixed("/portal/dispute/"), ("public",)),
    Page("portal mediators", fixed("/portal/dispute/mediators/"), ("public",)),
]
REFERENCES = [Page("login page (reference)", fixed("/login/"), ("public",)),
              Page("ping (reference)", fixed("/api/v1/ping"), ("public",))]


# --- timing ----------------------------------------------------------------------------------------

def time_page(client, path: str, repeat: int) -> Timing:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:  # the unmeasured warm-up, counted
        response = client.get(path, follow=True)
    if response.redirect_chain:  # a role's start page may send it on: time where it lands
        path = response.redirect_chain[-1][0]
    timing = Timing(path=path, status=response.status_code, queries=len(queries), size=len(response.content))
    if timing.status != 200:
        return timing
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(path)
        timing.samples.append(time.perf_counter() - started)
        if response.status_code != 200:
            timing.status = response.status_code
            break
    return timing


def run(pages: list, users: dict, repeat: int) -> dict:
    """{(page name, role): Timing} for every page a role is listed for."""
    from django.test import Client

    picks, results = Picks(), {}
    for role in ROLES:
        user = users[role]
        client = Client()
        if user is not None:
            client.force_login(user)
        for page in pages:
            if role not in page.roles:
                continue
            path = page.path(picks, user)
            if path is None:
                print(f"  {role:<8} {page.name}: nothing to open (skipped)")
                continue
            results[page.name, role] = time_page(client, path, repeat)
    return results


# --- the report ------------------------------------------------------------------------------------

def cell(timing: Timing | None) -> str:
    if timing is None:
        return ""
    if timing.status == 403:
        return "·"
    if timing.status != 200:
        return f"HTTP {timing.status}"
    return f"{timing.median_ms:7.1f} {timing.queries:>3}q"


def report(results: dict, pages: list, users: dict, budget_ms: float) -> int:
    roles = [role for role in ROLES if any(r == role for _, r in results)]
    timed = {key: t for key, t in results.items() if t.status == 200 and t.samples}
    worst = {page.name: max((t.median_ms for (name, _), t in timed.items() if name == page.name), default=-1)
             for page in pages}
    width = max(len(p.name) for p in pages) + 2
    print()
    print(f"{'page (median ms, SQL queries)':<{width}}" + "".join(f"{role:>14}" for role in roles))
    for page in sorted(pages, key=lambda p: -worst[p.name]):
        if not any((page.name, role) in results for role in roles):
            continue
        print(f"{page.name:<{width}}" + "".join(f"{cell(results.get((page.name, role))):>14}" for role in roles))
    who = ", ".join(f"{role} = {user.username}" for role, user in users.items() if user is not None)
    print(f"(· = not allowed for the role, 403; users: {who})")
    errors = {key: t for key, t in results.items() if t.status not in (200, 403)}
    for (name, role), t in errors.items():
        print(f"ERROR     {name} as {role}: GET {t.path} answered {t.status}")
    (slow_name, slow_role), slowest = max(timed.items(), key=lambda item: item[1].median_ms)
    login = results["login page (reference)", "public"]
    ping = results["ping (reference)", "public"]
    print()
    print(f"reference log-in page {login.median_ms:.1f} ms, /api/v1/ping {ping.median_ms:.1f} ms")
    print(f"slowest   {slow_name} as {slow_role}: {slowest.median_ms:.1f} ms ({slowest.queries} queries, "
          f"GET {slowest.path}) = {slowest.median_ms / login.median_ms:.1f} x the log-in page")
    heaviest = sorted(((t.size, name, role) for (name, role), t in timed.items()), reverse=True)[:5]
    print("largest   " + ", ".join(f"{name} as {role} {size / 1024:.0f} KB" for size, name, role in heaviest)
          + f" (pages over {PAGE_KB} KB: {sum(1 for t in timed.values() if t.size > PAGE_KB * 1024)})")
    over = sorted(((t.median_ms, name, role) for (name, role), t in timed.items() if t.median_ms >= budget_ms),
                  reverse=True)
    print(f"target    every page < {budget_ms:g} ms: " + (f"MISSED by {len(over)}: " + ", ".join(
        f"{name} as {role} {ms:.0f} ms" for ms, name, role in over) if over else "OK"))
    if errors:
        return 2
    return 1 if over else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL,
                        help=f"the database to make and load (default {DEFAULT_URL})")
    parser.add_argument("--repeat", type=int, default=5, help="timed requests per page and role (median)")
    parser.add_argument("--budget-ms", type=float, default=300.0, help="exit status 1 if a page's median >= this")
    parser.add_argument("--reuse", action="store_true", help="time the database as it is (demo loaded already)")
    parser.add_argument("--keep", action="store_true", help="do not drop the database at the end")
    parser.add_argument("--ten-times", action="store_true",
                        help="load ten times the demo's data: load_demo " + " ".join(TEN_TIMES))
    parser.add_argument("--load-only", action="store_true", help="make and load the database, time nothing (--keep)")
    parser.add_argument("--only", action="append", default=[], help="time only pages whose name contains this")
    args = parser.parse_args(argv)

    # The data key that encrypts ID numbers and phones lives in WANGGE_VAR_DIR: a database made here gets a
    # throwaway folder; --reuse reads the folder it was loaded with (WANGGE_VAR_DIR, or the project's var/).
    tmp = Path(tempfile.mkdtemp(prefix="wangge-bench-pages-"))
    var_dir = os.environ.get("WANGGE_VAR_DIR") or str(ROOT / "var" if args.reuse else tmp / "var")
    env = {**os.environ, "DATABASE_URL": args.database_url, "WANGGE_VAR_DIR": var_dir,
           "WANGGE_STATIC_ROOT": str(tmp / "static"),
           "WANGGE_DEBUG": "0", "WANGGE_SECRET_KEY": "bench-only-" + os.urandom(16).hex(),
           "WANGGE_ALLOWED_HOSTS": "testserver", "DJANGO_SETTINGS_MODULE": "wangge.settings"}
    made = False
    try:
        if not args.reuse:
            create_database(args.database_url)
            made = True
            load_demo(env, TEN_TIMES if args.ten_times else [])
        if args.load_only:
            args.keep = True
            return 0
        manage(env, "collectstatic", "--noinput", "-v0")  # served as a deployment serves them: hashed names
        os.environ.update(env)
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        logging.getLogger("django.request").setLevel(logging.ERROR)  # a 403 for a role is expected, not news
        users = pick_users()
        pages = [p for p in PAGES if not args.only or any(o in p.name for o in args.only)]
        print(f"timing    {len(pages)} pages, median of {args.repeat} after one warm-up, Django test Client, "
              f"{args.database_url.split('://')[0]}")
        results = run(pages + REFERENCES, users, args.repeat)
        return report(results, pages + REFERENCES, users, args.budget_ms)
    finally:
        if made and not args.keep:
            if "django" in sys.modules and getattr(sys.modules["django"], "apps", None):
                from django.db import connections

                connections.close_all()
            drop_database(args.database_url)
        if made and args.keep:
            print(f"kept      {args.database_url}; time it again with: WANGGE_VAR_DIR={var_dir} "
                  f".venv/bin/python bench/pages.py --database-url {args.database_url} --reuse")
            shutil.rmtree(tmp / "static", ignore_errors=True)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
