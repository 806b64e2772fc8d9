"""Jurisdiction matrix rows for the registry's pages (see wangge/core/tests/scope_matrix.py).

They reuse the API rows' world (`scope_rows._registry`: base data in the home grid, a grid
of the other street and a second district) and its FORBIDDEN hooks, which hold for every
row: no person, organisation, place or plate outside the user's area, and no special group
for roles that may not see them. `scope_rows` appends PAGE_ROWS to its ROWS, so the matrix
collects them with the API's; helpers are imported late because of that.
"""
from wangge.core.roles import OPERATORS, Role
from wangge.core.tests.scope_matrix import Row

READERS = (Role.ADMINISTRATOR, *OPERATORS, Role.GRID_WORKER)  # registry.view
KEEPERS = (Role.ADMINISTRATOR, *OPERATORS, Role.GRID_WORKER)  # registry.edit
VISITORS = (Role.GRID_WORKER, Role.COMMUNITY_OPERATOR)  # registry.visit
IMPORTERS = (Role.ADMINISTRATOR, *OPERATORS)  # registry.import


def _setup(world):
    from wangge.registry.tests.scope_rows import _registry

    return _registry(world)


def _records(model_name):
    def objects(world, user):
        from wangge.registry import models
        from wangge.registry.tests.scope_rows import _records as records

        return records(getattr(models, model_name))(world, user)
    return objects


def _no_plain_numbers(response, ctx):
    from wangge.registry.tests.scope_rows import _no_plain_numbers as check

    check(response, ctx)


def _away_tail():
    from wangge.testing import make_id_number

    return make_id_number(seq=50)[-4:]


def _row(name, url, **kwargs):
    return Row(name, url, setup=_setup, check=kwargs.pop("check", _no_plain_numbers), **kwargs)


PAGE_ROWS = [
    _row("page: buildings", "/buildings/?q=栋", roles=READERS),
    _row("page: grid buildings", "/grids/{code}/buildings/", levels=("grid",), roles=READERS),
    _row("page: building", "/buildings/{id}/", objects=_records("Building"), roles=READERS),
    _row("page: house", "/houses/{id}/", objects=_records("House"), roles=READERS),
    _row("page: person", "/people/{id}/", objects=_records("Person"), roles=READERS),
    _row("page: people", "/people/", roles=READERS),
    _row("page: people by kind", "/people/?kind=floating", roles=READERS),
    _row("page: people by care group", "/people/?tag=elder_living_alone", roles=READERS),
    _row("page: people in a grid", "/people/?area={code}", levels=("grid",), roles=READERS),
    _row("page: search by name", "/people/search/?q=户主", roles=READERS),
    _row("page: search by ID tail", f"/people/search/?q={_away_tail()}", roles=READERS),
    _row("page: search by address", "/people/search/?q=幸福路", roles=READERS),
    _row("page: population", "/regions/{code}/population/", roles=READERS),
    _row("page: visits due", "/visits/due/", roles=KEEPERS),
    _row("page: visits due in a grid", "/visits/due/?area={code}", roles=KEEPERS, levels=("grid",)),
    _row("page: add household", "/buildings/{id}/households/new/", roles=KEEPERS, objects=_records("Building")),
    _row("page: move person", "/people/{id}/move/", roles=KEEPERS, objects=_records("Person")),
    _row("page: log a visit", "/people/{id}/visits/new/", roles=VISITORS, objects=_records("Person")),
    _row("page: import", "/people/import/", roles=IMPORTERS),
    _row("page: organisations", "/organisations/", roles=READERS),
    _row("page: organisations by kind and name", "/organisations/?kind=non_public_economic&q=科技", roles=READERS),
    _row("page: organisation", "/organisations/{id}/", objects=_records("Organisation"), roles=READERS),
    _row("page: add organisation", "/organisations/new/", roles=KEEPERS),
    _row("page: places", "/places/", roles=READERS),
    _row("page: places by kind", "/places/?kind=school", roles=READERS),
    _row("page: place", "/places/{id}/", objects=_records("Place"), roles=READERS),
    _row("page: add place", "/places/new/", roles=KEEPERS),
    _row("page: vehicles", "/vehicles/", roles=READERS),
    _row("page: vehicles by plate", "/vehicles/?q=川A", roles=READERS),
    _row("page: register a vehicle", "/people/{id}/vehicles/new/", roles=KEEPERS, objects=_records("Person")),
    _row("page: edit person", "/people/{id}/edit/", roles=KEEPERS, objects=_records("Person")),
    _row("page: remove a group", "/person-tags/{id}/remove/", roles=KEEPERS, objects=_records("PersonTag")),
]
