"""Operations on accounts. Each takes the acting user, runs atomically and writes an audit row."""
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from wangge.core import audit
from wangge.core.models import ApiToken, User, hash_token
from wangge.core.roles import can


class OperationError(Exception):
    """A rule refused the operation; `field` names the input at fault, if any.

    `reason` says what kind of refusal it is when that is more than bad input (wangge/core/refusals.py turns
    it into the HTTP status): "area" (not in the actor's area: as if it did not exist), "role", "state",
    "guard", "action" (the workflow table) or "version" (someone else changed it first)."""

    reason: str | None = None

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class FieldErrors(OperationError):
    """Several fields refused at once: {field: message}."""

    def __init__(self, errors: dict[str, str]):
        first = next(iter(errors))
        super().__init__(errors[first], field=first)
        self.errors = errors


class NotAllowed(OperationError, PermissionDenied):
    """The acting user's role does not carry the permission: 403 for pages and the API alike (a PermissionDenied
    too, so a page that does not catch refusals still answers 403)."""

    status = 403


def text_param(params: dict, name: str, label, *, required: bool = True, limit: int = 5000) -> str:
    """An operation's text input, stripped: refused naming the field when required and empty, or too long."""
    value = str(params.get(name) or "").strip()
    if required and not value:
        raise OperationError(_("Please fill in the %(label)s") % {"label": label}, field=name)
    if len(value) > limit:
        raise OperationError(_("The %(label)s is too long") % {"label": label}, field=name)
    return value


def require(user, permission: str) -> None:
    """The one permission check of operations: refuse unless `user`'s role carries `permission`."""
    if not can(user, permission):
        raise NotAllowed(_("You are not allowed to do this."))


class NotInArea(OperationError):
    """The record named is outside the actor's area: answered exactly like one that does not exist (404)."""

    reason = "area"


@transaction.atomic
def do_create_token(actor: User | None, user: User, name: str = "") -> tuple[ApiToken, str]:
    """Issue an API token for `user`. The raw key is returned once and never stored."""
    if not user.is_active:
        raise OperationError(_("user is inactive"), field="username")
    raw = ApiToken.new_raw_key()
    token = ApiToken.objects.create(user=user, name=name, prefix=raw[:10], key_hash=hash_token(raw))
    audit.record(actor, "core.create_token", token, user=user.username, name=name)
    return token, raw


@transaction.atomic
def do_revoke_token(actor: User | None, token: ApiToken) -> None:
    from django.utils import timezone

    from wangge.core.api_auth import forget_cached_tokens

    updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    forget_cached_tokens()
    if updated:
        audit.record(actor, "core.revoke_token", token, user=token.user.username)


@transaction.atomic
def do_set_language(actor: User, language: str) -> bool:
    """The language `actor`'s messages are written in (inbox and texts), as they chose it on a page. True when
    it changed (only a change is audited: the switch is pressed often)."""
    if language not in dict(settings.LANGUAGES):
        raise OperationError(_("Unknown language %(code)s") % {"code": repr(language)}, field="language")
    changed = User.objects.filter(pk=actor.pk).exclude(language=language).update(language=language)
    actor.language = language
    if changed:
        audit.record(actor, "core.set_language", actor, language=language)
    return bool(changed)


REASON_MAX = 200  # characters of a reason for viewing or exporting personal data in full

# Which encrypted fields of which models may be revealed, by "app_label.model".
REVEALABLE = {
    "areas.gridteammember": {"phone"},
    "core.user": {"phone"},
    "mediation.party": {"id_number", "phone"},
    "mediation.mediator": {"phone"},
    "registry.person": {"id_number", "phone"},
    "sensing.card": {"number"},  # masked everywhere; in full to match a card in hand
}
# The permission a reveal needs beyond seeing the record, by "app_label.model": a card's number is for those who
# manage cards.
REVEAL_PERMISSION = {"sensing.card": "sensing.cards"}


def revealable_model(label: str):
    from django.apps import apps

    if label not in REVEALABLE:
        raise OperationError(_("There is no personal value to reveal on %(object)s") % {"object": repr(label)},
                             field="object")
    return apps.get_model(label)


@transaction.atomic
def do_reveal(actor: User, obj, field: str, reason: str) -> str:
    """Show one personal value unmasked. Needs a reason; always logged with who and why."""
    label = obj._meta.label_lower
    if field not in REVEALABLE.get(label, ()):
        raise OperationError(_("%(field)s cannot be revealed") % {"field": repr(field)}, field="field")
    if label in REVEAL_PERMISSION:
        require(actor, REVEAL_PERMISSION[label])
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise OperationError(_("give a reason for viewing"), field="reason")
    if len(reason) > REASON_MAX:  # every door to a reveal (pages, the API) is held here, before the audit row
        raise OperationError(_("The reason is too long (at most %(limit)s characters)") % {"limit": REASON_MAX},
                             field="reason")
    audit.record(actor, "core.reveal", obj, field=field, reason=reason)
    return getattr(obj, field)
