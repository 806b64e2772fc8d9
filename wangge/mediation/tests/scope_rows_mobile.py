"""Jurisdiction-matrix rows: mediation mobile."""
ROWS = []
