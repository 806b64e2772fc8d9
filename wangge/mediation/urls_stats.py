"""Mediation stats (filled in by its own module)."""
urlpatterns = []
