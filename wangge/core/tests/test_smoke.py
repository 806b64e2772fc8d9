from wangge.areas.models import Region


def test_world_builds(world):
    assert Region.objects.grids().count() == 8
    assert world.users["grid_worker"].scope_node == world.grids[0]
