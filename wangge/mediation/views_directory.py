"""调解组织与调解员名录: the committees and mediators of the user's area, and the pages that add, edit and
retire them. For those who keep the directory (`mediation.edit_committees`: the district operator for the
district, a street operator for their street); others get 403, and a committee or mediator outside the user's
area answers 404.

Every change is an operation in services_directory.py; a refusal is shown by the field it names and changes
nothing.
"""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wangge.core.personal import mask_phone
from wangge.core.refusals import form_page, posted
from wangge.core.scoping import get_visible_or_404
from wangge.core.services import NotAllowed, OperationError
from wangge.mediation import services_directory as directory
from wangge.mediation.forms_directory import CommitteeForm, MediatorForm
from wangge.mediation.models import OPEN_STATES, Committee, Mediator, Membership
from wangge.mediation.views import require


def _keeper(request):
    require(request.user, directory.PERMISSION)
    return request.user


@login_required
@require_GET
def directory_page(request):
    return _directory(request, _keeper(request))


def _directory(request, user, status=200):
    """Both lists, active first; retired rows stay listed (marked) for the record."""
    open_disputes = Count("disputes", filter=Q(disputes__state__in=OPEN_STATES), distinct=True)
    committees = (Committee.objects.visible_to(user).select_related("region")
                  .annotate(open_disputes=open_disputes, members=Count("memberships", distinct=True))
                  .order_by("-active", "level", "name", "id"))
    mediators = list(Mediator.objects.visible_to(user).select_related("region")
                     .prefetch_related(Prefetch("memberships", Membership.objects.select_related("committee")))
                     .order_by("-active", "name", "id"))
    return render(request, "mediation/directory_list.html", {"committees": committees, "mediators": mediators},
                  status=status)


def _form_page(request, form_class, template, *, save, obj=None, done=None, **context):
    """A directory form page: GET shows the form (filled from `obj` when editing); POST hands the form's values
    to `save(values)`, an operation, and goes back to the lists, or shows its refusal by field with 400."""
    form = form_class(*posted(request), user=request.user, obj=obj)

    def saved(record):
        messages.success(request, done(record) if done else _("Saved."))
        return redirect("mediation:directory")

    return form_page(request, form, lambda _values: save(form.values()), saved,
                     lambda status: render(request, template, {"form": form, "record": obj, **context}, status=status))


@login_required
@require_http_methods(["GET", "POST"])
def committee_new(request):
    user = _keeper(request)
    return _form_page(request, CommitteeForm, "mediation/directory_committee.html",
                      save=lambda values: directory.do_create_committee(user, **values),
                      done=lambda made: _("Committee added: %(name)s.") % {"name": made.name})


@login_required
@require_http_methods(["GET", "POST"])
def committee_edit(request, pk):
    user = _keeper(request)
    committee = get_visible_or_404(Committee.objects.select_related("region"), user, pk=pk)
    return _form_page(request, CommitteeForm, "mediation/directory_committee.html", obj=committee,
                      save=lambda values: directory.do_update_committee(user, committee, **values),
                      retire_url=reverse("mediation:committee_retire", args=[committee.pk]))


@login_required
@require_POST
def committee_retire(request, pk):
    user = _keeper(request)
    committee = get_visible_or_404(Committee, user, pk=pk)
    done = _("Committee retired: %(name)s. It is no longer offered for new disputes.") % {"name": committee.name}
    return _retire(request, user, lambda: directory.do_retire_committee(user, committee), done)


@login_required
@require_http_methods(["GET", "POST"])
def mediator_new(request):
    user = _keeper(request)
    return _form_page(request, MediatorForm, "mediation/directory_mediator.html",
                      save=lambda values: directory.do_create_mediator(user, **values),
                      done=lambda made: _("Mediator added: %(name)s.") % {"name": made.name})


@login_required
@require_http_methods(["GET", "POST"])
def mediator_edit(request, pk):
    user = _keeper(request)
    mediator = get_visible_or_404(Mediator.objects.select_related("region"), user, pk=pk)
    return _form_page(request, MediatorForm, "mediation/directory_mediator.html", obj=mediator,
                      save=lambda values: directory.do_update_mediator(user, mediator, **values),
                      retire_url=reverse("mediation:mediator_retire", args=[mediator.pk]),
                      phone_masked=mask_phone(mediator.phone))


@login_required
@require_POST
def mediator_retire(request, pk):
    user = _keeper(request)
    mediator = get_visible_or_404(Mediator, user, pk=pk)
    done = _("Mediator retired: %(name)s. They are no longer offered for assignment.") % {"name": mediator.name}
    return _retire(request, user, lambda: directory.do_retire_mediator(user, mediator), done)


def _retire(request, user, call, done: str):
    """Retire, then back to the lists; a refusal (already retired) is shown there with 409."""
    try:
        call()
    except NotAllowed:
        raise PermissionDenied
    except OperationError as exc:
        messages.error(request, exc.message)
        return _directory(request, user, status=409)
    messages.success(request, done)
    return redirect("mediation:directory")
