import pytest


@pytest.fixture
def registry(world):
    from wangge.testing import build_registry

    return build_registry(world)


@pytest.fixture
def registry_home(registry):
    return registry["home"]


@pytest.fixture
def sensing(world, registry):
    from wangge.sensing.testing import build_sensing

    return build_sensing(world, registry)
