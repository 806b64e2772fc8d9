"""考核 models (filled in by the assessment work)."""
