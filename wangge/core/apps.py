from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class CoreConfig(AppConfig):
    name = "wangge.core"
    label = "core"
    verbose_name = "基础"

    def ready(self):
        # Each app's shell.py registers its menu entries, work-home panels and banners (see core/shell.py).
        autodiscover_modules("shell")
