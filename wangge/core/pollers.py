"""The worker's pollers: each app registers its own, core runs them (core imports no app).

An app's AppConfig.ready() calls `register("cases", poller.poll)`; `python -m wangge run_worker` calls
`poll_all(now)` once per round. A poller is `poll(now=None) -> dict` of counts (what it flagged, reminded…)
and claims each row it acts on with a conditional UPDATE, so several workers never do the same thing twice.
Pollers record what they did with the app's `Workflow.record()` (the timeline and audit rows).
"""
from typing import Callable

# name -> (poll, whether the worker prints its counts)
_POLLERS: dict[str, tuple[Callable, bool]] = {}


def register(name: str, poll: Callable, *, report: bool = True) -> None:
    """Add (or replace, on a second ready()) the poller `name`; pollers run in the order they registered."""
    _POLLERS[name] = (poll, report)


def registered() -> list[str]:
    return list(_POLLERS)


def poll_all(now=None) -> dict:
    """One round of every registered poller; the counts of those that report, merged."""
    counts = {}
    for poll, report in list(_POLLERS.values()):
        found = poll(now)
        if report:
            counts.update(found)
    return counts
