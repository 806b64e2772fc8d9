"""Access cards from a person's page: issue (发卡), suspend (停用), resume (恢复), report lost (挂失), revoke (注销)
and replace (补卡). Each posts one operation of services.py and comes back to the person's cards block.
查看完整卡号: a card manager sees one card's number in full, for a reason (core's do_reveal writes the audit row);
the number is held for the one page view the reveal redirects to."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.core.personal import keep_revealed, reveal_key
from wangge.core.refusals import page_status
from wangge.core.scoping import get_visible_or_404
from wangge.core.services import OperationError, do_reveal, require
from wangge.sensing import services
from wangge.sensing.cards import mask_card
from wangge.sensing.models import Card

ACTIONS = {*services.CARD_MOVES, "replace"}


def _back(person_id) -> str:
    return reverse("person", args=[person_id]) + "#cards"


def _refused(request, exc, person_id):
    """The reason, at the status the API gives the same refusal (core/refusals.py), with the way back to the
    person's cards; nothing was changed."""
    return render(request, "sensing/card_refused.html", {"reason": exc.message, "back": _back(person_id)},
                  status=page_status(exc))


@login_required
@require_POST
def issue(request, person_pk):
    from wangge.registry.models import Person

    require(request.user, "sensing.cards")
    person = get_visible_or_404(Person.objects.select_related("house"), request.user, pk=person_pk)
    try:
        card = services.do_issue_card(request.user, person, note=(request.POST.get("note") or "").strip())
    except OperationError as exc:
        return _refused(request, exc, person.pk)
    messages.success(request, _("Card %(number)s issued") % {"number": mask_card(card.number)})
    return redirect(_back(person.pk))


@login_required
@require_POST
def act(request, pk, action):
    require(request.user, "sensing.cards")
    if action not in ACTIONS:
        raise Http404
    card = get_visible_or_404(Card.objects.all(), request.user, pk=pk)
    note = (request.POST.get("note") or "").strip()
    try:
        if action == "replace":
            new = services.do_replace_card(request.user, card, note=note)
            messages.success(request, _("Card %(number)s issued") % {"number": mask_card(new.number)})
        else:
            services.do_card_action(request.user, card, action, note=note)
            messages.success(request, _("Card %(number)s: done") % {"number": mask_card(card.number)})
    except OperationError as exc:
        return _refused(request, exc, card.person_id)
    return redirect(_back(card.person_id))


@login_required
@require_POST
def reveal(request, pk):
    require(request.user, "sensing.cards")
    card = get_visible_or_404(Card.objects.all(), request.user, pk=pk)
    try:
        number = do_reveal(request.user, card, "number", request.POST.get("reason", ""))
    except OperationError as exc:
        return _refused(request, exc, card.person_id)
    # post/redirect/get: a refresh does not reveal again
    keep_revealed(request, reveal_key("sensing.card", card.pk, "number"), number)
    return redirect(_back(card.person_id))
