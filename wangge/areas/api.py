"""API for regions, grids and locate."""
from ninja import Router

from wangge.areas.api_locate import router as locate_router

router = Router(tags=["areas"])
router.add_router("", locate_router)
