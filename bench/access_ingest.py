"""Door events in: HTTP batches and MQTT end to end, against raw COPY of the same rows into the same table.

    .venv/bin/python bench/access_ingest.py                      # 1,000,000 events each way
    .venv/bin/python bench/access_ingest.py --events 100000      # a quicker run

All on PostgreSQL (COPY is the reference): the script creates the database `bench_access` on
postgres://postgres@127.0.0.1:5432 (dropped first if a run before left it, and at the end unless --keep),
migrates it (the events table partitioned by month), loads the demo district's people (`load_demo --people
20000`, synthetic), gives every resident a card for their house and puts a door controller on each of the first
--doors buildings, each with its token. The events are synthetic: door d's events carry the cards of its
building's residents (1 in 500 an unknown card), times over the last hour, seq counting per door.

  raw   the same rows as ingestion stores them (cards resolved), in COPY's text form made beforehand, in one COPY
        into sensing_accessevent and one commit: the ceiling.
  http  POST /api/v1/devices/events, batches of --batch (1,000) events of one door, from --connections client
        processes on keep-alive connections, against `python -m wangge serve` (gunicorn, --workers sync
        workers, WANGGE_DEBUG=0, as deployed): token, parse and check, one card query, COPY to the staging
        table and INSERT ... ON CONFLICT DO NOTHING RETURNING (dedupe), the event rules on the new rows, the
        device marked seen. Timed from the first request to the last answer.
  mqtt  each event its own message (as a door controller publishes), QoS 1, from --publishers processes to a
        Mosquitto started here on a free port, through --subscribers `python -m wangge mqtt_ingest` processes
        (2 by default; shared subscription, persistent session, manual acknowledgement after commit, batches of 1,000 or
        200 ms). Timed from the first publish until the table holds every event (polled each 0.5 s).
        --per-message N publishes lists of N events (a controller buffering a second's passes).

The table is emptied (TRUNCATE) between the runs. Prints events/s of each, http/raw (target >= 0.3) and mqtt's
events/s (target >= 10,000 on a 2-core machine); exit status 1 if a target is missed, 2 if events are missing.
"""
import argparse
import io
import json
import multiprocessing
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from http.client import HTTPConnection
from pathlib import Path

from _server import free_port, start_server, stop_server  # bench/_server.py

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
DB_NAME = "bench_access"
TARGET_RATIO, TARGET_MQTT = 0.3, 10_000
UNKNOWN_EVERY = 500
NULL = "\\N"  # COPY's text form of NULL
T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)


# --- the synthetic stream (the same in every process: a function of the batch number) ---------------------------

def batch_events(doors: list, cards: dict, number: int, size: int) -> tuple[str, list[dict]]:
    """Batch `number`: `size` events of one door (code, list of event dicts)."""
    code, building = doors[number % len(doors)]
    pool = cards.get(building) or ["5101070000000018"]
    first_seq = (number // len(doors)) * size
    events = []
    for j in range(size):
        seq = first_seq + j
        k = number * size + j
        card = "5101079999999999" if k % UNKNOWN_EVERY == 7 else pool[(seq * 7919) % len(pool)]
        events.append({"seq": seq, "ts": (T0 + timedelta(milliseconds=k)).isoformat(), "card": card, "door": "1",
                       "direction": "in" if k % 2 else "out", "granted": True})
    return code, events


# --- the database --------------------------------------------------------------------------------------------

def wangge(env, *args):
    done = subprocess.run([sys.executable, "-m", "wangge", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"wangge {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def psql(sql: str, database="postgres"):
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/{database}", autocommit=True) as conn:
        cursor = conn.execute(sql)
        return cursor.fetchall() if cursor.description else None


def seed(doors_wanted: int):
    """Cards for every resident with a house (the demo's own cards kept: it issues them where it put doors), a
    door on each of the first buildings, and their tokens."""
    from wangge.registry.models import Building, Person
    from wangge.sensing import cards as card_numbers
    from wangge.sensing.models import Card, Device
    from wangge.sensing.services import do_issue_device_token

    people = list(Person.objects.filter(house__isnull=False, moved_out__isnull=True).exclude(cards__isnull=False)
                  .values_list("id", "house_id", "house__building_id", "grid_id").order_by("id"))
    first = int(card_numbers.next_number("510107")[6:15])
    Card.objects.bulk_create([Card(number=card_numbers.make_number("510107", first + i), person_id=person,
                                   house_id=house, building_id=building, grid_id=grid)
                              for i, (person, house, building, grid) in enumerate(people)], batch_size=5000)
    buildings = list(Building.objects.order_by("id").values_list("id", "grid_id")[:doors_wanted])
    Device.objects.bulk_create([Device(code=f"BENCH-DOOR-{i:05d}", kind="door", name=f"门禁 {i}", grid_id=grid,
                                       building_id=building) for i, (building, grid) in enumerate(buildings)])
    doors, tokens = [], {}
    for device in Device.objects.filter(code__startswith="BENCH-DOOR-").order_by("code"):
        doors.append((device.code, device.building_id))
        tokens[device.code] = do_issue_device_token(None, device)
    pools = {}
    for number, building in Card.objects.values_list("number", "building_id").order_by("id"):
        pools.setdefault(building, []).append(number)
    return doors, pools, tokens


def count_events() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sensing_accessevent")
        return cursor.fetchone()[0]


def empty_table():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE sensing_accessevent")


# --- raw COPY ------------------------------------------------------------------------------------------------

def raw_copy(doors, pools, total, size) -> float:
    """The rows as ingestion stores them (cards resolved), in COPY text made beforehand; one COPY, one commit."""
    from django.db import connection, transaction

    from wangge.sensing.cards import resolve
    from wangge.sensing.models import Device

    devices = {d.code: d for d in Device.objects.filter(code__startswith="BENCH-DOOR-")}
    resolved = resolve({n for pool in pools.values() for n in pool} | {"5101079999999999"}, None)
    now = datetime.now(UTC).isoformat()
    buffer = io.StringIO()
    for number in range(total // size):
        code, events = batch_events(doors, pools, number, size)
        device = devices[code]
        for e in events:
            card = resolved[e["card"]]
            check = card.check or ("elsewhere" if card.building_id not in (None, device.building_id) else "")
            card_id, person_id = card.card_id or NULL, card.person_id or NULL
            buffer.write(f"{e['seq']}\t{e['ts']}\t{now}\t{device.grid_id}\t{e['card']}\t\t{card_id}\t{person_id}\t"
                         f"{check}\t{e['door']}\t{e['direction']}\tt\t\t\t{device.pk}\n")
    text = buffer.getvalue().encode()
    columns = ("seq, at, received_at, grid_id, card_number, plate, card_id, person_id, card_check, door, direction, "
               "granted, reason, alarm, device_id")
    started = time.perf_counter()
    with transaction.atomic():
        with connection.cursor() as wrapper:
            with wrapper.cursor.copy(f"COPY sensing_accessevent ({columns}) FROM STDIN") as copy:
                for offset in range(0, len(text), 1 << 20):
                    copy.write(text[offset:offset + (1 << 20)])
    return time.perf_counter() - started


# --- HTTP ----------------------------------------------------------------------------------------------------

def http_client(port, doors, pools, tokens, numbers, size, results):
    """One client process: its batches in turn on one keep-alive connection; each sent until answered 200."""
    connection = HTTPConnection("127.0.0.1", port, timeout=120)
    stored = duplicates = failures = 0
    for number in numbers:
        code, events = batch_events(doors, pools, number, size)
        body = json.dumps(events)
        while True:
            try:
                connection.request("POST", "/api/v1/devices/events", body=body,
                                   headers={"Authorization": f"Bearer {tokens[code]}",
                                            "Content-Type": "application/json"})
                response = connection.getresponse()
                answer = response.read()
            except OSError:
                failures += 1
                connection.close()
                connection = HTTPConnection("127.0.0.1", port, timeout=120)
                continue
            if response.status == 200:
                counts = json.loads(answer)
                stored += counts["stored"]
                duplicates += counts["duplicates"]
                break
            failures += 1
            if failures > 50:
                raise SystemExit(f"HTTP {response.status}: {answer[:500]!r}")
    results.put((stored, duplicates, failures))


def run_http(env, args, doors, pools, tokens) -> tuple[float, int]:
    port = free_port()
    with tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False) as log:
        server = start_server(port, args.workers, 1, env, log, extra=["--no-worker", "--no-collectstatic"])
    try:
        batches = args.events // args.batch
        results = multiprocessing.Queue()
        clients = [multiprocessing.Process(target=http_client, args=(port, doors, pools, tokens,
                                                                      range(c, batches, args.connections),
                                                                      args.batch, results))
                   for c in range(args.connections)]
        started = time.perf_counter()
        for client in clients:
            client.start()
        outcomes = [results.get() for _client in clients]
        elapsed = time.perf_counter() - started
        for client in clients:
            client.join()
    finally:
        stop_server(server)
    stored = sum(o[0] for o in outcomes)
    print(f"  http: {stored:,} stored, {sum(o[1] for o in outcomes):,} duplicates, "
          f"{sum(o[2] for o in outcomes)} retried")
    return elapsed, stored


# --- MQTT ----------------------------------------------------------------------------------------------------

def start_broker(folder: Path) -> tuple[subprocess.Popen, int]:
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    port = free_port()
    conf = folder / "mosquitto.conf"
    # No cap on the subscribers' queues: the publishers run ahead of the subscribers by design here.
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 0\n"
                    + ("user root\n" if os.geteuid() == 0 else ""))
    broker = subprocess.Popen([binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return broker, port
        except OSError:
            if time.monotonic() > deadline or broker.poll() is not None:
                raise SystemExit("mosquitto did not start (Debian package mosquitto)")
            time.sleep(0.05)


def publisher(port, doors, pools, numbers, size, per_message, done):
    """One publisher process: its doors' events, each its own QoS 1 message (or lists of `per_message`, as a
    controller that buffers a second's events sends them), through bench/_mqtt_load.py."""
    from _mqtt_load import Publisher

    client = Publisher("127.0.0.1", port, f"bench-pub-{os.getpid()}")
    for number in numbers:
        code, events = batch_events(doors, pools, number, size)
        topic = f"wangge/devices/{code}/events".encode()
        if per_message == 1:
            client.publish_many([(topic, json.dumps(event).encode()) for event in events])
        else:
            client.publish_many([(topic, json.dumps(events[i:i + per_message]).encode())
                                 for i in range(0, len(events), per_message)])
    client.finish()
    done.put(1)


def run_mqtt(env, args, doors, pools, folder: Path) -> tuple[float, int]:
    broker, port = start_broker(folder)
    subscribers = []
    try:
        for s in range(args.subscribers):
            log = open(folder / f"subscriber-{s}.log", "w+")
            process = subprocess.Popen([sys.executable, "-m", "wangge", "mqtt_ingest", "--client-id", f"bench-{s}",
                                        "--url", f"mqtt://127.0.0.1:{port}"], cwd=ROOT, env=env, stdout=log,
                                       stderr=subprocess.STDOUT)
            subscribers.append((process, log))
        deadline = time.monotonic() + 60
        while not all("subscribed" in Path(log.name).read_text() for _p, log in subscribers):
            if time.monotonic() > deadline or any(p.poll() is not None for p, _log in subscribers):
                raise SystemExit("mqtt_ingest did not subscribe:\n"
                                 + "\n".join(Path(log.name).read_text() for _p, log in subscribers))
            time.sleep(0.1)
        batches = args.events // args.batch
        done = multiprocessing.Queue()
        publishers = [multiprocessing.Process(target=publisher, args=(port, doors, pools,
                                                                      range(p, batches, args.publishers), args.batch,
                                                                      args.per_message, done))
                      for p in range(args.publishers)]
        started = time.perf_counter()
        for process in publishers:
            process.start()
        expected = batches * args.batch
        stored, last_change, seen = 0, time.perf_counter(), 0
        finished, published = 0, None
        if args.profile:
            spies = [subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "--format", "raw",
                                       "-o", str(folder / f"subscriber-{s}.txt"), "--pid", str(p.pid), "--threads",
                                       "--nonblocking"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                     for s, (p, _log) in enumerate(subscribers)]
        while stored < expected:
            time.sleep(0.5)
            while not done.empty():
                finished += done.get()
                if finished == len(publishers):
                    published = time.perf_counter()
            stored = count_events()
            if stored != seen:
                seen, last_change = stored, time.perf_counter()
            elif time.perf_counter() - last_change > 60:
                print(f"  mqtt: stalled at {stored:,} of {expected:,}")
                break
        elapsed = time.perf_counter() - started
        for process in publishers:
            process.join()
        published = published or time.perf_counter()
        print(f"  mqtt: {stored:,} stored; the publishers had sent everything after {published - started:.1f} s")
        if args.profile:
            for spy in spies:
                spy.send_signal(2)
                spy.wait(30)
            for s in range(len(subscribers)):
                shutil.copy(folder / f"subscriber-{s}.txt", f"/tmp/bench-access-subscriber-{s}.txt")
            print("  profile: /tmp/bench-access-subscriber-*.txt (py-spy raw, collapsed stacks)")
    finally:
        for process, log in subscribers:
            process.terminate()
            process.wait(30)
            tail = Path(log.name).read_text().strip().splitlines()[-1:]
            print(f"  subscriber: {tail[0] if tail else ''}")
            log.close()
        broker.terminate()
        broker.wait(10)
    return elapsed, stored


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=1000, help="events per HTTP request (default 1000)")
    parser.add_argument("--doors", type=int, default=500, help="door controllers (default 500)")
    parser.add_argument("--people", type=int, default=20000, help="demo residents, each with a card (default 20000)")
    parser.add_argument("--connections", type=int, default=4, help="HTTP client processes (default 4)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--publishers", type=int, default=1, help="MQTT publisher processes (default 1)")
    parser.add_argument("--subscribers", type=int, default=2, help="mqtt_ingest processes (default 2)")
    parser.add_argument("--per-message", type=int, default=1,
                        help="events in one MQTT message (default 1; a divisor of --batch)")
    parser.add_argument("--skip", choices=["http", "mqtt"], action="append", default=[])
    parser.add_argument("--keep", action="store_true", help="keep the database bench_access afterwards")
    parser.add_argument("--profile", action="store_true",
                        help="record the subscribers with py-spy (pip install py-spy)")
    args = parser.parse_args()
    if args.events < args.batch or args.events % args.batch or args.batch % args.per_message:
        raise SystemExit("--events must be a multiple of --batch, and --batch of --per-message")

    folder = Path(tempfile.mkdtemp(prefix="bench-access-"))
    env = {**os.environ, "DATABASE_URL": f"{PG_SERVER}/{DB_NAME}", "WANGGE_DEBUG": "0",
           "WANGGE_VAR_DIR": str(folder / "var"), "WANGGE_SECRET_KEY": "bench-synthetic-" + "k" * 40,
           "DJANGO_SETTINGS_MODULE": "wangge.settings", "WANGGE_EVENT_RETENTION_DAYS": "180",
           "WANGGE_DATA_KEY": "YmVuY2gtc3ludGhldGljLWRhdGEta2V5LTMyLWJ5dGU="}  # 32 bytes, synthetic data only
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "WANGGE_DEBUG", "WANGGE_VAR_DIR", "WANGGE_SECRET_KEY",
                                           "DJANGO_SETTINGS_MODULE", "WANGGE_DATA_KEY")})
    print(f"== database {DB_NAME}: migrate, demo district with {args.people:,} residents (synthetic)")
    psql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    psql(f"CREATE DATABASE {DB_NAME}")
    try:
        wangge(env, "migrate", "--noinput", "-v0")
        wangge(env, "load_demo", "--people", str(args.people), "--cases", "0", "--disputes", "0")
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        doors, pools, tokens = seed(args.doors)
        total = (args.events // args.batch) * args.batch
        print(f"   {len(doors)} doors, {sum(len(p) for p in pools.values()):,} cards; {total:,} events each way")

        raw = raw_copy(doors, pools, total, args.batch)
        assert count_events() == total
        empty_table()
        print(f"raw COPY   {total / raw:12,.0f} events/s   ({raw:.1f} s)")
        failed = missing = False
        if "http" not in args.skip:
            from django.db import connection

            connection.close()
            elapsed, stored = run_http(env, args, doors, pools, tokens)
            missing |= count_events() != total
            empty_table()
            ratio = (total / elapsed) / (total / raw)
            failed |= ratio < TARGET_RATIO
            print(f"HTTP       {total / elapsed:12,.0f} events/s   ({elapsed:.1f} s)   http/raw {ratio:.2f} "
                  f"(target >= {TARGET_RATIO})")
        if "mqtt" not in args.skip:
            elapsed, stored = run_mqtt(env, args, doors, pools, folder)
            missing |= stored != total
            failed |= total / elapsed < TARGET_MQTT
            print(f"MQTT       {stored / elapsed:12,.0f} events/s   ({elapsed:.1f} s, end to end, "
                  f"{args.per_message} event(s) a message)   (target >= {TARGET_MQTT:,})")
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            psql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        shutil.rmtree(folder, ignore_errors=True)
    if missing:
        print("events missing: see above")
        sys.exit(2)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
