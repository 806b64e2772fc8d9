from django.apps import AppConfig


class AreasConfig(AppConfig):
    name = "wangge.areas"
    label = "areas"
    verbose_name = "区划与网格"

    def ready(self):
        from wangge.areas import signals  # noqa: F401
