"""API for the signed-in user and the audit log."""
from ninja import Router

router = Router(tags=["core"])
