"""API authentication: `Authorization: Bearer <token>` or the page session (with CSRF)."""
from datetime import timedelta

from django.utils import timezone
from ninja.security import HttpBearer, django_auth

from wangge.core.models import ApiToken, hash_token

# Writing last_used_at on every request would turn each read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=5)


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        if not token:
            return None
        try:
            api_token = ApiToken.objects.select_related("user__region", "user__department__region").get(
                key_hash=hash_token(token), revoked_at__isnull=True
            )
        except ApiToken.DoesNotExist:
            return None
        user = api_token.user
        if not user.is_active:
            return None
        now = timezone.now()
        if api_token.last_used_at is None or now - api_token.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
        request.user = user
        return user


API_AUTH = [BearerToken(), django_auth]
