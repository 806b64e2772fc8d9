"""`python -m wangge mqtt_ingest`: door and gate events from the MQTT broker (wangge/sensing/mqtt.py)."""
import logging
import time

from django.core.management.base import BaseCommand

from wangge.sensing.mqtt import Subscriber, default_client_id, install_signal_handlers


class Command(BaseCommand):
    help = ("Subscribe to wangge/devices/+/events (shared subscription, persistent session) and store door and "
            "gate events; several may run side by side, each with its own --client-id. 门禁记录 MQTT 接入。")

    def add_arguments(self, parser):
        parser.add_argument("--url", help="the broker (default: WANGGE_MQTT_URL)")
        parser.add_argument("--client-id", default=None,
                            help=f"fixed per subscriber: its session is kept under it (default {default_client_id()})")
        parser.add_argument("--batch", type=int, default=1000, help="messages stored per transaction (default 1000)")
        parser.add_argument("--wait-ms", type=int, default=200,
                            help="longest wait for a batch to fill, in milliseconds (default 200)")
        parser.add_argument("--idle-exit", type=float, default=None,
                            help="stop after this many seconds without a message (tests, benchmarks)")

    def handle(self, url, client_id, batch, wait_ms, idle_exit, **options):
        logging.getLogger("wangge.sensing.mqtt").setLevel(logging.INFO)
        if not 1 <= batch <= 10_000 or not 0 <= wait_ms <= 60_000:
            raise ValueError("--batch must be 1..10000 and --wait-ms 0..60000")

        def ready():
            self.stdout.write(f"subscribed to {subscriber.topic} as {subscriber.client_id}")
            self.stdout.flush()

        subscriber = Subscriber(url, client_id, batch=batch, wait=wait_ms / 1000, on_ready=ready)
        install_signal_handlers(subscriber)
        started = time.monotonic()
        subscriber.run(idle_exit=idle_exit)
        total = subscriber.total
        self.stdout.write(f"stopped after {time.monotonic() - started:.1f} s: {total.messages} messages, "
                          f"{total.stored} events stored, {total.duplicates} duplicates, {total.dead} dead letters")
