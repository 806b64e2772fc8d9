"""One mapping from a refusal to an HTTP status, for the API and for pages alike.

An operation refuses by raising OperationError (wangge/core/services.py) or one of its kinds; the status says
which kind, the same on a page and in the API:

| refusal | status | API body |
|---|---|---|
| outside the actor's area (`reason` "area": WorkflowError, NotInArea) | 404 | `{"detail": "Not Found"}` |
| the role may not take this action (WorkflowError "role") | 403 | `{"detail", "code": "role"}` |
| a missing permission (`require`), or a refusal naming no input | 403 | `{"detail"}` |
| not in this state, refused by a guard, no such action (WorkflowError "state", "guard", "action") | 409 | `{…, code}` |
| someone changed the record first (ConflictError) | 409 | `{"detail", "code": "version"}` |
| bad input (an OperationError naming its field) | 422 | django-ninja's validation shape, at the field |

The API registers `install(api)` once (wangge/api.py): endpoints let refusals propagate. A page's action
view calls `take_posted_action()`, which answers a `Refused` (message, status, field, what was posted) that the
page renders with its own template at that status (outside the area raises Http404).
"""
import dataclasses

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from wangge.core.api_errors import field_error
from wangge.core.services import OperationError, require  # noqa: F401 (require: the one permission check)
from wangge.core.workflow import action_done_message

STATUS_BY_REASON = {"area": 404, "role": 403, "state": 409, "guard": 409, "action": 409, "version": 409}


def refusal_status(exc: OperationError) -> int:
    """The HTTP status of a refusal (see the table above)."""
    reason = getattr(exc, "reason", None)
    if reason in STATUS_BY_REASON:
        return STATUS_BY_REASON[reason]
    if exc.field in (None, "role"):
        return 403
    return 422


def page_status(exc: OperationError) -> int:
    """The status a page answers a refusal with; outside the area raises Http404 (as if it did not exist)."""
    status = refusal_status(exc)
    if status == 404:
        raise Http404
    return status


def posted_version(request) -> int:
    """The `version` a form posted (the record's version as the page showed it), or a refusal at that field."""
    version = (request.POST.get("version") or "").strip()
    if not version.isdigit():
        raise OperationError(_("The version is missing; reload and try again."), field="version")
    return int(version)


@dataclasses.dataclass
class Refused:
    """A refused action, for the page to show beside its form: nothing was changed."""

    message: str
    status: int
    field: str | None = None  # the input at fault (bad input only)
    values: dict = dataclasses.field(default_factory=dict)  # what was posted, to fill the form again


def take_posted_action(request, flow, record, action: str, operation, read_params=None,
                       param_names=None) -> tuple[object, Refused | None]:
    """Take `action` on `record` from a posted form: the posted `version`, the inputs `read_params()` reads (it may
    refuse too; by default the action's parameters as posted, stripped), then
    `operation(user, record, action, expected_version=…, **params)` (the app's do_act).
    `param_names`: the form's inputs when the action is not one row of the table (a page's two-step shortcut).

    Returns (the new row, None) with a success message queued, or (None, Refused)."""
    values = {name: request.POST.get(name, "") for name in (param_names or flow.params(action))}
    if read_params is None:
        def read_params():
            return {name: value.strip() for name, value in values.items()}
    try:
        version = posted_version(request)
        fresh = operation(request.user, record, action, expected_version=version, **read_params())
    except OperationError as exc:
        status = page_status(exc)
        return None, Refused(exc.message, status, exc.field if status == 422 else None, values)
    messages.success(request, action_done_message(fresh.number, flow.label(action)))
    return fresh, None


def run_form_operation(form, operation, *error_args):
    """A page's form that starts one operation: if the form is valid, `operation(form.cleaned_data)`; a refusal
    goes onto the form (`form.add_operation_error(exc, *error_args)`). The operation's result, or None when the
    form is invalid or the operation refused (then nothing was changed and the page answers 400)."""
    if not form.is_valid():
        return None
    try:
        return operation(form.cleaned_data)
    except OperationError as exc:
        form.add_operation_error(exc, *error_args)
        return None


def posted(request, files: bool = False) -> tuple:
    """The arguments that bind a page's form to what was posted: (POST,), or (POST, FILES), on a POST; () on a GET,
    for an unbound form."""
    if request.method != "POST":
        return ()
    return (request.POST, request.FILES) if files else (request.POST,)


def form_page(request, form, operation, done, show, *error_args):
    """A page whose one form starts one operation; `form` is bound to what was posted on a POST.

    GET answers `show(200)`. A POST runs `operation(form.cleaned_data)` through run_form_operation: its result goes
    to `done(result)`, the page's answer (a message and a redirect); an invalid form or a refusal answers
    `show(400)`, the errors on the form and nothing changed."""
    if request.method != "POST":
        return show(200)
    result = run_form_operation(form, operation, *error_args)
    return show(400) if result is None else done(result)


# --- the API ---------------------------------------------------------------------------------------

def _source(request) -> str:
    """Where the fields came from: a form (multipart or urlencoded) or a JSON body."""
    kind = request.META.get("CONTENT_TYPE", "")
    return "form" if kind.startswith(("multipart/form-data", "application/x-www-form-urlencoded")) else "body"


def install(api) -> None:
    """Register the refusal handlers on a NinjaAPI, once."""

    @api.exception_handler(OperationError)
    def refused(request, exc: OperationError):
        status = refusal_status(exc)
        if status == 404:
            return api.create_response(request, {"detail": "Not Found"}, status=404)
        if status == 422:
            return api.on_exception(request, field_error(_source(request), exc.field, exc.message))
        reason = getattr(exc, "reason", None)
        body = {"detail": exc.message, "code": reason} if reason else {"detail": exc.message}
        return api.create_response(request, body, status=status)

    @api.exception_handler(PermissionDenied)
    def forbidden(request, exc: PermissionDenied):
        return api.create_response(request, {"detail": str(exc) or _("You are not allowed to do this.")},
                                   status=403)
