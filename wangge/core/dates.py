"""Dates typed into a list's filters: an ISO date (YYYY-MM-DD) or nothing. A filter that is not a date cannot
apply, so lists leave it out rather than refuse the page (the API refuses it by name instead)."""
from datetime import date


def iso_date_or_none(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        return None
