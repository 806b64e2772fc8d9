"""Mediation API: api."""
from ninja import Router

router = Router(tags=["mediation"])
