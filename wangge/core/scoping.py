"""Jurisdiction scoping: the one way scoped data is read.

Every region carries a materialized path of codes ("/51/5101/510107/510107005/").
A user sees the subtree of the node they are bound to. Every list, detail,
export, search, map layer and API answer reads through `visible_to(user)`;
`get_visible_or_404` is the detail-view form of the same thing.

A model opts in by using `ScopedQuerySet` and naming the path it is located by
(`scope_path_field = "path"` on Region, `"grid__path"` on anything in a grid).
A model with a wider rule (say, a case visible to the department it was
dispatched to) overrides `scope_q` on its queryset, and nothing else.
"""
from django.db import models
from django.http import Http404

ALL = object()


def scope_prefix(user):
    """The path prefix a user may see: a string, ALL, or None for nothing."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.is_superuser or user.role == "administrator":
        # Administrators keep the whole platform's configuration, catalogue and audit log.
        return ALL
    node = user.scope_node
    return node.path if node is not None else None


class ScopedQuerySet(models.QuerySet):
    def scope_q(self, prefix: str) -> models.Q:
        return models.Q(**{f"{self.model.scope_path_field}__startswith": prefix})

    def visible_to(self, user):
        prefix = scope_prefix(user)
        if prefix is ALL:
            return self
        if prefix is None:
            return self.none()
        return self.filter(self.scope_q(prefix))


def get_visible_or_404(queryset_or_model, user, **lookup):
    """A record outside the user's area answers 404, exactly like one that does not exist."""
    qs = queryset_or_model
    if isinstance(qs, type) and issubclass(qs, models.Model):
        qs = qs.objects.all()
    try:
        return qs.visible_to(user).get(**lookup)
    except qs.model.DoesNotExist:
        raise Http404
