"""Mediation API: warnings."""
from ninja import Router

router = Router(tags=["mediation"])
