"""Jurisdiction-matrix rows: mediation pages."""
ROWS = []
