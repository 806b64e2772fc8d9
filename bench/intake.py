"""Case intake over HTTP as deployed: POST /api/v1/cases against POST /api/v1/cases/validate, 32 connections.

    .venv/bin/python bench/intake.py [--connections 32] [--duration 15] [--workers 2] [--cases 0]

The server as it is deployed: `python -m wangge serve` (gunicorn, --workers 2 sync workers, WANGGE_DEBUG=0)
on PostgreSQL. The script creates the database `bench_intake` on postgres://postgres@127.0.0.1:5432 (dropped
first if a run before left it, and dropped at the end), migrates it, loads the demo district without its
residents (`load_demo --people 0 --cases N`: regions, the catalogue from the migrations, departments,
staff) and issues a token for the demo's connected system (`create_token system_feed`, Role.SYSTEM).

The load generator is wrk (Debian package `wrk`; installed with apt-get if missing, and the script says so),
on loopback only, bounded by --duration, with a Lua script that POSTs JSON case bodies: channel `device`, a
random point inside a random demo grid and a random category of the catalogue, picked per request from
--bodies pre-rendered bodies. The Lua script counts every status code and prints the latency percentiles.

  create    POST /api/v1/cases: validate, number, store, timeline and audit rows, look for duplicates;
  validate  POST /api/v1/cases/validate: the same body through the same checks, nothing stored: the
            reference (same server, same clients, same auth).

Prints both throughputs (req/s), their ratio create/validate (target >= 0.3) and p50/p99 of create
(target p99 < 100 ms), and, as information, create at one connection per worker (the service time without
queueing); exit status 1 if a target is missed, 2 if any request failed (any status other than
201/200, or a socket error). The server is stopped and the database dropped at the end. --profile also
records the workers with py-spy during the create run (flame graph SVG path printed).
"""
import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from http.client import HTTPConnection
from pathlib import Path

from _server import free_port, start_server, stop_server  # bench/_server.py

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
DB_NAME = "bench_intake"
TARGET_RATIO, TARGET_P99_MS = 0.3, 100.0
# `serve` also starts the background worker (deadline poller, texts) unless told not to: it polls once a minute
# and has nothing to do with intake, and a worker outliving a killed server would be left running.
NO_WORKER = ["--no-worker"] if "--no-worker" in (ROOT / "wangge/core/management/commands/serve.py").read_text() else []

LUA = r"""
-- bench/intake.py: POST one of the pre-rendered case bodies per request; count statuses; print percentiles.
local bodies = BODIES
local path = PATH
local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. TOKEN}
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(1000 + id)
  codes = {}
end

function request()
  return wrk.format("POST", path, headers, bodies[math.random(#bodies)])
end

function response(status, headers, body)
  codes[status] = (codes[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("codes")) do
      total[status] = (total[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(total) do table.insert(parts, string.format('"%d": %d', status, n)) end
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, "codes": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, e.connect, e.read, e.write, e.status, e.timeout, table.concat(parts, ", ")))
end
"""


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk is not installed: installing the Debian package wrk with apt-get ...", flush=True)
    if subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], stdout=subprocess.DEVNULL).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], stdout=subprocess.DEVNULL, check=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], stdout=subprocess.DEVNULL, check=True)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk could not be installed (apt-get install wrk)")
    return found


def pg(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def manage(env, *args) -> str:
    done = subprocess.run([sys.executable, "-m", "wangge", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"python -m wangge {' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return done.stdout


def case_bodies(env, count: int, seed: int) -> tuple[list[str], int]:
    """`count` JSON bodies: a random point inside a random grid of the demo, a random active category."""
    script = r"""
import json, sys
import django
django.setup()
from wangge.areas.models import Level, Region
from wangge.cases.models import Category
grids = list(Region.objects.filter(level=Level.GRID, path__startswith=Region.objects.get(code="510107").path)
             .values_list("polygon", flat=True))
codes = [c.full_code for c in Category.objects.filter(active=True, major__active=True).select_related("major")]
json.dump({"grids": grids, "categories": codes}, sys.stdout)
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"reading the demo's grids failed:\n{done.stderr[-3000:]}")
    data = json.loads(done.stdout)
    import shapely
    from shapely.geometry import shape

    rng = random.Random(seed)
    polygons = [shape(p) for p in data["grids"]]
    bodies = []
    for n in range(count):
        polygon = rng.choice(polygons)
        x0, y0, x1, y1 = polygon.bounds
        while True:
            lng, lat = rng.uniform(x0, x1), rng.uniform(y0, y1)
            if shapely.contains_xy(polygon, lng, lat):
                break
        category = rng.choice(data["categories"])
        bodies.append(json.dumps({
            "category": category, "title": f"物联感知告警 {n}", "description": "设备自动上报（压测）",
            "lng": round(lng, 6), "lat": round(lat, 6), "channel": "device", "address": f"压测点位{n}号",
        }))
    return bodies, len(polygons)


def post(port: int, path: str, token: str, body: str) -> tuple[int, str]:
    conn = HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("POST", path, body=body.encode(), headers={"Content-Type": "application/json",
                                                             "Authorization": f"Bearer {token}"})
    response = conn.getresponse()
    text = response.read().decode()
    conn.close()
    return response.status, text


def lua_script(folder: Path, name: str, path: str, token: str, bodies: list[str]) -> Path:
    table = "{\n" + ",\n".join("[==[" + b + "]==]" for b in bodies) + "\n}"
    script = LUA.replace("BODIES", table, 1).replace("PATH", json.dumps(path), 1).replace("TOKEN", json.dumps(token), 1)
    out = folder / f"{name}.lua"
    out.write_text(script)
    return out


def run_wrk(wrk: str, port: int, script: Path, connections: int, threads: int, duration: float) -> dict:
    done = subprocess.run(
        [wrk, "-t", str(threads), "-c", str(connections), "-d", f"{duration:g}s", "--timeout", "10s", "--latency",
         "-s", str(script), f"http://127.0.0.1:{port}"], capture_output=True, text=True,
        timeout=duration + 60)
    found = re.search(r"^RESULT (\{.*\})$", done.stdout, re.M)
    if done.returncode != 0 or not found:
        raise SystemExit(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    result = json.loads(found.group(1))
    result["rate"] = result["requests"] / (result["duration_us"] / 1e6)
    result["codes"] = {int(k): v for k, v in result["codes"].items()}
    result["wrk"] = done.stdout
    return result


def count_cases(env) -> int:
    import psycopg

    with psycopg.connect(env["DATABASE_URL"]) as conn:
        return conn.execute("SELECT count(*) FROM cases_case").fetchone()[0]


def settled_count(env) -> int:
    """Cases stored once the requests still in flight when wrk stopped have finished."""
    last = count_cases(env)
    while True:
        time.sleep(0.5)
        now = count_cases(env)
        if now == last:
            return now
        last = now


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per measured run")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of unmeasured load per endpoint first")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (deployed: 2)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--server-threads", type=int, default=1,
                        help="threads per gunicorn worker (serve's default: 1)")
    parser.add_argument("--cases", type=int, default=0,
                        help="demo cases loaded first (default 0; e.g. 20000 for a year's worth in the table)")
    parser.add_argument("--bodies", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", action="store_true", help="record the workers with py-spy during create")
    args = parser.parse_args(argv)

    wrk = ensure_wrk()
    tmp = Path(tempfile.mkdtemp(prefix="wangge-bench-intake-"))
    env = {**os.environ, "DATABASE_URL": f"{PG_SERVER}/{DB_NAME}", "WANGGE_VAR_DIR": str(tmp / "var"),
           "WANGGE_DEBUG": "0", "WANGGE_SECRET_KEY": "bench-only-" + os.urandom(16).hex(),
           "DJANGO_SETTINGS_MODULE": "wangge.settings"}
    server = None
    try:
        pg(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        pg(f'CREATE DATABASE "{DB_NAME}"')
        started = time.perf_counter()
        manage(env, "migrate", "--noinput", "-v0")
        manage(env, "load_demo", "--people", "0", "--cases", str(args.cases))
        token = manage(env, "create_token", "system_feed", "--name", "bench intake").strip().splitlines()[-1]
        bodies, grids = case_bodies(env, args.bodies, args.seed)
        print(f"setup     PostgreSQL database {DB_NAME}: demo district ({grids} grids, {args.cases} cases), "
              f"token for system_feed (Role.SYSTEM), {len(bodies)} case bodies "
              f"({time.perf_counter() - started:.1f} s)")
        port = free_port()
        log = open(tmp / "server.log", "w")
        server = start_server(port, args.workers, args.server_threads, env, log, NO_WORKER)
        # One of each by hand first: a wrong body should fail here, not as 200,000 errors.
        for path, expected in (("/api/v1/cases/validate", 200), ("/api/v1/cases", 201)):
            status, text = post(port, path, token, bodies[0])
            if status != expected:
                raise SystemExit(f"POST {path} answered {status}, expected {expected}: {text[:500]}")
        scripts = {name: lua_script(tmp, name, path, token, bodies)
                   for name, path in (("create", "/api/v1/cases"), ("validate", "/api/v1/cases/validate"))}
        print(f"load      wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s against gunicorn "
              f"--workers {args.workers} (sync), loopback; {args.warmup:g} s warm-up per endpoint")
        results = {}
        for name in ("validate", "create"):
            if args.warmup > 0:
                run_wrk(wrk, port, scripts[name], args.connections, args.threads, args.warmup)
            before = settled_count(env)
            spy = start_profile(server, tmp, args.duration) if args.profile and name == "create" else None
            results[name] = run_wrk(wrk, port, scripts[name], args.connections, args.threads, args.duration)
            if spy is not None:
                spy.wait(timeout=args.duration + 60)
                summarise_profile(tmp / "create.txt")
            results[name]["stored"] = settled_count(env) - before
        # As information: one connection per worker, so nothing queues and the latency is the service time.
        results["unqueued"] = run_wrk(wrk, port, scripts["create"], args.workers, 1, min(args.duration, 5))
        settled_count(env)
        return report(results, args)
    finally:
        if server is not None:
            stop_server(server)
        try:
            pg(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        except Exception as exc:  # noqa: BLE001 - say so, but finish cleaning up
            print(f"could not drop database {DB_NAME}: {exc}", file=sys.stderr)
        if not args.profile:
            shutil.rmtree(tmp, ignore_errors=True)


def start_profile(server, tmp: Path, duration: float):
    """py-spy over the gunicorn master and its workers for the measured run (collapsed stacks)."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        print("py-spy not found (pip install py-spy, or put it on PATH): not profiling", file=sys.stderr)
        return None
    return subprocess.Popen([spy, "record", "--subprocesses", "--pid", str(server.pid), "--duration",
                             str(int(duration)), "--rate", "250", "--format", "raw", "--output",
                             str(tmp / "create.txt")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def summarise_profile(path: Path, top: int = 25) -> None:
    """Inclusive share of the workers' samples per function (a function counted once per stack)."""
    if not path.exists():
        print("profile   py-spy wrote nothing (ptrace not permitted?)")
        return
    inclusive, total = {}, 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        for frame in set(stack.split(";")):
            name = re.sub(r" \(.*/(site-packages|wangge)/", r" (\1/", frame)
            inclusive[name] = inclusive.get(name, 0) + n
    print(f"profile   {total} samples of the gunicorn processes during create (py-spy --format raw: {path})")
    interesting = [(n, f) for f, n in inclusive.items()
                   if ("wangge/" in f and "__main__" not in f and "serve.py" not in f)
                   or f.startswith(("Connection.wait ", "SyncWorker.handle_request ", "Operation.run "))]
    for n, frame in sorted(interesting, reverse=True)[:top]:
        print(f"  {100 * n / total:5.1f}%  {frame[:150]}")


def report(results: dict, args) -> int:
    failed = False
    for name in ("create", "validate"):
        r = results[name]
        expected = 201 if name == "create" else 200
        errors = {k: v for k, v in r["errors"].items() if v}
        bad = {code: n for code, n in r["codes"].items() if code != expected}
        print(f"{name:<9} {r['rate']:7,.0f} req/s   p50 {r['p50_us'] / 1000:6.1f} ms   p90 {r['p90_us'] / 1000:6.1f} ms"
              f"   p99 {r['p99_us'] / 1000:6.1f} ms   max {r['max_us'] / 1000:6.1f} ms   "
              f"({r['requests']:,} requests, {r['stored']:,} cases stored)")
        if bad or errors:
            failed = True
            print(f"ERROR     {name}: {sum(bad.values())} answers other than {expected} {bad}, socket errors {errors}")
    u = results["unqueued"]
    print(f"unqueued  create at {args.workers} connections (one per worker): {u['rate']:,.0f} req/s, "
          f"p50 {u['p50_us'] / 1000:.1f} ms, p99 {u['p99_us'] / 1000:.1f} ms (information; at "
          f"{args.connections} connections a closed loop waits about {args.connections} / throughput)")
    if any(code != 201 for code in u["codes"]) or any(u["errors"].values()):
        failed = True
        print(f"ERROR     unqueued create: {u['codes']} {u['errors']}")
    created = results["create"]
    # Requests still in flight when wrk stops (at most one per connection) are stored but not counted by wrk.
    if not 0 <= created["stored"] - created["codes"].get(201, 0) <= args.connections:
        failed = True
        print(f"ERROR     create answered 201 {created['codes'].get(201, 0)} times"
              f" but stored {created['stored']} cases")
    if results["validate"]["stored"]:
        failed = True
        print(f"ERROR     validate stored {results['validate']['stored']} cases")
    ratio = created["rate"] / results["validate"]["rate"]
    p99 = created["p99_us"] / 1000
    ratio_ok, p99_ok = ratio >= TARGET_RATIO, p99 < TARGET_P99_MS
    print(f"ratio     create/validate throughput {ratio:.2f} (target >= {TARGET_RATIO}: "
          f"{'OK' if ratio_ok else 'MISSED'})")
    print(f"target    create p99 {p99:.1f} ms < {TARGET_P99_MS:.0f} ms: {'OK' if p99_ok else 'MISSED'}")
    if failed:
        print("FAILED    some requests errored (see above)")
        return 2
    return 0 if ratio_ok and p99_ok else 1


if __name__ == "__main__":
    sys.exit(main())
