from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    """考核: schemes, indicators, scores, spot checks, appeals and exclusions, allowances (docs/assessment.md).

    Its own Django app inside `insight/` (docs/decisions/0006-assessment-is-its-own-app.md)."""

    name = "wangge.insight.assessment"
    label = "assessment"
    verbose_name = _("Assessment")
