"""Keep the in-process spatial index in step with boundary edits."""
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from wangge.areas.models import Grid, Region


@receiver(post_save, sender=Region)
@receiver(post_delete, sender=Region)
@receiver(post_save, sender=Grid)
@receiver(post_delete, sender=Grid)
def _region_changed(sender, instance, **kwargs):
    if instance.level == "grid":
        from wangge.areas import locate

        locate.invalidate()
