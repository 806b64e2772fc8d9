import atexit
import os
import subprocess
import sys
import threading

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the platform with gunicorn (static files by WhiteNoise), with the background worker. 启动服务。"

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("WANGGE_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WANGGE_WORKERS", "3")))
        parser.add_argument("--threads", type=int, default=int(os.environ.get("WANGGE_THREADS", "1")))
        # On one machine the deadlines poller and text messages run beside the web server; a deployment that
        # runs `run_worker` as its own service passes --no-worker.
        parser.add_argument("--no-worker", action="store_true", help="do not start run_worker beside gunicorn")
        parser.add_argument("--worker-interval", type=int, default=60, help="seconds between deadline polls")
        # Door and gate events from the site's MQTT broker (sensing): started when the broker answers.
        parser.add_argument("--no-ingest", action="store_true", help="do not start mqtt_ingest beside gunicorn")
        parser.add_argument("--no-collectstatic", action="store_true",
                            help="serve the static files already collected (by default they are collected first)")
        # `make demo`: the demo's doors and cameras alive (a replayed day, then real time with heartbeats), so its
        # alert board, map and grid workers' homes show what a district sees. Never for a real district.
        parser.add_argument("--demo", action="store_true",
                            help="also run the device simulator live (simulate_devices --live) once ingestion "
                                 "is subscribed: synthetic door events and heartbeats for the demo district")
        parser.add_argument("--demo-holders", type=int, default=1500,
                            help="with --demo: card holders whose passes are simulated (default 1500)")

    def handle(self, bind, workers, threads, no_worker, worker_interval, no_collectstatic=False, no_ingest=False,
               demo=False, demo_holders=1500, **options):
        from django.core.management import call_command
        from gunicorn.app.wsgiapp import WSGIApplication

        if not no_collectstatic:
            # Hashed, compressed copies for WhiteNoise (settings.STORAGES); quick when nothing changed.
            call_command("collectstatic", interactive=False, verbosity=0)
        if not no_worker:
            self._start_worker(worker_interval)
        if not no_ingest:
            self._start_ingest(then_simulate=demo_holders if demo else None)
        elif demo:
            self.stdout.write("--demo needs ingestion: the simulator is not started / 未启动模拟器")
        self.stdout.write(f"Wangge 网格 serving on http://{bind}/  (Ctrl-C to stop)")
        argv = ["gunicorn", "wangge.wsgi:application", "--bind", bind, "--workers", str(workers),
                "--threads", str(threads), "--access-logfile", "-" if options["verbosity"] > 1 else "/dev/null"]
        sys.argv = argv
        WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]").run()

    def _start_worker(self, interval):
        worker = subprocess.Popen([sys.executable, "-m", "wangge", "run_worker", "--interval", str(interval)])
        atexit.register(worker.terminate)
        self.stdout.write(f"background worker (deadlines poller, text messages) pid {worker.pid}, every {interval}s")

    def _start_ingest(self, then_simulate: int | None = None):
        """mqtt_ingest beside the server when the broker (WANGGE_MQTT_URL) answers; a note when it does not. With
        `then_simulate` (card holders), the live simulator starts once the subscriber says it is subscribed: a
        message published before that would find nobody listening."""
        import socket
        from urllib.parse import urlparse

        from django.conf import settings

        url = urlparse(getattr(settings, "WANGGE_MQTT_URL", "mqtt://127.0.0.1:1883"))
        try:
            socket.create_connection((url.hostname or "127.0.0.1", url.port or 1883), timeout=1).close()
        except OSError:
            self.stdout.write(f"no MQTT broker at {url.hostname}:{url.port or 1883}: door events only over HTTP "
                              "(start Mosquitto, or set WANGGE_MQTT_URL) / 未连接 MQTT 代理")
            return
        ingest = subprocess.Popen([sys.executable, "-m", "wangge", "mqtt_ingest"], stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, bufsize=1)
        atexit.register(ingest.terminate)
        self.stdout.write(f"MQTT ingestion (door and gate events) pid {ingest.pid}")
        threading.Thread(target=self._follow, args=(ingest, then_simulate), daemon=True).start()

    def _follow(self, ingest, then_simulate: int | None):
        """Pass the subscriber's output on; start the simulator after its "subscribed to" line."""
        for line in ingest.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            if then_simulate is not None and "subscribed to" in line:
                simulator = subprocess.Popen([sys.executable, "-m", "wangge", "simulate_devices", "--live",
                                              "--speed", "0", "--limit", str(then_simulate)])
                atexit.register(simulator.terminate)
                sys.stdout.write(f"demo: device simulator (live, synthetic) pid {simulator.pid}\n")
                then_simulate = None
