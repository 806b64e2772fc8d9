"""What the HTTP benchmarks share: a free port, and `wangge serve` started (answering /api/v1/ping) and stopped.

Imported by the scripts in bench/ (their own folder is on sys.path when run as `python bench/x.py`)."""
import socket
import subprocess
import sys
import time
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, workers: int, threads: int, env: dict, log, extra: list | tuple = ()) -> subprocess.Popen:
    """`wangge serve` on 127.0.0.1:port (with `extra` arguments), once it answers /api/v1/ping (60 s at most)."""
    server = subprocess.Popen(
        [sys.executable, "-m", "wangge", "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
         "--threads", str(threads), *extra], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            log.flush()
            raise SystemExit(f"server exited with {server.returncode}:\n{Path(log.name).read_text()[-3000:]}")
        try:
            conn = HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/ping")
            if conn.getresponse().status == 200:
                conn.close()
                return server
        except OSError:
            time.sleep(0.2)
    stop_server(server)
    raise SystemExit("server did not answer /api/v1/ping within 60 s")


def stop_server(server: subprocess.Popen) -> None:
    server.terminate()  # gunicorn's master stops its workers on SIGTERM
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
