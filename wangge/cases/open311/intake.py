"""Open311 intake: a citizen's report brought by an app, which signs with its api_key (an ApiToken).

The case is a public report (services.do_report_public, channel 其他系统); the app's account is recorded
in an audit row of its own, in the same transaction, so who brought each request stays traceable.
"""
from django.db import transaction
from django.utils import timezone

from wangge.cases import services
from wangge.cases.models import Case, Category, Channel
from wangge.core import audit
from wangge.core.models import ApiToken, hash_token
from wangge.core.roles import can


def app_token(api_key: str) -> ApiToken | None:
    """The live token behind `api_key` whose account may report cases, else None."""
    if not api_key:
        return None
    token = (ApiToken.objects.select_related("user").filter(key_hash=hash_token(api_key), revoked_at__isnull=True)
             .first())
    if token is None or not token.user.is_active or not can(token.user, "cases.report"):
        return None
    return token


@transaction.atomic
def do_open311_report(token: ApiToken, *, category: Category, title: str, description: str, lng: float,
                      lat: float, address: str = "", reporter_name: str = "", reporter_phone: str = "",
                      now=None) -> Case:
    """上报 through Open311: the public intake, then the app's audit row and its token's last use."""
    now = now or timezone.now()
    case = services.do_report_public(
        category=category, title=title, description=description, lng=lng, lat=lat, crs="wgs84",
        address=address, reporter_name=reporter_name, reporter_phone=reporter_phone,
        anonymous=not (reporter_name or reporter_phone), channel=Channel.OTHER_SYSTEM, now=now)
    audit.record(token.user, "cases.open311_report", case, api_token=token.prefix,
                 service_code=category.full_code, tracking_code=case.tracking_code)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return case
