"""Background tasks of the cases app (django.tasks, run by `python -m wangge run_worker`).

Text messages are delivered by `wangge.core.notify.deliver_sms`; the deadlines poller runs on the worker's
own clock, and can also be queued as a task (say, from an administrator's button or another scheduler).
"""
from django_tasks import task

from wangge.cases import poller


@task()
def poll_deadlines() -> dict:
    """One pass of the deadlines poller (see poller.py)."""
    return poller.poll()
