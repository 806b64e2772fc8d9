import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wangge.settings")
application = get_wsgi_application()

# Everything loaded so far (Django, the apps, the URL tree) lives as long as the process: move it out of the
# collector's sight, so the occasional full collection no longer walks it in the middle of a request.
gc.collect()
gc.freeze()
