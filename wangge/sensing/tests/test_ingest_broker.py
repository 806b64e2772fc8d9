"""`python -m wangge mqtt_acl`: the password and ACL files it writes, read by a real Mosquitto (started here on a
free port with those files): a device publishes to its own topic only, a wrong or replaced token and anonymous
clients are refused, the ingest user may subscribe."""
import os
import shutil
import socket
import subprocess
import time
import uuid

import paho.mqtt.client as paho
import pytest
from django.core.management import call_command

from wangge.sensing.broker_files import mosquitto_hash
from wangge.sensing.models import Device
from wangge.sensing.services import do_issue_device_token

pytestmark = [pytest.mark.django_db, pytest.mark.mqtt]
MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


def test_the_hash_is_mosquittos():
    """The same bytes mosquitto_passwd writes for a known salt (PBKDF2-HMAC-SHA512, 101 rounds, 64 bytes)."""
    line = mosquitto_hash("secret123", salt=bytes.fromhex("235e50e3cd4927af97c5f9b0"))
    assert line == ("$7$101$I15Q481JJ6+Xxfmw$+yG69nQX4yTA/bJm55Uve4bvrhr3eLl2969LdOk6vtiiRk8OxMMpxZbKr4Ruw382VlBdf"
                    "xtzFJT8jLv0QZyALA==")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def broker(tmp_path, sensing, settings):
    settings.WANGGE_MQTT_URL = "mqtt://ingest:ingest-Pass-2026@127.0.0.1:1883"
    tokens = {key: do_issue_device_token(None, sensing[key]) for key in ("door", "away_door")}
    call_command("mqtt_acl", "--passwords", str(tmp_path / "passwords"), "--acl", str(tmp_path / "acl"))
    port = _free_port()
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous false\npassword_file {tmp_path / 'passwords'}\n"
                    f"acl_file {tmp_path / 'acl'}\npersistence false\n"
                    # As root, mosquitto would become the user `mosquitto`, who cannot read a test's folder.
                    + ("user root\n" if os.geteuid() == 0 else ""))
    process = subprocess.Popen([MOSQUITTO, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            assert time.monotonic() < deadline and process.poll() is None, "mosquitto did not start"
            time.sleep(0.05)
    yield port, tokens
    process.terminate()
    process.wait(10)


def _connect(port, user, password, received=None):
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"t-{uuid.uuid4().hex[:8]}",
                         protocol=paho.MQTTv5)
    if user:
        client.username_pw_set(user, password)
    outcome = {}
    client.on_connect = lambda c, u, f, reason, p: outcome.setdefault("reason", reason)
    if received is not None:
        client.on_message = lambda c, u, message: received.append((message.topic, message.payload))
    client.connect("127.0.0.1", port)
    client.loop_start()
    deadline = time.monotonic() + 5
    while "reason" not in outcome and time.monotonic() < deadline:
        time.sleep(0.02)
    return client, outcome.get("reason")


def test_a_device_publishes_to_its_own_topic_only(broker, sensing):
    port, tokens = broker
    door, other = sensing["door"], sensing["away_door"]
    received = []
    ingest, reason = _connect(port, "ingest", "ingest-Pass-2026", received)
    assert reason is not None and not reason.is_failure
    ingest.subscribe("$share/wangge/wangge/devices/+/events", qos=1)
    time.sleep(0.3)
    device, reason = _connect(port, door.code, tokens["door"])
    assert not reason.is_failure
    device.publish(f"wangge/devices/{door.code}/events", b"own", qos=1).wait_for_publish(5)
    device.publish(f"wangge/devices/{other.code}/events", b"someone else's", qos=1).wait_for_publish(5)
    deadline = time.monotonic() + 5
    while not received and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    assert received == [(f"wangge/devices/{door.code}/events", b"own")]
    for client in (device, ingest):
        client.loop_stop()
        client.disconnect()


def test_wrong_tokens_and_anonymous_clients_are_refused(broker, sensing):
    port, tokens = broker
    door, camera = sensing["door"], sensing["camera"]
    # Another device's token, a wrong one, a device without a token (the camera), anonymous.
    for user, password in ((door.code, tokens["away_door"]), (door.code, "wrong"), (camera.code, "x"),
                           (None, None)):
        client, reason = _connect(port, user, password)
        assert reason is None or reason.is_failure, (user, reason)
        client.loop_stop()


def test_retired_devices_are_left_out(tmp_path, sensing):
    door = sensing["door"]
    do_issue_device_token(None, door)
    call_command("mqtt_acl", "--passwords", str(tmp_path / "p"), "--acl", str(tmp_path / "a"))
    assert f"{door.code}:$7$101$" in (tmp_path / "p").read_text()
    assert f"topic write wangge/devices/{door.code}/events" in (tmp_path / "a").read_text()
    Device.objects.filter(pk=door.pk).update(state="retired")
    call_command("mqtt_acl", "--passwords", str(tmp_path / "p"), "--acl", str(tmp_path / "a"))
    assert door.code not in (tmp_path / "p").read_text()
    assert door.code not in (tmp_path / "a").read_text()
