"""Faults: PostgreSQL restarted (crash-like, `pg_ctl restart -m immediate`) under HTTP ingestion, with the device
retrying. Nothing lost, nothing stored twice.

The PostgreSQL restarted is one of the test's own (initdb in a temporary folder, its own port: nobody else's
server or test run is disturbed), with fsync on, so the restart is a real crash and recovery from the WAL. The
site (`e2e.Site`) is migrated into it and served by `python -m wangge serve` (gunicorn, 2 workers, persistent
database connections as deployed). A device thread posts batches of events and, like a controller, sends the
same batch again until it is answered 200: a 503 (the database unavailable: wangge/api.py), a broken connection
or a timeout are all retried. Halfway, PostgreSQL is restarted. At the end every event is stored exactly once.

`make test` runs these alone, after the rest, in its PostgreSQL pass (marker `faults`).
"""
import glob
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from http.client import HTTPConnection
from pathlib import Path

import pytest

from wangge.sensing.tests.e2e import Site, stop

pytestmark = pytest.mark.faults
BATCHES, PER_BATCH = 60, 50


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivatePostgres:
    """A PostgreSQL server of the test's own, in a temporary folder."""

    def __init__(self):
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        assert found, "PostgreSQL's server programs (Debian package postgresql) are needed"
        self.bin = Path(found[-1]).parent
        self.folder = Path(tempfile.mkdtemp(prefix="wangge-faults-pg-"))
        os.chmod(self.folder, 0o755)
        self.data = self.folder / "data"
        self.port = _free_port()
        self.as_postgres = os.geteuid() == 0  # initdb refuses to run as root
        if self.as_postgres:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        self.url = f"postgres://postgres@127.0.0.1:{self.port}"
        self.ctl("start", "-w")

    def _run(self, program, *args):
        command = [str(self.bin / program), *args]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=self.folder)
        assert done.returncode == 0, f"{program}: {done.stdout}\n{done.stderr}"

    def ctl(self, action, *args):
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "log"), "-o",
                  f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1", action, *args)

    def close(self):
        try:
            self.ctl("stop", "-m", "immediate")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture
def postgres():
    server = PrivatePostgres()
    yield server
    server.close()


class Device(threading.Thread):
    """A door controller: each batch sent until answered 200; every other answer or failure retried."""

    def __init__(self, port, token):
        super().__init__()
        self.port, self.token = port, token
        self.answers: dict[str, int] = {}
        self.acknowledged = 0
        self.stored = self.duplicates = 0
        self.done = threading.Event()
        self.start_at = datetime.now(UTC) - timedelta(minutes=4)

    def batch(self, number):
        return [{"seq": number * PER_BATCH + i, "ts": (self.start_at + timedelta(milliseconds=number * PER_BATCH + i))
                 .isoformat(), "card": "5101070000000018", "door": "1", "direction": "in", "granted": True}
                for i in range(PER_BATCH)]

    def run(self):
        for number in range(BATCHES):
            body = json.dumps(self.batch(number))
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                try:
                    connection = HTTPConnection("127.0.0.1", self.port, timeout=10)
                    connection.request("POST", "/api/v1/devices/events", body=body,
                                       headers={"Authorization": f"Bearer {self.token}",
                                                "Content-Type": "application/json"})
                    response = connection.getresponse()
                    answer = response.read()
                    connection.close()
                    key = str(response.status)
                except OSError as exc:
                    key = type(exc).__name__
                self.answers[key] = self.answers.get(key, 0) + 1
                if key == "200":
                    counts = json.loads(answer)
                    self.stored += counts["stored"]
                    self.duplicates += counts["duplicates"]
                    self.acknowledged += 1
                    break
                time.sleep(0.2)
            time.sleep(0.02)
        self.done.set()


def test_postgres_restarted_under_http_ingestion_loses_nothing_and_stores_nothing_twice(postgres, tmp_path):
    site = Site(tmp_path, database_url=f"{postgres.url}/wangge_faults", WANGGE_CONN_MAX_AGE="60")
    token = site.run("device_token", "DOOR-HOME-1").strip()
    port = _free_port()
    server = site.start("serve", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--no-worker",
                        "--no-collectstatic", ready="Listening at")
    device = Device(port, token)
    try:
        device.start()
        deadline = time.monotonic() + 60
        while device.acknowledged < BATCHES // 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert device.acknowledged < BATCHES, "the restart must land in the middle of the stream"
        postgres.ctl("restart", "-m", "immediate", "-w")  # a crash: no checkpoint, recovery from the WAL
        device.join(300)
        assert device.done.is_set(), f"the device could not send everything: {device.answers}"
        total = BATCHES * PER_BATCH
        assert site.query("SELECT count(*), count(DISTINCT seq) FROM sensing_accessevent") == [(total, total)]
        # The outage was seen (answered 503 or the connection failed) and retried; no answer was a 500.
        assert set(device.answers) - {"200"}, f"the restart went unnoticed: {device.answers}"
        assert "500" not in device.answers, device.answers
        assert device.stored + device.duplicates >= total and device.stored <= total
        print(f"answers while PostgreSQL restarted: {device.answers}")
    finally:
        device.join(5)
        stop(server)
        site.close()
