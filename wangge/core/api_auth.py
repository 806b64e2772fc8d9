"""API authentication: `Authorization: Bearer <token>` or the page session (with CSRF)."""
import time
from datetime import timedelta

from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone
from ninja.security import HttpBearer, django_auth

from wangge.core.models import ApiToken, User, hash_token

# Writing last_used_at on every request would turn each read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=5)
# A machine client sends many requests a second; looking its token up each time
# costs more than most answers. A revoked token or deactivated user stops working
# within this many seconds in every process (at once in the process that revoked it).
TOKEN_CACHE_SECONDS = 5.0
_token_cache: dict[str, tuple[float, object, object]] = {}


def forget_cached_tokens() -> None:
    _token_cache.clear()


def _load(key_hash: str):
    try:
        api_token = ApiToken.objects.select_related("user__region", "user__department__region").get(
            key_hash=key_hash, revoked_at__isnull=True
        )
    except ApiToken.DoesNotExist:
        return None
    return api_token if api_token.user.is_active else None


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        if not token:
            return None
        key_hash = hash_token(token)
        now = time.monotonic()
        cached = _token_cache.get(key_hash)
        if cached and cached[0] > now:
            api_token = cached[1]
        else:
            api_token = _load(key_hash)
            if api_token is None:
                _token_cache.pop(key_hash, None)
                return None
            _token_cache[key_hash] = (now + TOKEN_CACHE_SECONDS, api_token, None)
        stamp = timezone.now()
        if api_token.last_used_at is None or stamp - api_token.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=stamp)
            api_token.last_used_at = stamp
        request.user = api_token.user
        return api_token.user


API_AUTH = [BearerToken(), django_auth]


@receiver(post_save, sender=User)
def _user_changed(sender, instance, **kwargs):
    # A deactivated user or changed role must not live on in this process's cache.
    forget_cached_tokens()
