import time

from django.core.management.base import BaseCommand, CommandError

from wangge.demo import services
from wangge.demo.generator import DEFAULT_SEED, SYNTHETIC_NOTE, TARGET_GRIDS, generate


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

    def handle(self, seed, force, grids, streets, **options):
        if grids < 1 or (streets is not None and streets < 1):
            raise CommandError("--grids and --streets must be positive / 须为正整数")
        if services.is_loaded() and not force:
            self.stdout.write(f"演示区已加载 / demo district already loaded (seed {services.loaded_seed()}); "
                              "use --force to reload.")
            self._print_logins()
            return
        started = time.monotonic()
        plan = generate(seed, target_grids=grids, streets=streets)
        try:
            result = services.load(plan, force=force)
        except services.DemoError as exc:
            raise CommandError(str(exc))
        if result is None:  # another process loaded it meanwhile
            self.stdout.write("演示区已加载 / demo district already loaded.")
        else:
            c = result.counts
            self.stdout.write(
                f"已加载演示区 / loaded {result.district.name} (seed {seed}) in {time.monotonic() - started:.1f} s: "
                f"{c['streets']} streets, {c['communities']} communities, {c['grids']} grids, "
                f"{c['households']} households, {c['users']} users, {c['team_members']} team members.")
            for username in result.skipped_users:
                self.stderr.write(f"user {username} already exists and was left unchanged / 用户已存在，未修改")
        self._print_logins()

    def _print_logins(self):
        self.stdout.write("")
        self.stdout.write(services.format_logins(services.login_rows()))
        self.stdout.write("")
        self.stdout.write(SYNTHETIC_NOTE)
