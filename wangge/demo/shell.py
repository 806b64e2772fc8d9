"""The demo's banner: while the demo district is loaded, every staff page (and the log-in page) says that its
boundaries below the division names and all its people are synthetic."""
from wangge.areas.models import Region
from wangge.core import shell
from wangge.demo.generator import DISTRICT_CODE


def demo_loaded() -> bool:
    return Region.objects.filter(code=DISTRICT_CODE).exists()


shell.register_banner("demo/_banner.html", demo_loaded)
