"""Jurisdiction-matrix rows: mediation api."""
ROWS = []
