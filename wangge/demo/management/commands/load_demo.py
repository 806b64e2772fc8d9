import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from wangge.demo import services
from wangge.demo.cases import CASES_PER_GRID
from wangge.demo.generator import DEFAULT_SEED, SYNTHETIC_NOTE, TARGET_GRIDS, generate
from wangge.demo.mediation import DISPUTES_PER_COMMUNITY
from wangge.demo.people import DEFAULT_PEOPLE
from wangge.insight.assessment import demo as assessment_demo


def analyse():
    """Planner statistics for the rows just written, on PostgreSQL. A bulk load leaves none (autovacuum, if on,
    comes later), and the planner then takes every table for tiny: the statistics page's aggregates chose nested
    loops and took seconds each until the tables were analysed. SQLite plans without statistics well enough."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def derive():
    """What is computed from the records just loaded: the planner's statistics, then the one map's rollups
    (a bulk load writes no timeline the worker could follow), then the rollups' own statistics; and the
    early-warning analysis once, so the board shows what the demo holds on first start (the worker then runs it
    hourly: docs/early-warning.md)."""
    from wangge.insight import analysis, rollups

    analyse()
    rollups.rebuild()
    rollups.vacuum()
    analysis.run()


class Command(BaseCommand):
    help = ("Load the synthetic demo district 武侯区 (real division names and codes, synthetic boundaries and people). "
            "Does nothing if it is loaded already; --force wipes and reloads. 加载演示区（合成数据）。")

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
        parser.add_argument("--force", action="store_true", help="wipe the demo district and load it again")
        parser.add_argument("--grids", type=int, default=TARGET_GRIDS,
                            help=f"how many grids to cut (default {TARGET_GRIDS})")
        parser.add_argument("--streets", type=int, default=None,
                            help="keep only the first N streets (quick checks; default all)")
        parser.add_argument("--people", type=int, default=DEFAULT_PEOPLE,
                            help=f"at least this many synthetic residents, with their buildings, houses, "
                                 f"households, tags and visits (default {DEFAULT_PEOPLE}; 0 for none)")
        parser.add_argument("--cases", type=int, default=None,
                            help=f"how many synthetic cases over the last year (default {CASES_PER_GRID} per grid; "
                                 "0 for none)")
        parser.add_argument("--disputes", type=int, default=None,
                            help=f"how many synthetic disputes over the last year, with mediation committees and "
                                 f"mediators (default {DISPUTES_PER_COMMUNITY} per community; 0 for none)")

    def handle(self, seed, force, grids, streets, people, cases, disputes, **options):
        if grids < 1 or (streets is not None and streets < 1):
            raise CommandError("--grids and --streets must be positive / 须为正整数")
        if people < 0 or (cases is not None and cases < 0) or (disputes is not None and disputes < 0):
            raise CommandError("--people, --cases and --disputes must not be negative / 不能为负数")
        started = time.monotonic()
        if services.is_loaded() and not force:
            loaded_seed = services.loaded_seed()
            counts = None
            if people and not services.people_loaded():  # loaded before it had base data
                counts = services.load_people(loaded_seed if loaded_seed is not None else seed, people)
            case_counts = None
            if cases != 0 and not services.cases_loaded():  # loaded before it had cases
                case_counts = services.load_cases(loaded_seed if loaded_seed is not None else seed, cases)
            device_counts = None
            if people and not counts and services.people_loaded() and not services.devices_loaded():
                device_counts = services.load_devices(loaded_seed if loaded_seed is not None else seed)
            dispute_counts = None
            if disputes != 0 and not services.disputes_loaded():  # loaded before it had disputes
                dispute_counts = services.load_disputes(loaded_seed if loaded_seed is not None else seed, disputes)
            if counts:
                self.stdout.write(f"已加载演示区基础数据 / loaded the demo district's base data "
                                  f"in {time.monotonic() - started:.1f} s: {self._base_counts(counts)}.")
                self.stdout.write(f"设备 / devices: {self._device_counts(counts)}.")
            if case_counts:
                self.stdout.write(f"已加载演示事件 / loaded the demo cases in {time.monotonic() - started:.1f} s: "
                                  f"{self._case_counts(case_counts)}.")
            if dispute_counts:
                self.stdout.write(f"已加载演示纠纷 / loaded the demo disputes in {time.monotonic() - started:.1f} s: "
                                  f"{self._dispute_counts(dispute_counts)}.")
            if device_counts:
                self.stdout.write(f"已加载演示设备 / loaded the demo devices: {self._device_counts(device_counts)}.")
            if not counts and not case_counts and not dispute_counts and not device_counts:
                self.stdout.write(f"演示区已加载 / demo district already loaded (seed {loaded_seed}); "
                                  "use --force to reload.")
            else:
                derive()
            self._print_logins()
            return
        plan = generate(seed, target_grids=grids, streets=streets)
        try:
            result = services.load(plan, force=force, people=people, cases=cases, disputes=disputes)
        except services.DemoError as exc:
            raise CommandError(str(exc))
        if result is None:  # another process loaded it meanwhile
            self.stdout.write("演示区已加载 / demo district already loaded.")
        else:
            derive()
            c = result.counts
            self.stdout.write(
                f"已加载演示区 / loaded {result.district.name} (seed {seed}) in {time.monotonic() - started:.1f} s: "
                f"{c['streets']} streets, {c['communities']} communities, {c['grids']} grids, "
                f"{c['households']} households, {c['users']} users, {c['team_members']} team members.")
            if people:
                self.stdout.write(f"基础数据 / base data: {self._base_counts(c)}.")
                self.stdout.write(f"设备 / devices: {self._device_counts(c)}.")
            if "cases" in c:
                self.stdout.write(f"事件 / cases: {self._case_counts(c)}.")
            if "disputes" in c:
                self.stdout.write(f"矛盾纠纷 / disputes: {self._dispute_counts(c)}.")
            for username in result.skipped_users:
                self.stderr.write(f"user {username} already exists and was left unchanged / 用户已存在，未修改")
        self._print_logins()

    @staticmethod
    def _base_counts(c) -> str:
        return (f"{c['people']} people, {c['registered_households']} households in {c['houses']} houses in "
                f"{c['buildings']} buildings, {c['tags']} tags, {c['visits']} visits, "
                f"{c['residences']} residence rows, {c['organisations']} organisations, {c['places']} places, "
                f"{c['vehicles']} vehicles (all synthetic / 楼栋、房屋、人口、组织、场所、车辆均为合成数据)")

    @staticmethod
    def _device_counts(c) -> str:
        return (f"{c.get('doors', 0)} door controllers, {c.get('cameras', 0)} cameras, {c.get('detectors', 0)} "
                f"detectors; {c.get('rental_buildings', 0)} rental buildings; {c.get('cards', 0)} access cards "
                "(all synthetic / 设备、门禁卡均为合成数据)")

    @staticmethod
    def _case_counts(c) -> str:
        return (f"{c['cases']} cases over the last year with {c['case_events']} timeline steps, "
                f"{c['open_cases']} still open (all synthetic / 事件均为合成数据)")

    @staticmethod
    def _dispute_counts(c) -> str:
        return (f"{c['disputes']} disputes over the last year with {c['dispute_events']} timeline steps, "
                f"{c['open_disputes']} still open; {c['committees']} committees, {c['mediators']} mediators "
                "(all synthetic / 纠纷、调解员均为合成数据)")

    def _print_logins(self):
        assessment_demo.load()  # the default 考核 schemes, once (wangge/insight/assessment/demo.py)
        self.stdout.write("")
        self.stdout.write(services.format_logins(services.login_rows()))
        self.stdout.write("")
        self.stdout.write(SYNTHETIC_NOTE)
