"""The demo district's assessment: the default schemes (one per target type) at the district."""


def load() -> int:
    """Create the default schemes at the demo district (as the system), once; answers how many were made."""
    from wangge.demo.services import demo_district
    from wangge.insight.assessment.defaults import create_default_schemes

    district = demo_district()
    return len(create_default_schemes(None, district)) if district is not None else 0
