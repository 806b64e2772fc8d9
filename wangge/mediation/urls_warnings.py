"""Mediation warnings (filled in by its own module)."""
urlpatterns = []
