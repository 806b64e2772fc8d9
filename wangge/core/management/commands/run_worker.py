"""`python -m wangge run_worker`: the one background process (see docs/worker.md).

It runs the pollers the apps registered (wangge/core/pollers.py: the cases' deadlines, the disputes' clock) every
--interval seconds and, in between, the queued
django.tasks (text messages and anything else enqueued), using django_tasks_db's own worker to claim and
run each task (locked row, claim, result and traceback kept in the task table). Several of these may run
at once: the poller claims each case with a conditional UPDATE and the task table hands each task to one
worker, so nothing is done twice. `--once` does one pass (poll, then every task that is ready) and exits:
for cron and for tests.
"""
import logging
import time

from django.core.management.base import BaseCommand
from django.db import OperationalError, close_old_connections
from django.utils.crypto import get_random_string

from wangge.core import pollers

logger = logging.getLogger("wangge.worker")


def _db_backend(backend_name: str) -> bool:
    from django_tasks import task_backends
    from django_tasks_db.backend import DatabaseBackend

    return isinstance(task_backends[backend_name], DatabaseBackend)


def make_worker(backend_name: str = "default", queue_names=("default",), worker_id: str | None = None):
    """django_tasks_db's Worker, used for its signal handling and `run_task` (result rows, signals)."""
    from django_tasks_db.management.commands.db_worker import Worker

    return Worker(queue_names=list(queue_names), interval=0, batch=True, backend_name=backend_name,
                  startup_delay=False, max_tasks=None, worker_id=worker_id or get_random_string(32),
                  excluded_queue_names=[])


def run_ready_tasks(worker, limit: int | None = None) -> int:
    """Run the tasks that are ready now, one at a time, as db_worker does; returns how many ran.

    This is the body of db_worker's loop without its connection recycling, so it also runs inside a
    test's transaction.
    """
    from django_tasks_db.models import DBTaskResult
    from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

    if not _db_backend(worker.backend_name):
        return 0  # another backend (the immediate one in tests) has run them already
    ran = 0
    while worker.running and (limit is None or ran < limit):
        tasks = DBTaskResult.objects.ready().filter(backend_name=worker.backend_name)
        if not worker.process_all_queues:
            tasks = tasks.filter(queue_name__in=worker.queue_names)
        with exclusive_transaction(tasks.db):
            try:
                result = tasks.get_locked()
                if result is not None:
                    result.claim(worker.worker_id)  # no other worker takes it now
            except OperationalError as exc:
                if is_locked_database_exception(exc):
                    return ran  # SQLite busy: try again on the next round
                raise
        if result is None:
            return ran
        worker.run_task(result)
        ran += 1
    return ran


def run_pass(worker, now=None) -> dict:
    """One round: the pollers, then the queued tasks (including the text messages the pollers queued)."""
    flagged = pollers.poll_all(now)
    return {**flagged, "tasks": run_ready_tasks(worker)}


class Command(BaseCommand):
    help = ("Run the deadlines poller every --interval seconds and the queued background tasks (text messages). "
            "后台任务：时限监控与短信发送。")

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=60.0,
                            help="seconds between poller runs (default 60)")
        parser.add_argument("--task-interval", type=float, default=1.0,
                            help="seconds to wait when no task is queued (default 1)")
        parser.add_argument("--once", action="store_true", help="one pass (poll, run ready tasks), then exit")
        parser.add_argument("--queue-name", default="default", help="task queues, comma-separated; * for all")
        parser.add_argument("--backend", default="default", dest="backend_name", help="task backend alias")

    def handle(self, interval, task_interval, once, queue_name, backend_name, **options):
        worker = make_worker(backend_name, queue_name.split(","))
        if once:
            self._report(run_pass(worker))
            return
        if interval <= 0 or task_interval < 0:
            raise ValueError("--interval must be positive and --task-interval not negative")
        worker.configure_signals()  # Ctrl-C / SIGTERM: finish the running task, then stop
        self.stdout.write(f"worker {worker.worker_id[:8]}: poller every {interval:g} s, tasks from "
                          f"{queue_name!r} (Ctrl-C to stop)")
        next_poll = 0.0
        while worker.running:
            close_old_connections()
            if time.monotonic() >= next_poll:
                flagged = pollers.poll_all()
                next_poll = time.monotonic() + interval
                if any(flagged.values()):
                    self._report(flagged)
            ran = run_ready_tasks(worker)
            close_old_connections()
            if not ran and worker.running:
                time.sleep(min(task_interval, max(0.0, next_poll - time.monotonic())))

    def _report(self, counts: dict):
        self.stdout.write(", ".join(f"{name} {value}" for name, value in counts.items()))
