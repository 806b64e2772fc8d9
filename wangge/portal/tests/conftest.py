import pytest


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    """The report limit lives in the cache, which outlives a test: start each test with a clean count."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
