"""GET/POST /api/v1/locate."""
from ninja import Router

router = Router(tags=["locate"])
