"""Jurisdiction-matrix rows: mediation stats."""
ROWS = []
