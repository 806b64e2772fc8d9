"""Door events over MQTT, end to end against the real broker (127.0.0.1:1883, `.ci/run` starts it): `python -m
wangge mqtt_ingest` in a process of its own, on a site database of its own (e2e.Site), devices publishing at QoS 1.

* the same event published twice is stored once; bad messages become dead letters with their reason and the
  subscriber keeps running;
* the subscriber killed (SIGKILL) in the middle of a stream and started again with the same client id loses
  nothing and stores nothing twice (its session kept the messages; what it had stored but not acknowledged
  comes again and is recognised by (device, seq, at)).
"""
import json
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import paho.mqtt.client as paho
import pytest

from wangge.sensing.tests.e2e import Site, forget_session, stop

pytestmark = pytest.mark.mqtt
DOOR = "DOOR-HOME-1"
COUNT_EVENTS = "SELECT count(*) FROM sensing_accessevent"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    made = Site(tmp_path_factory.mktemp("mqtt_site"))
    yield made
    made.close()


@pytest.fixture
def publisher():
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"test-door-{uuid.uuid4().hex[:8]}",
                         protocol=paho.MQTTv5)
    client.max_inflight_messages_set(100)
    client.max_queued_messages_set(0)
    client.connect("127.0.0.1", 1883)
    client.loop_start()
    yield client
    client.loop_stop()
    client.disconnect()


@pytest.fixture
def root():
    """A topic root of the test's own: tests running side by side (and anyone else on the broker) never see
    each other's messages."""
    return f"test-{uuid.uuid4().hex[:10]}"


def publish(client, root, payload, code=DOOR):
    data = payload if isinstance(payload, (bytes, str)) else json.dumps(payload)
    return client.publish(f"{root}/devices/{code}/events", data, qos=1)


def subscriber(site, root, client_id):
    return site.start("mqtt_ingest", "--client-id", client_id, "--wait-ms", "50", ready="subscribed to",
                      env={"WANGGE_MQTT_TOPIC_ROOT": root})


def door_event(seq, card, at=None):
    at = at or datetime.now(UTC)
    return {"seq": seq, "ts": at.isoformat(), "card": card, "door": "1", "direction": "in", "granted": True}


def test_the_same_event_twice_is_stored_once_and_bad_messages_are_dead_letters(site, publisher, root):
    run = uuid.uuid4().hex[:8]
    base = site.scalar(COUNT_EVENTS)
    letters = site.scalar("SELECT count(*) FROM sensing_deadletter")
    process = subscriber(site, root, f"test-ingest-{run}")
    try:
        same = door_event(900_000, site.card, datetime.now(UTC) - timedelta(minutes=3))
        for info in (publish(publisher, root, same), publish(publisher, root, same),
                     publish(publisher, root, b'{"seq": 1, "ts": '),  # not JSON
                     publish(publisher, root, door_event(900_001, "12345")),  # a card of the wrong shape
                     publish(publisher, root, door_event(900_002, site.card), code="NO-SUCH-DOOR"),  # unknown device
                     publish(publisher, root, [door_event(900_003, site.card),
                                         {**door_event(900_004, site.card), "ts": "2099-01-01T00:00:00Z"}])):
            info.wait_for_publish(10)
        assert site.wait_for("SELECT count(*) FROM sensing_deadletter", letters + 4) == letters + 4
        assert site.wait_for(COUNT_EVENTS, base + 1) == base + 1
        reasons = [r for (r,) in site.query("SELECT reason FROM sensing_deadletter ORDER BY id")][-4:]
        assert "not valid JSON" in reasons
        assert "unknown device" in reasons
        assert any("card:" in r for r in reasons)
        assert any("[1] ts:" in r for r in reasons)  # the list refused whole: seq 900003 not stored either
        assert site.scalar("SELECT count(*) FROM sensing_accessevent WHERE seq = 900003") == 0
        # The subscriber is still at work.
        assert process.poll() is None
        publish(publisher, root, door_event(900_005, site.card)).wait_for_publish(10)
        assert site.wait_for(COUNT_EVENTS, base + 2) == base + 2
        assert site.scalar("SELECT count(*) FROM sensing_accessevent WHERE seq = 900000") == 1
    finally:
        stop(process)
        forget_session(f"test-ingest-{run}")


def test_a_subscriber_killed_mid_stream_and_restarted_loses_nothing_and_stores_nothing_twice(site, publisher, root):
    run = uuid.uuid4().hex[:8]
    client_id = f"test-ingest-{run}"
    # Fewer than the broker's 1,000 kept per session (Mosquitto's default max_queued_messages): a restart slowed
    # by a busy machine must not make the broker drop what the test then counts.
    total, first_seq = 900, 1_000_000
    base = site.scalar(COUNT_EVENTS)
    start = datetime.now(UTC) - timedelta(minutes=4)
    process = subscriber(site, root, client_id)
    sent = threading.Event()

    def stream():
        for i in range(total):
            publish(publisher, root, door_event(first_seq + i, site.card, start + timedelta(microseconds=i)))
            time.sleep(1 / 400)
        sent.set()

    feeder = threading.Thread(target=stream)
    feeder.start()
    try:
        deadline = time.monotonic() + 30
        while site.scalar(COUNT_EVENTS) - base < 100 and time.monotonic() < deadline:
            time.sleep(0.05)
        stored_before_kill = site.scalar(COUNT_EVENTS) - base
        stop(process, kill=True)  # SIGKILL: no clean shutdown, batches in hand and unacknowledged
        assert 0 < stored_before_kill < total, "the kill must land in the middle of the stream"
        process = subscriber(site, root, client_id)  # the same client id: the same session
        feeder.join(60)
        assert sent.is_set()
        assert site.wait_for(COUNT_EVENTS, base + total, timeout=90) == base + total
        time.sleep(1)  # anything delivered twice would arrive now
        seqs = site.query("SELECT count(*), count(DISTINCT seq), min(seq), max(seq) FROM sensing_accessevent "
                          "WHERE seq >= ?", (first_seq,))[0]
        assert seqs == (total, total, first_seq, first_seq + total - 1)
    finally:
        feeder.join(60)
        stop(process)
        forget_session(client_id)


def test_the_simulated_day_raises_alerts_by_itself(site, root):
    """simulate_devices publishes a synthetic day; mqtt_ingest stores it and the rules raise the alerts: a key
    person passing (the head is tagged 社区矫正), strangers' cards and a forced door."""
    site.run("shell", "-c", "from wangge.core.models import User; from wangge.registry.models import Tag; "
             "from wangge.registry.services import do_tag_person; from wangge.sensing.models import Card; "
             "do_tag_person(User.objects.get(username='admin'), Card.objects.get().person, "
             "Tag.objects.get(code='community_correction'))")
    process = subscriber(site, root, f"sim-{root}")
    try:
        done = site.start("simulate_devices", "--district", "510107", "--speed", "0", "--seed", "5",
                          env={"WANGGE_MQTT_TOPIC_ROOT": root})
        assert done.wait(timeout=120) == 0, site.output(done)
        types = "SELECT type FROM sensing_alert ORDER BY type"
        site.wait_for("SELECT count(DISTINCT type) FROM sensing_alert", 3, timeout=60)
        assert {row[0] for row in site.query(types)} == {"key_person", "unknown_card", "door_forced"}
        events = site.scalar("SELECT count(*) FROM sensing_accessevent")
        assert events >= 3 and events == site.scalar(
            "SELECT count(*) FROM (SELECT DISTINCT device_id, seq, at FROM sensing_accessevent) AS once")
    finally:
        stop(process)


CAMERA = "51010700001320000001"  # the site's camera: it sends no door events, so only a heartbeat marks it seen


def forget_camera(site):
    site.query("UPDATE sensing_device SET last_seen_at = NULL WHERE code = ? RETURNING id", (CAMERA,))


def forget_devices(site):
    """As after load_demo: no device has spoken (so `--live` replays the last 24 hours)."""
    site.query("UPDATE sensing_device SET last_seen_at = NULL RETURNING id")


def test_the_live_simulator_keeps_every_device_in_service_online(site, root):
    """--live: after the replayed day, every device in service beats (the camera included), and --for ends it."""
    forget_camera(site)
    process = subscriber(site, root, f"live-{root}")
    try:
        done = site.start("simulate_devices", "--district", "510107", "--speed", "0", "--seed", "6", "--live",
                          "--beat", "1", "--for", "3", env={"WANGGE_MQTT_TOPIC_ROOT": root})
        assert done.wait(timeout=120) == 0, site.output(done)
        output = site.output(done)
        assert "live: 3 devices beating every 1 s" in output and "live: stopped" in output
        in_service = "SELECT count(*) FROM sensing_device WHERE state = 'in_service'"
        seen = in_service + " AND last_seen_at IS NOT NULL"
        assert site.wait_for(seen, site.scalar(in_service)) == site.scalar(in_service) == 3
    finally:
        stop(process)
        forget_session(f"live-{root}")


def test_serve_demo_starts_the_simulator_once_ingestion_listens_and_stops_it_with_the_server(site, root):
    """`make demo` runs `serve --demo`: the live simulator starts after the subscriber's "subscribed to" (what
    it published before would be lost), its replayed day is stored, and stopping the server stops it."""
    import os
    import re
    import socket

    forget_devices(site)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = site.scalar(COUNT_EVENTS)
    server = site.start("serve", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--no-worker",
                        "--no-collectstatic", "--demo", "--demo-holders", "5", ready="demo: device simulator",
                        env={"WANGGE_MQTT_TOPIC_ROOT": root, "WANGGE_MQTT_CLIENT_ID": f"serve-{root}"}, timeout=90)
    try:
        output = site.output(server)
        assert output.index(f"/devices/+/events as serve-{root}") < \
            output.index("demo: device simulator")
        pid = int(re.search(r"demo: device simulator \(live, synthetic\) pid (\d+)", output).group(1))
        # The replayed day: 20 strangers' cards and 3 forced doors at least, and the camera's first beat.
        assert site.wait_for(f"SELECT count(*) >= {base + 23} FROM sensing_accessevent", 1, timeout=90) == 1, \
            site.output(server)
        assert site.wait_for(f"SELECT count(*) FROM sensing_device WHERE code = '{CAMERA}' AND last_seen_at IS NOT "
                             "NULL", 1) == 1
        # Started again (a demo restarted), the day already stored is not replayed a second time.
        again = site.start("simulate_devices", "--district", "510107", "--speed", "0", "--live", "--for", "0",
                           env={"WANGGE_MQTT_TOPIC_ROOT": root})
        assert again.wait(timeout=60) == 0, site.output(again)
        assert "not replayed again" in site.output(again) and "synthetic door events" not in site.output(again)
    finally:
        stop(server)
        forget_session(f"serve-{root}")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.2)
    else:
        raise AssertionError("the simulator outlived the server")
