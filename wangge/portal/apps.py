from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "wangge.portal"
    label = "portal"
    verbose_name = "群众门户 Citizen portal"
