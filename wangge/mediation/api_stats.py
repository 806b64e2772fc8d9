"""Mediation API: stats."""
from ninja import Router

router = Router(tags=["mediation"])
