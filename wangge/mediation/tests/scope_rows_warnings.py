"""Jurisdiction-matrix rows: mediation warnings."""
ROWS = []
