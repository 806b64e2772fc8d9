"""Mediation mobile (filled in by its own module)."""
urlpatterns = []
