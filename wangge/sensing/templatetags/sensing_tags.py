"""Template tags of sensing: the access cards block on a person's page (registry/person.html includes it when
the reader may see sensing data)."""
from django import template

from wangge.core.personal import reveal_key, take_revealed
from wangge.core.roles import can
from wangge.sensing.cards import mask_card
from wangge.sensing.models import Card, CardState
from wangge.sensing.services import CARD_MOVES

register = template.Library()


@register.inclusion_tag("sensing/_person_cards.html", takes_context=True)
def person_cards(context, person):
    user = context["request"].user
    cards = list(Card.objects.visible_to(user).filter(person=person).select_related("house__building")
                 .order_by("-issued_at", "-id"))
    manage = can(user, "sensing.cards")
    for card in cards:
        card.masked = mask_card(card.number)
        held = reveal_key("sensing.card", card.pk, "number")
        card.revealed = take_revealed(context["request"], held) if manage else None
        card.moves = [action for action, (allowed, _after) in CARD_MOVES.items() if card.state in allowed] \
            if manage else []
        card.replaceable = manage and card.state not in (CardState.REPLACED, CardState.REVOKED)
    has_active = any(c.state == CardState.ACTIVE and c.house_id == person.house_id for c in cards)
    return {"request": context["request"], "person": person, "cards": cards, "manage": manage,
            "can_issue": manage and person.house_id and not person.moved_out and not has_active,
            "csrf_token": context.get("csrf_token")}


@register.simple_tag
def case_alerts(user, case):
    """The alerts this case was made from (告警转事件), those the user may see: the case page links back to them."""
    from wangge.sensing.models import Alert

    return list(Alert.objects.visible_to(user).filter(case=case).order_by("pk"))
