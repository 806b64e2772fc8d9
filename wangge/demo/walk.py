"""Walking a demo record (a case, a dispute) through its workflow table, step by step, up to `now`.

The demo builds rows in memory and writes them in bulk, so it replays the table itself: a step the table does not
have, or a role it does not allow, is a bug in the plan (KeyError, AssertionError), never a demo row."""
from datetime import datetime, time, timedelta
from types import SimpleNamespace

from wangge.core.workdays import local_zone


class Later(Exception):
    """The next step would fall after `now` (or the record stalls): it stays where it is."""


def report_moment(rng, now, days, weights, minutes):
    """When a record came in: a day drawn from `days` by `weights`, a minute of it drawn from the triangle `minutes`
    (earliest, latest, likeliest minute of the day; None: any minute, around the clock) and a second; drawn again
    until it is not after `now`."""
    while True:
        day = rng.choices(days, weights=weights)[0]
        minute = rng.randrange(24 * 60) if minutes is None else int(rng.triangular(*minutes))
        at = datetime.combine(day, time(minute // 60, minute % 60, rng.randrange(60)), tzinfo=local_zone())
        if at <= now:
            return at


class Run:
    """One record being walked through the workflow: its row (attribute names as stored) and its timeline.
    A subclass names its table: `transitions`, {(state, action): transition with `roles` and `to_state`}."""

    transitions: dict = {}

    def __init__(self, row, now):
        self.row = row
        self.events = []
        self.now = now
        self.last = row.reported_at

    def when(self, at):
        """The time of the next step: not before the last one; Later if it is after now."""
        at = max(at, self.last + timedelta(minutes=1))
        if at > self.now:
            raise Later
        return at

    def step(self, actor, action, at, note="", details=None, actor_name=None):
        """Record `action` at `at` (from `when`), moving the state as the workflow table says; `actor` None is the
        citizen (or `actor_name`)."""
        transition = self.transitions[(self.row.state, action)]  # KeyError: the plan took a step the table has not
        if actor is not None and actor.role not in transition.roles:
            raise AssertionError(f"{actor.role} may not {action}")
        from_state = self.row.state
        if transition.to_state is not None:
            self.row.state = transition.to_state
        self.row.version += 1
        self.last = at
        self.events.append(SimpleNamespace(
            at=at, actor_id=actor.pk if actor else None,
            actor_name=actor_name or (actor.username if actor else "citizen"), action=action,
            from_state=from_state, to_state=self.row.state, note=note, details=details or {}))
