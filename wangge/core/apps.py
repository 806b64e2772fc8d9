from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "wangge.core"
    label = "core"
    verbose_name = _("Basics")

    def ready(self):
        # Each app's shell.py registers its menu entries, work-home panels and banners (see core/shell.py).
        autodiscover_modules("shell")
        from wangge.core import pending_uploads, pollers

        # Uploads held for a refused form and then abandoned (core/pending_uploads.py).
        pollers.register("pending_uploads", pending_uploads.sweep, report=False)
