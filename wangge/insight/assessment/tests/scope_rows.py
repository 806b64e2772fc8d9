"""Jurisdiction matrix rows (see wangge/core/tests/scope_matrix.py)."""
ROWS = []
FORBIDDEN = []
