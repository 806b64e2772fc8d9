"""The MQTT subscriber (`python -m wangge mqtt_ingest`): door and gate events from the site's broker.

Devices publish the same JSON as over HTTP (ingest.py), at QoS 1, to `wangge/devices/<device code>/events`,
connecting with their code as user name and their token as password; the broker's ACL (`mqtt_acl`) lets a
device publish to its own topic only, so the topic names the device and this subscriber authenticates nothing
itself. It does check that the device is registered and not retired.

Nothing lost, nothing twice:

* a persistent session (MQTT 5, clean start off, a session expiry of a week, a fixed client id per process):
  while the subscriber is down the broker keeps its messages;
* a shared subscription (`$share/wangge/wangge/devices/+/events`, the root
  `wangge` from WANGGE_MQTT_TOPIC_ROOT): several subscribers side by side, each
  message handed to one of them;
* manual acknowledgement: a message is acknowledged (PUBACK) only after the transaction that stored it (or its
  dead letter) committed. A subscriber killed in the middle has its unacknowledged messages delivered again
  when it comes back, and what it had stored but not yet acknowledged is recognised by the event table's
  unique (device, seq, at) and stored once;
* batches: messages are taken up to `batch` (1,000) or `wait` (0.2 s) after the first, and stored in one
  transaction (one card query and one insert for the batch; ingest.store_many);
* a bad message (unknown or retired device, not JSON, a bad event) becomes a `DeadLetter` row with the
  reason, in the same transaction, and is acknowledged: the subscriber goes on. A database that cannot be
  reached is waited for, the batch kept unacknowledged, and tried again.
"""
import json
import logging
import queue
import signal
import socket
import threading
import time
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as paho
from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, connection, transaction
from django.utils import timezone
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from wangge.sensing import ingest
from wangge.sensing.models import DeadLetter, Device, DeviceState

logger = logging.getLogger("wangge.sensing.mqtt")

def _share_property_tables() -> None:
    """paho-mqtt builds its MQTT 5 property tables (the names, and each property's type and packets) anew in every
    `Properties()` — one for each message received: a third of a subscriber's time under py-spy, more than
    storing the events. The tables are constants that no instance changes: build them once and share them. The
    behaviour is paho's own (test_mqtt_properties.py decodes and encodes properties through it)."""
    if getattr(Properties, "_wangge_shared", False):
        return
    template = Properties(PacketTypes.PUBLISH)
    types, names, table = template.types, template.names, template.properties

    def __init__(self, packetType):
        object.__setattr__(self, "packetType", packetType)
        object.__setattr__(self, "types", types)
        object.__setattr__(self, "names", names)
        object.__setattr__(self, "properties", table)

    Properties.__init__ = __init__
    Properties._wangge_shared = True


_share_property_tables()

ROOT = "wangge"  # WANGGE_MQTT_TOPIC_ROOT: a broker shared by several sites gives each its own


def topic_root() -> str:
    return getattr(settings, "WANGGE_MQTT_TOPIC_ROOT", ROOT)


def device_topic(code: str, root: str | None = None) -> str:
    return f"{root or topic_root()}/devices/{code}/events"


def shared_topic(root: str | None = None) -> str:
    """Every device's topic, through the share group named after the root: each message to one subscriber."""
    root = root or topic_root()
    return f"$share/{root}/{root}/devices/+/events"

SESSION_EXPIRY = 7 * 24 * 3600  # seconds the broker keeps a stopped subscriber's session and messages
RECEIVE_MAXIMUM = 65535  # unacknowledged messages the broker may send us (a batch waits for its commit)
MAX_PAYLOAD = 1_048_576  # bytes, as over HTTP
DEAD_PAYLOAD = 4000  # characters of a bad message kept with its dead letter


@dataclass
class Broker:
    host: str
    port: int
    username: str | None
    password: str | None
    tls: bool


def broker(url: str | None = None) -> Broker:
    """`mqtt://[user:pass@]host[:port]` (or `mqtts://`, TLS on 8883) from WANGGE_MQTT_URL."""
    parts = urlsplit(url or settings.WANGGE_MQTT_URL)
    if parts.scheme not in ("mqtt", "mqtts", "tcp", "ssl"):
        raise ValueError(f"WANGGE_MQTT_URL: use mqtt:// or mqtts://, not {parts.scheme}://")
    tls = parts.scheme in ("mqtts", "ssl")
    return Broker(parts.hostname or "127.0.0.1", parts.port or (8883 if tls else 1883),
                  unquote(parts.username) if parts.username else None,
                  unquote(parts.password) if parts.password else None, tls)


def default_client_id() -> str:
    """One fixed id per machine (a persistent session is found by its client id), or WANGGE_MQTT_CLIENT_ID; give
    each of several subscribers on one machine its own with --client-id (or that setting)."""
    from django.conf import settings

    return (getattr(settings, "WANGGE_MQTT_CLIENT_ID", "") or f"wangge-ingest-{socket.gethostname()}")[:64]


def device_code(topic: str, root: str | None = None) -> str | None:
    parts = topic.split("/")
    if len(parts) == 4 and parts[0] == (root or topic_root()) and parts[1] == "devices" and parts[3] == "events" \
            and parts[2]:
        return parts[2]
    return None


@dataclass
class Outcome:
    messages: int = 0
    stored: int = 0
    duplicates: int = 0
    dead: int = 0


class Subscriber:
    def __init__(self, url: str | None = None, client_id: str | None = None, *, batch: int = 1000,
                 wait: float = 0.2, on_ready=None):
        self.broker = broker(url)
        self.topic = shared_topic()
        self.client_id = client_id or default_client_id()
        self.batch, self.wait = batch, wait
        self.inbox: queue.SimpleQueue = queue.SimpleQueue()
        self.stopping = threading.Event()
        self.subscribed = threading.Event()
        self.on_ready = on_ready
        self.total = Outcome()
        client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=self.client_id, protocol=paho.MQTTv5,
                             manual_ack=True)
        if self.broker.username:
            client.username_pw_set(self.broker.username, self.broker.password)
        if self.broker.tls:
            client.tls_set()
        client.reconnect_delay_set(1, 30)
        client.on_connect = self._connected
        client.on_subscribe = self._subscribed
        client.on_message = self._received
        client.on_disconnect = self._disconnected
        self.client = client

    # --- the network thread --------------------------------------------------------------------------------

    def _connected(self, client, userdata, flags, reason, properties):
        if reason.is_failure:
            logger.warning("MQTT connect refused: %s", reason)
            return
        logger.info("connected to %s:%s as %s (session present: %s)", self.broker.host, self.broker.port,
                    self.client_id, flags.session_present)
        client.subscribe(self.topic, options=SubscribeOptions(qos=1))

    def _subscribed(self, client, userdata, mid, reasons, properties):
        if any(r.is_failure for r in reasons):
            logger.error("subscription to %s refused: %s", self.topic, reasons)
            return
        self.subscribed.set()
        if self.on_ready:
            self.on_ready()

    def _disconnected(self, client, userdata, flags, reason, properties):
        self.subscribed.clear()
        if not self.stopping.is_set():
            logger.warning("MQTT connection lost (%s); reconnecting", reason)

    def _received(self, client, userdata, message):
        self.inbox.put(message)

    # --- the storing thread --------------------------------------------------------------------------------

    def start(self):
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = SESSION_EXPIRY
        properties.ReceiveMaximum = RECEIVE_MAXIMUM
        self.client.connect_async(self.broker.host, self.broker.port, keepalive=30, clean_start=False,
                                  properties=properties)
        self.client.loop_start()

    def stop(self):
        self.stopping.set()

    def close(self):
        self.client.disconnect()
        self.client.loop_stop()

    def run(self, *, idle_exit: float | None = None):
        """Take batches until stopped (SIGTERM, SIGINT, `stop()`), or idle for `idle_exit` seconds."""
        self.start()
        idle_since = time.monotonic()
        try:
            while not self.stopping.is_set():
                messages = self._take()
                if not messages:
                    if idle_exit is not None and time.monotonic() - idle_since > idle_exit:
                        break
                    continue
                self._handle_until_done(messages)
                idle_since = time.monotonic()
        finally:
            self.close()

    def _take(self) -> list:
        try:
            first = self.inbox.get(timeout=0.5)
        except queue.Empty:
            return []
        messages = [first]
        deadline = time.monotonic() + self.wait
        while len(messages) < self.batch:
            left = deadline - time.monotonic()
            try:
                messages.append(self.inbox.get_nowait() if left <= 0 else self.inbox.get(timeout=left))
            except queue.Empty:
                break
        return messages

    def _handle_until_done(self, messages: list):
        """Store the batch, then acknowledge it; a database out of reach is waited for (the batch stays
        unacknowledged: if we are stopped meanwhile the broker delivers it again)."""
        pause = 0.5
        while True:
            try:
                outcome = handle(messages)
                break
            except (OperationalError, InterfaceError) as exc:
                logger.warning("database unavailable (%s); retrying in %.1f s", exc, pause)
                connection.close()
                if self.stopping.wait(pause):
                    return
                pause = min(pause * 2, 10)
                close_old_connections()
        for message in messages:
            if message.qos:
                self.client.ack(message.mid, message.qos)
        for name in ("messages", "stored", "duplicates", "dead"):
            setattr(self.total, name, getattr(self.total, name) + getattr(outcome, name))


def _dead(message, code, reason: str, now) -> DeadLetter:
    payload = message.payload[:DEAD_PAYLOAD * 4].decode("utf-8", errors="replace")[:DEAD_PAYLOAD]
    return DeadLetter(received_at=now, channel="mqtt", topic=message.topic[:200], device_code=(code or "")[:64],
                      payload=payload, reason=reason[:300])


def _reason(refused: ingest.EventErrors) -> str:
    return "; ".join(f"{'' if i is None else f'[{i}] '}{field}: {text}" for i, field, text in refused.errors)


def handle(messages: list, now=None) -> Outcome:
    """One batch of MQTT messages in one transaction: the good events stored (once), the bad messages as dead
    letters. Raises a database error to be retried (nothing committed)."""
    now = now or timezone.now()
    outcome = Outcome(messages=len(messages))
    codes_of = [device_code(m.topic) for m in messages]
    codes = set(codes_of) - {None}
    devices = {d.code: d for d in Device.objects.select_related("grid").filter(code__in=codes)} if codes else {}
    letters, checked_by_device, checkers = [], {}, {}
    for message, code in zip(messages, codes_of):
        device = devices.get(code)
        if code is None:
            letters.append(_dead(message, code, "not a device events topic", now))
        elif device is None:
            letters.append(_dead(message, code, "unknown device", now))
        elif device.state == DeviceState.RETIRED:
            letters.append(_dead(message, code, "retired device", now))
        elif len(message.payload) > MAX_PAYLOAD:
            letters.append(_dead(message, code, f"message larger than {MAX_PAYLOAD} bytes", now))
        else:
            try:
                data = json.loads(message.payload)
                items, listed = ingest.event_items(data)
                checker = checkers.get(code) or checkers.setdefault(code, ingest.Checker(device, now))
                checked = checker.check(items, listed=listed)
            except (ValueError, UnicodeDecodeError):
                letters.append(_dead(message, code, "not valid JSON", now))
                continue
            except ingest.EventErrors as refused:
                letters.append(_dead(message, code, _reason(refused), now))
                continue
            into = checked_by_device.setdefault(device.pk, (device, ingest.Checked()))[1]
            into.events.extend(checked.events)
            if checked.latest and (into.latest is None or checked.latest > into.latest):
                into.latest = checked.latest
    with transaction.atomic():
        if checked_by_device:
            for stored in ingest.store_many(list(checked_by_device.values()), now):
                outcome.stored += stored.stored
                outcome.duplicates += stored.duplicates
        if letters:
            DeadLetter.objects.bulk_create(letters)
            outcome.dead = len(letters)
    return outcome


def install_signal_handlers(subscriber: Subscriber):
    """SIGTERM and SIGINT finish the batch in hand (stored and acknowledged), then stop."""
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_args: subscriber.stop())
