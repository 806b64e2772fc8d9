"""A site of its own for tests that run `python -m wangge` in other processes (the MQTT subscriber, the server):
a database they can reach (a SQLite file, or a PostgreSQL database of its own when DATABASE_URL names
PostgreSQL), migrated, with the synthetic test world, its registry and its sensing devices (a door with a
card: testing.build_sensing), and direct SQL to look at what they stored."""
import os
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SEED = ("from wangge.testing import build_world, build_registry; from wangge.sensing.testing import build_sensing; "
        "w = build_world(); s = build_sensing(w, build_registry(w)); print(s['card'].number)")


class Site:
    def __init__(self, folder: Path, database_url: str | None = None, **env):
        self.folder = folder
        base = database_url or os.environ.get("DATABASE_URL", "")
        self.postgres = base.startswith("postgres")
        if self.postgres:
            self.server = base.rsplit("/", 1)[0]
            self.db_name = f"wangge_e2e_{uuid.uuid4().hex[:10]}"
            self._admin(f'CREATE DATABASE "{self.db_name}"')
            self.url = f"{self.server}/{self.db_name}"
        else:
            self.url = f"sqlite:///{folder / 'site.sqlite3'}"
        self.env = {**os.environ, "DATABASE_URL": self.url, "WANGGE_VAR_DIR": str(folder / "var"),
                    "WANGGE_SECRET_KEY": "synthetic-e2e-secret-key-" + "x" * 30, "WANGGE_DEBUG": "0",
                    "WANGGE_CONN_MAX_AGE": "0", "PYTHONUNBUFFERED": "1", **env}
        self.run("migrate", "--noinput", "-v0")
        self.card = self.run("shell", "-c", SEED).strip().splitlines()[-1]

    def _admin(self, sql: str):
        import psycopg

        with psycopg.connect(f"{self.server}/postgres", autocommit=True) as conn:
            conn.execute(sql)

    def run(self, *args, timeout=180) -> str:
        done = subprocess.run([sys.executable, "-m", "wangge", *args], cwd=ROOT, env=self.env, capture_output=True,
                              text=True, timeout=timeout)
        assert done.returncode == 0, f"wangge {args[0]} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def start(self, *args, ready: str | None = None, timeout=60, env: dict | None = None) -> subprocess.Popen:
        """`python -m wangge ARGS` in the background; waits for a line containing `ready` on its output."""
        log = open(self.folder / f"{args[0]}-{time.monotonic_ns()}.log", "w+")
        process = subprocess.Popen([sys.executable, "-m", "wangge", *args], cwd=ROOT, env={**self.env, **(env or {})},
                                   stdout=log, stderr=subprocess.STDOUT)
        process.log = log
        if ready:
            deadline = time.monotonic() + timeout
            while ready not in Path(log.name).read_text():
                assert process.poll() is None, f"{args[0]} exited:\n{Path(log.name).read_text()}"
                assert time.monotonic() < deadline, f"{args[0]} not ready:\n{Path(log.name).read_text()}"
                time.sleep(0.1)
        return process

    def output(self, process) -> str:
        return Path(process.log.name).read_text()

    def query(self, sql: str, params=()) -> list:
        if self.postgres:
            import psycopg

            with psycopg.connect(self.url) as conn:
                return conn.execute(sql.replace("?", "%s"), params).fetchall()
        with sqlite3.connect(self.folder / "site.sqlite3", timeout=30) as conn:
            return conn.execute(sql, params).fetchall()

    def scalar(self, sql: str, params=()):
        return self.query(sql, params)[0][0]

    def wait_for(self, sql: str, expected, timeout=60, params=()):
        deadline = time.monotonic() + timeout
        value = None
        while time.monotonic() < deadline:
            value = self.scalar(sql, params)
            if value == expected:
                return value
            time.sleep(0.2)
        return value

    def close(self):
        if self.postgres:
            self._admin(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')


def stop(process, kill=False):
    if process.poll() is None:
        (process.kill if kill else process.terminate)()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    process.log.close()


def forget_session(client_id: str, host="127.0.0.1", port=1883):
    """End a subscriber's persistent session on the broker (a test's subscriber leaves none behind)."""
    import paho.mqtt.client as paho
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTv5)
    properties = Properties(PacketTypes.CONNECT)
    properties.SessionExpiryInterval = 0
    client.connect(host, port, clean_start=True, properties=properties)
    client.loop_start()
    time.sleep(0.2)
    client.disconnect()
    client.loop_stop()
