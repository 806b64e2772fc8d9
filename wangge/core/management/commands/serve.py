import os

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the platform with gunicorn (static files by WhiteNoise). 启动服务。"

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("WANGGE_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WANGGE_WORKERS", "3")))
        parser.add_argument("--threads", type=int, default=int(os.environ.get("WANGGE_THREADS", "1")))

    def handle(self, bind, workers, threads, **options):
        from gunicorn.app.wsgiapp import WSGIApplication

        self.stdout.write(f"Wangge 网格 serving on http://{bind}/  (Ctrl-C to stop)")
        argv = ["gunicorn", "wangge.wsgi:application", "--bind", bind, "--workers", str(workers),
                "--threads", str(threads), "--access-logfile", "-" if options["verbosity"] > 1 else "/dev/null"]
        import sys

        sys.argv = argv
        WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]").run()
