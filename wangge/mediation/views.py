"""Staff pages for disputes (矛盾纠纷): the ledger (一本账), registering a dispute, a court's referrals (诉前移送)
and the dispute page with its action forms.

The pages live in views_ledger.py (the ledger), views_register.py (登记, party search, 转为纠纷 from a case),
views_referrals.py (the court's pages) and views_dispute.py (the dispute page and its actions); this module
keeps what they share.

Every read goes through `Dispute.objects.visible_to(request.user)`, so a dispute outside the user's area
answers 404. Every change goes through `wangge.mediation.services`; a refusal (workflow, stale version, bad
input) changes nothing and is shown with its reason.
"""
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from wangge.core.personal import reveal_key, take_revealed
from wangge.core.refusals import (
    form_page,
    posted,
    require,  # noqa: F401 (the pages' one permission check, re-exported)
    take_posted_action,
)
from wangge.core.staff import timeline_rows
from wangge.mediation import services, workflow
from wangge.mediation.forms import PartyRows, party_choice_labels
from wangge.mediation.models import Dispute, DisputeEvent, Party

PAGE_SIZE = 30


def disputes_for(user):
    """The user's disputes with what the pages show; the only way the pages read disputes."""
    return Dispute.objects.visible_to(user).select_related("region", "grid", "committee", "mediator")


def dispute_form_page(request, form_class, operation, done_message: str, template: str, *, can_search: bool):
    """A page whose form and party rows make one dispute (登记, 诉前移送) through `operation(user, parties=…,
    **form.operation_fields())`. Done, a message naming its number (`done_message`) and the dispute's page;
    otherwise the page again at 400, each refusal at its input or party row."""
    user = request.user
    form, parties = form_class(user, *posted(request, files=True)), PartyRows(*posted(request))
    node = user.scope_node

    def show(status):
        return render(request, template, {
            "form": form, "parties": parties, "party_rows": parties.for_page(), "map_code": node.code if node else "",
            "can_search": can_search, **party_choice_labels()}, status=status)

    def done(dispute):
        messages.success(request, done_message % {"number": dispute.number})
        return redirect(reverse("mediation:detail", args=[dispute.pk]))

    return form_page(request, form, lambda data: operation(user, parties=parties.data, **form.operation_fields()),
                     done, show, parties)


def act_page(request, pk, action: str, load, read_params, done, show_refused):
    """An action on a dispute posted from a page (the dispute page, the phone card), through services.do_act with
    the posted version and `read_params()`. `load(user, pk)` reads the dispute (outside the user's area a 404). Done,
    `done(fresh)` answers; refused, the dispute is read again as it now is and `show_refused(dispute, refused)`
    shows the refusal beside the form, at the refusal's status."""
    dispute = load(request.user, pk)
    fresh, refused = take_posted_action(request, workflow.FLOW, dispute, action, services.do_act, read_params)
    if refused:
        return show_refused(load(request.user, pk), refused)
    return done(fresh)


def timeline(viewer, dispute) -> list[dict]:
    """The dispute's events, oldest first, each with the actor as the viewer may know them."""
    return timeline_rows(viewer, DisputeEvent.objects.filter(dispute=dispute))


def mediator_labels(viewer, mediators) -> dict:
    """Mediator id -> the name the viewer may know: a mediator with an account is staff, named only to those
    who may see that account (else "调解员"); a pool member without an account is named."""
    from wangge.core.models import User

    mediators = [m for m in mediators if m is not None]
    accounts = [m.user_id for m in mediators if m.user_id]
    visible = set(User.objects.visible_to(viewer).filter(pk__in=accounts).values_list("pk", flat=True))
    return {m.pk: m.name if not m.user_id or m.user_id in visible or m.user_id == viewer.pk else _("Mediator")
            for m in mediators}


def label_mediators(viewer, disputes) -> list:
    """Set `mediator_label` on each dispute (and return them as a list) for the lists."""
    disputes = list(disputes)
    labels = mediator_labels(viewer, [d.mediator for d in disputes])
    for d in disputes:
        d.mediator_label = labels.get(d.mediator_id, "")
    return disputes


# --- a party's number revealed by a POST, shown once on the page it redirects to (core.personal) -----------

def revealed_values(request, dispute, fields) -> dict:
    """{party id: {field: value}} held for this page view by the reveal that redirected here."""
    found = {}
    for party_pk in Party.objects.filter(dispute=dispute).values_list("pk", flat=True):
        for field in fields:
            value = take_revealed(request, reveal_key("mediation.party", party_pk, field))
            if value is not None:
                found.setdefault(party_pk, {})[field] = value
    return found

