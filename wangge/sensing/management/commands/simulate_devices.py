"""python -m wangge simulate_devices: a synthetic day of door events published over MQTT in accelerated time;
with --live, then on in real time with every device's heartbeat (what `make demo` runs beside the server)."""
import collections
import time
from datetime import timedelta
from urllib.parse import urlparse

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from wangge.areas.models import Level, Region
from wangge.sensing.models import Device
from wangge.sensing.simulator import Day, Heartbeats, heartbeat, payload, topic


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
        parser.add_argument("--live", action="store_true",
                            help="after the replayed day, go on in real time: the next day's events as their time "
                                 "comes, and a heartbeat from every device in service (a demo left running)")
        parser.add_argument("--beat", type=float, default=240.0,
                            help="with --live: seconds between a device's heartbeats (default 240, under the "
                                 "cameras' five-minute timeout)")
        parser.add_argument("--for", dest="duration", type=float, default=None,
                            help="with --live: stop after this many seconds (default: until stopped)")

    def handle(self, district, speed, seed, limit, url, live=False, beat=240.0, duration=None, **options):
        import paho.mqtt.client as mqtt

        if beat <= 0:
            raise CommandError("--beat must be more than 0 seconds / 心跳间隔须大于 0 秒")
        if limit is not None and limit < 1:
            raise CommandError("--limit must be at least 1 / 持卡人数至少为 1")
        if duration is not None and duration < 0:
            raise CommandError("--for must not be negative / 运行时长不能为负")
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
        self.client = client
        if live and self._spoke_lately(region):
            # A demo started again: its last 24 hours are already stored; replayed again they would be counted twice.
            self.stdout.write("the district's devices spoke in the last 24 hours: that day is not replayed again "
                              "/ 设备近 24 小时内已有上报，不再重放")
            plan = []
        else:
            self.stdout.write(f"{len(plan)} synthetic door events from "
                              f"{timezone.localtime(day.start):%Y-%m-%d %H:%M} at {speed:g}x "
                              f"(silent elderly resident: person {day.silent_person}) / 合成门禁事件")
        began, first = time.monotonic(), plan[0].at if plan else None
        try:
            for n, planned in enumerate(plan, 1):
                if speed > 0:
                    due = (planned.at - first).total_seconds() / speed
                    wait = due - (time.monotonic() - began)
                    if wait > 0:
                        time.sleep(wait)
                self._publish(planned.device_code, payload(planned))
                if n % 1000 == 0:
                    self.stdout.write(f"  {n} published (simulated {timezone.localtime(planned.at):%H:%M})")
            if plan:
                self.stdout.write(f"done: {len(plan)} events published / 已发布")
            if live:
                self._live(region, seed, limit, beat, None if duration is None else time.monotonic() + duration)
        finally:
            client.loop_stop()
            client.disconnect()

    @staticmethod
    def _spoke_lately(region) -> bool:
        since = timezone.now() - timedelta(hours=24)
        return Device.objects.filter(grid__path__startswith=region.path, last_seen_at__gte=since).exists()

    def _publish(self, code: str, body: bytes):
        self.client.publish(topic(code), body, qos=1).wait_for_publish(timeout=30)

    def _live(self, region, seed: int, limit, beat: float, stop_at: float | None):
        """Real time until stopped: each planned event when its time comes, each device's beat when due."""
        beats = Heartbeats(region, beat, time.monotonic())
        start, days = timezone.now(), 1
        upcoming = collections.deque(Day(region, seed=seed + days, start=start, limit=limit, silent_pass=False).build())
        self.stdout.write(f"live: {len(beats)} devices beating every {beat:g} s, {len(upcoming)} door events in the "
                          f"next 24 hours / 实时模拟")
        self.stdout.flush()  # a supervisor reading the output sees the simulator is live
        while stop_at is None or time.monotonic() < stop_at:
            now = timezone.now()
            while upcoming and upcoming[0].at <= now:
                planned = upcoming.popleft()
                self._publish(planned.device_code, payload(planned))
            if not upcoming and now >= start + timedelta(hours=24):
                start, days = start + timedelta(hours=24), days + 1
                upcoming.extend(Day(region, seed=seed + days, start=start, limit=limit, silent_pass=False).build())
            for code in beats.due(time.monotonic()):
                self._publish(code, heartbeat(timezone.now()))
            waits = [1.0]  # at most a second asleep: the clock is checked again
            if upcoming:
                waits.append((upcoming[0].at - timezone.now()).total_seconds())
            if beats.next_at() is not None:
                waits.append(beats.next_at() - time.monotonic())
            if stop_at is not None:
                waits.append(stop_at - time.monotonic())
            time.sleep(max(0.01, min(waits)))
        self.stdout.write("live: stopped / 已停止")
