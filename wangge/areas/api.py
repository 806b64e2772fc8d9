"""API for regions, grids and locate."""
from ninja import Router

router = Router(tags=["areas"])
