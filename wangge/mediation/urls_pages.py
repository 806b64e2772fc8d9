"""Mediation pages (filled in by its own module)."""
urlpatterns = []
