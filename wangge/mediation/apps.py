from django.apps import AppConfig


class MediationConfig(AppConfig):
    name = "wangge.mediation"
    label = "mediation"
    verbose_name = "矛盾纠纷"
