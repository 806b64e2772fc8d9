"""The staff shell: the main menu grouped by domain, the grid worker's work home and the page banners.

`core` imports no app, so the apps fill the shell themselves: each app's `shell.py` (imported by
`CoreConfig.ready()`, the way the admin finds `admin.py`) registers its menu entries, its panels on the work
home and its banners. A new app adds a menu entry in one line:

    shell.register(shell.Item("sensing", _("Alerts"), "sensing:alerts", shell.perm("sensing.view")))

An entry is shown only to a user its `allowed(user)` accepts; it must say what the page itself checks, so no
menu link answers 403 (a test walks every role through every link). A group is shown only when it has an
entry for the user.
"""
from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wangge.core.roles import can


@dataclass(frozen=True)
class Group:
    key: str
    label: str


# The domains, in menu order. The last four are for the apps to come; they stay hidden until one registers.
GROUPS = (
    Group("base", _("Base data")),
    Group("cases", _("Cases")),
    Group("disputes", _("Disputes")),
    Group("sensing", _("Sensing")),
    Group("insight", _("Insight")),
    Group("community", pgettext_lazy("menu group", "Community")),  # 共治, not the region level 社区
    Group("services", _("Services")),
)


@dataclass(frozen=True)
class Item:
    group: str
    label: str
    # A url name ("cases:queue"), or `user -> url` for a link that depends on the user (their own grid).
    url: str | Callable
    allowed: Callable
    # Other views (namespaced url names) that count as this entry's page, e.g. a case under the queue.
    also: tuple = ()
    # An `id` for the link, for tests and skip links.
    html_id: str = ""
    # Also a big button on the grid worker's work home, at this place (1 first); 0: not there.
    quick: int = 0

    def href(self, user) -> str:
        return self.url(user) if callable(self.url) else reverse(self.url)

    def is_current(self, view_name: str) -> bool:
        own = None if callable(self.url) else self.url
        return bool(view_name) and view_name in (own, *self.also)


@dataclass(frozen=True)
class Panel:
    """A block of the grid worker's work home: `context(user)` gives the template its context, or None to
    leave the block out."""
    key: str
    template: str
    context: Callable
    order: int = 50


@dataclass
class _Registry:
    items: list = field(default_factory=list)
    panels: list = field(default_factory=list)
    banners: list = field(default_factory=list)
    landings: dict = field(default_factory=dict)  # role -> (url name, allowed(user))


_registry = _Registry()


def perm(permission: str, *, unless_role: str | None = None) -> Callable:
    """`allowed` for an entry whose page checks `can(user, permission)` (and refuses `unless_role`)."""
    def allowed(user) -> bool:
        return can(user, permission) and (unless_role is None or user.role != unless_role)
    return allowed


def register(*items: Item) -> None:
    known = {g.key for g in GROUPS}
    for item in items:
        if item.group not in known:
            raise ValueError(f"unknown menu group {item.group!r}; add it to core.shell.GROUPS")
        _registry.items.append(item)


def register_panel(panel: Panel) -> None:
    _registry.panels.append(panel)


def register_banner(template: str, shown: Callable) -> None:
    """A note at the top of every staff page (and the log-in page) while `shown()` holds."""
    _registry.banners.append((template, shown))


def register_landing(role: str, url_name: str, allowed: Callable) -> None:
    """Where a role lands after signing in (the home page sends them there): their work, not the map. The map
    stays one tap away at /map/ ("Map" in the menu)."""
    _registry.landings[role] = (url_name, allowed)


def landing_for(user) -> str | None:
    """The url a user lands on, if their role has one they may use; None: the map home."""
    url_name, allowed = _registry.landings.get(getattr(user, "role", None), (None, None))
    return reverse(url_name) if url_name and allowed(user) else None


def menu_for(user, view_name: str = "") -> list[dict]:
    """The groups the user may use, each with its entries: [{key, label, current, items: [{label, href,
    current, id}]}], in GROUPS order and in the order the entries were registered."""
    groups = []
    for group in GROUPS:
        entries = [_entry(item, user, view_name) for item in _registry.items
                   if item.group == group.key and item.allowed(user)]
        if entries:
            groups.append({"key": group.key, "label": group.label, "items": entries,
                           "current": any(e["current"] for e in entries)})
    return groups


def quick_items(user) -> list[dict]:
    chosen = sorted((item for item in _registry.items if item.quick), key=lambda item: item.quick)
    return [_entry(item, user, "") for item in chosen if item.allowed(user)]


def panels_for(user) -> list[dict]:
    shown = []
    for panel in sorted(_registry.panels, key=lambda p: p.order):
        context = panel.context(user)
        if context is not None:
            shown.append({"key": panel.key, "template": panel.template, "context": context})
    return shown


def banners() -> list[str]:
    return [template for template, shown in _registry.banners if shown()]


def _entry(item: Item, user, view_name: str) -> dict:
    return {"label": item.label, "href": item.href(user), "current": item.is_current(view_name),
            "id": item.html_id}
