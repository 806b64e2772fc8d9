"""python -m wangge rebuild_rollups: every rollup row recomputed from the records (after a bulk import or a
restore; the worker keeps them current otherwise)."""
import time

from django.core.management.base import BaseCommand

from wangge.insight import rollups


class Command(BaseCommand):
    help = "Recompute the one map's rollups from the cases, disputes and alerts. 重算一张图汇总表。"

    def handle(self, **options):
        started = time.monotonic()
        written = rollups.rebuild()
        rollups.vacuum()
        rows = ", ".join(f"{source} {n}" for source, n in written.items())
        self.stdout.write(f"rollups rebuilt in {time.monotonic() - started:.1f} s: {rows} day rows")
