from wangge.core.roles import Role
from wangge.core.tests.scope_matrix import Row

ROWS = [
    Row("api: me", "/api/v1/me"),
    Row("api: audit log", "/api/v1/audit?limit=1000", roles=(Role.ADMINISTRATOR,), refused="empty"),
]
ROWS.append(Row("api: staff list", "/api/v1/staff?limit=1000",
                roles=(Role.ADMINISTRATOR, Role.DISTRICT_OPERATOR, Role.STREET_OPERATOR, Role.COMMUNITY_OPERATOR)))


def _messages(world):
    """One message for every user, naming its recipient, so a leak would show another user's name."""
    from wangge.core.models import Notification, User

    for user in User.objects.all():
        Notification.objects.get_or_create(recipient=user, kind="matrix",
                                           defaults={"title": f"给{user.username}的消息", "url": "/inbox/"})


def _only_own_messages(response, ctx):
    from wangge.core.models import Notification

    own = set(Notification.objects.filter(recipient=ctx.user).values_list("pk", flat=True))
    assert own, "the setup gives every user a message"
    if response.get("Content-Type", "").startswith("application/json"):
        assert {item["id"] for item in response.json()["items"]} == own
    else:
        assert f"给{ctx.user.username}的消息" in response.content.decode()


ROWS.append(Row("api: my notifications", "/api/v1/notifications?limit=1000", setup=_messages,
                check=_only_own_messages))
ROWS.append(Row("page: inbox", "/inbox/", setup=_messages, check=_only_own_messages))
