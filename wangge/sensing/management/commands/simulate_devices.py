"""python -m wangge simulate_devices: a synthetic day of door events published over MQTT in accelerated time."""
import time
from urllib.parse import urlparse

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from wangge.areas.models import Level, Region
from wangge.sensing.simulator import Day, payload, topic


class Command(BaseCommand):
    help = ("Publish a synthetic day of door events (residents' passes, key people, a silent elderly resident, "
            "strangers' cards, a forced door) to the MQTT broker, replayed in accelerated time. Synthetic data. "
            "模拟门禁事件（合成数据）。")

    def add_arguments(self, parser):
        parser.add_argument("--district", default="510107", help="district code (default the demo's 510107)")
        parser.add_argument("--speed", type=float, default=144.0,
                            help="times real time (default 144: the day in ten minutes); 0: as fast as possible")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--limit", type=int, default=None, help="at most this many card holders")
        parser.add_argument("--url", default=None, help="broker URL (default WANGGE_MQTT_URL)")

    def handle(self, district, speed, seed, limit, url, **options):
        import paho.mqtt.client as mqtt

        region = Region.objects.filter(code=district, level=Level.DISTRICT).first()
        if region is None:
            raise CommandError(f"no district {district} / 没有该区县")
        day = Day(region, seed=seed, limit=limit)
        plan = day.build()
        if not plan:
            raise CommandError("no door controller with card holders in the district: load the demo first "
                               "/ 区内没有门禁设备或持卡人，请先加载演示数据")
        broker = urlparse(url or getattr(settings, "WANGGE_MQTT_URL", "mqtt://127.0.0.1:1883"))
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"wangge-simulator-{seed}")
        if broker.username:
            client.username_pw_set(broker.username, broker.password)
        client.connect(broker.hostname or "127.0.0.1", broker.port or 1883)
        client.loop_start()
        self.stdout.write(f"{len(plan)} synthetic door events from {day.start:%Y-%m-%d %H:%M} at {speed:g}x "
                          f"(silent elderly resident: person {day.silent_person}) / 合成门禁事件")
        began, first = time.monotonic(), plan[0].at
        try:
            for n, planned in enumerate(plan, 1):
                if speed > 0:
                    due = (planned.at - first).total_seconds() / speed
                    wait = due - (time.monotonic() - began)
                    if wait > 0:
                        time.sleep(wait)
                client.publish(topic(planned.device_code), payload(planned), qos=1).wait_for_publish(timeout=30)
                if n % 1000 == 0:
                    self.stdout.write(f"  {n} published (simulated {timezone.localtime(planned.at):%H:%M})")
        finally:
            client.loop_stop()
            client.disconnect()
        self.stdout.write(f"done: {len(plan)} events published / 已发布")
