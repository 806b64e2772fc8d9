"""Who hears about an appeal, decided after the commit from the event as stored.

- submit → the operators of the assessing level (the scheme's region) [inbox];
- accept / reject → whoever appealed [inbox].
"""
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from wangge.core.models import User
from wangge.core.notify import notify
from wangge.core.roles import OPERATORS
from wangge.insight.assessment.models import AppealEvent


def appeal_event(event_id: int) -> None:
    event = AppealEvent.objects.select_related("appeal__score__period__scheme", "appeal__submitted_by").filter(
        pk=event_id).first()
    if event is None:
        return
    appeal = event.appeal
    with translation.override(settings.LANGUAGE_CODE):
        url = reverse("assessment:appeal", args=[appeal.pk])
        subject = f"appeal:{appeal.pk}"
        if event.action == "submit":
            region_id = appeal.score.period.scheme.region_id
            assessors = User.objects.filter(is_active=True, region_id=region_id, role__in=OPERATORS).order_by("pk")
            notify(list(assessors), kind="appeal_submitted",
                   title=lambda: _("Appeal %(number)s on %(score)s") % {"number": appeal.number,
                                                                       "score": appeal.score.label},
                   body=appeal.reason[:200], url=url, subject=subject)
        elif event.action in ("accept", "reject") and appeal.submitted_by_id:
            notify([appeal.submitted_by], kind="appeal_decided",
                   title=lambda: _("Your appeal %(number)s: %(state)s") % {"number": appeal.number,
                                                                           "state": appeal.get_state_display()},
                   body=event.note, url=url, subject=subject)
