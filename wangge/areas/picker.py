"""The area filter of the work lists, as a tree walked one level at a time.

A flat list of every street, community and grid (about 700 in a district) is unusable on a phone and heavy on
every page. The picker shows the trail from the user's own area down to the chosen one (each step a link back
up) and the chosen area's children to go down into: at most a few dozen options at any level.

    picker = area_picker(user, chosen)     # chosen: a Region the user may see (get_visible_or_404), or None
    {% include "areas/_area_picker.html" with picker=picker name="area" query=query_without_area %}
"""
from wangge.areas.models import Level, Region

__all__ = ["area_picker"]


def area_picker(user, chosen: Region | None, *, deepest: str = Level.GRID) -> dict:
    """{trail: [Region from the top the user sees down to `chosen`], children: [Region], chosen: Region | None}.

    The top is the user's own area (everything for a user without one). Children stop at `deepest`."""
    node = user.scope_node
    trail = []
    if chosen is not None:
        chain = chosen.ancestors_and_self()
        below = next((i + 1 for i, region in enumerate(chain) if node is not None and region.pk == node.pk), 0)
        trail = chain[below:]
    parent = chosen if chosen is not None else node
    children = []
    if parent is None or LEVELS.index(parent.level) < LEVELS.index(deepest):
        children = list(Region.objects.visible_to(user).filter(parent=parent).order_by("code")
                        .only("code", "name", "level", "path"))
    return {"top": node, "trail": trail, "children": children, "chosen": chosen}


LEVELS = list(Level.values)
