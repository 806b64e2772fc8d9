"""Single-point HTTP locate under 16 concurrent keep-alive clients, against /api/v1/ping in the same run.

    .venv/bin/python bench/http_locate.py [--workers 3] [--threads 1] [--clients 16] [--requests 20000]

Makes a throwaway SQLite database in a temporary folder, migrates it, loads a
synthetic district of --grids grids (52-vertex polygons from bench/locate.py),
issues an API token, starts `python -m wangge serve` (gunicorn) on a free
loopback port and drives it from --clients client processes, each with its own
keep-alive connection (http.client; it reconnects by itself when a sync worker
closes the connection), sending the next request as soon as the last answered:

  locate  GET /api/v1/locate?lng=&lat=  with `Authorization: Bearer`, random
          points over the district (a few fall outside every grid);
  ping    GET /api/v1/ping, the same stack minus auth and locate: the reference.

Prints p50/p99 latency and throughput for both and their ratio. --workers and
--threads take comma-separated lists to compare settings. The server is
stopped at the end; nothing is left behind. Only loopback traffic.
"""
import argparse
import json
import multiprocessing
import os
import sys
import tempfile
import time
from http.client import HTTPConnection
from pathlib import Path

import numpy as np
from _server import free_port, start_server, stop_server  # bench/_server.py

ROOT = Path(__file__).resolve().parent.parent
TARGET_P99_MS = 5.0


def setup_database(folder: Path, grids: int, seed: int) -> tuple[str, tuple]:
    """Migrate a fresh SQLite database in `folder`, load grids; return (token, bounds)."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "wangge.settings"
    sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
    import django

    django.setup()
    import shapely
    from django.core.management import call_command
    from django.db import connection
    from locate import synthesise_grids  # bench/locate.py

    from wangge.areas.models import Level
    from wangge.core.roles import Role
    from wangge.core.services import do_create_token
    from wangge.testing import make_region, make_user

    call_command("migrate", verbosity=0)
    province = make_region("51", "四川省", Level.PROVINCE)
    city = make_region("5101", "成都市", Level.CITY, province)
    district = make_region("510107", "武侯区", Level.DISTRICT, city)
    polygons = synthesise_grids(grids, seed)
    per_community, per_street = 10, 100
    street = community = None
    for n, polygon in enumerate(polygons):
        if n % per_street == 0:
            street = make_region(f"510107{n // per_street + 1:03d}", f"街道{n // per_street + 1}", Level.STREET,
                                 district)
        if n % per_community == 0:
            c = n % per_street // per_community + 1
            community = make_region(f"{street.code}{c:03d}", f"{street.name}社区{c}", Level.COMMUNITY, street)
        g = n % per_community + 1
        make_region(f"{community.code}{g:03d}", f"{community.name}网格{g}", Level.GRID, community,
                    polygon=shapely.geometry.mapping(polygon), households=400)
    user = make_user("bench", Role.DISTRICT_OPERATOR, region=district)
    _, raw = do_create_token(None, user, name="bench")
    connection.close()
    return raw, tuple(shapely.total_bounds(polygons))


def client(port, paths, headers, warmup, deadline, results):
    """One keep-alive client: warm up, then time each request; report latencies in ns."""
    conn = HTTPConnection("127.0.0.1", port, timeout=30)
    latencies, errors, began = [], 0, None
    for n, path in enumerate(paths):
        if time.monotonic() > deadline:
            break
        start = time.perf_counter_ns()
        if n == warmup:
            began = time.monotonic()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        elapsed = time.perf_counter_ns() - start
        if response.status != 200:
            errors += 1
        if n >= warmup:
            latencies.append(elapsed)
    conn.close()
    results.put((latencies, errors, began, time.monotonic()))


def drive(port, clients, paths_for, headers, warmup, time_cap) -> dict:
    """Run `clients` processes together; return latency percentiles and throughput."""
    ctx = multiprocessing.get_context("fork")
    results = ctx.Queue()
    deadline = time.monotonic() + time_cap
    procs = [ctx.Process(target=client, args=(port, paths_for(c), headers, warmup, deadline, results))
             for c in range(clients)]
    for p in procs:
        p.start()
    collected = [results.get() for _ in procs]
    for p in procs:
        p.join()
    latencies = np.concatenate([np.asarray(c[0], dtype=np.int64) for c in collected]) / 1e6
    wall = max(c[3] for c in collected) - min(c[2] for c in collected if c[2] is not None)
    return {
        "requests": latencies.size,
        "errors": sum(c[1] for c in collected),
        "p50": float(np.percentile(latencies, 50)),
        "p99": float(np.percentile(latencies, 99)),
        "rate": latencies.size / wall,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # On a 2-core machine 3 sync workers did best of 2-4; threads made locate slower (GIL, one SQLite
    # connection per thread) though they let ping keep its connections alive.
    parser.add_argument("--workers", default="3", help="gunicorn workers; a list like 2,3,4 compares them")
    parser.add_argument("--threads", default="1", help="threads per worker; a list compares them")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=20_000, help="timed requests per phase, all clients")
    parser.add_argument("--time-cap", type=float, default=60.0, help="seconds per phase at most")
    parser.add_argument("--grids", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="wangge-bench-") as tmp:
        tmp = Path(tmp)
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}", "WANGGE_VAR_DIR": str(tmp / "var"),
               "WANGGE_DEBUG": "0", "WANGGE_SECRET_KEY": "bench-only-" + os.urandom(16).hex()}
        os.environ.update(env)
        started = time.perf_counter()
        token, (xmin, ymin, xmax, ymax) = setup_database(tmp, args.grids, args.seed)
        print(f"setup     {args.grids} grids in a fresh SQLite database ({time.perf_counter() - started:.1f} s); "
              f"{args.clients} clients, {args.requests:,} timed requests per phase, cap {args.time_cap:.0f} s")

        per_client = -(-args.requests // args.clients)
        warmup = 20

        def locate_paths(c):
            rng = np.random.default_rng(args.seed * 1000 + c)
            pts = zip(rng.uniform(xmin, xmax, per_client + warmup), rng.uniform(ymin, ymax, per_client + warmup))
            return [f"/api/v1/locate?lng={x:.6f}&lat={y:.6f}" for x, y in pts]

        def ping_paths(c):
            return ["/api/v1/ping"] * (per_client + warmup)

        auth = {"Authorization": f"Bearer {token}"}
        outcome = 0
        for workers in [int(w) for w in args.workers.split(",")]:
            for threads in [int(t) for t in args.threads.split(",")]:
                port = free_port()
                with open(tmp / f"server-{workers}-{threads}.log", "w") as log:
                    server = start_server(port, workers, threads, env, log)
                    try:
                        check_answer(port, auth, (xmin + xmax) / 2, (ymin + ymax) / 2)
                        located = drive(port, args.clients, locate_paths, auth, warmup, args.time_cap)
                        pinged = drive(port, args.clients, ping_paths, {}, warmup, args.time_cap)
                    finally:
                        stop_server(server)
                outcome |= report(workers, threads, located, pinged)
    return outcome


def check_answer(port, headers, lng, lat) -> None:
    conn = HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", f"/api/v1/locate?lng={lng}&lat={lat}", headers=headers)
    response = conn.getresponse()
    body = json.loads(response.read())
    conn.close()
    if response.status != 200 or not body.get("grid"):
        raise SystemExit(f"locate did not find the centre grid: {response.status} {body}")


def report(workers, threads, located, pinged) -> int:
    print(f"\nserver    --workers {workers} --threads {threads}")
    for name, r in (("locate", located), ("ping", pinged)):
        errors = f", {r['errors']} errors" if r["errors"] else ""
        print(f"{name:<9} p50 {r['p50']:6.2f} ms   p99 {r['p99']:6.2f} ms   {r['rate']:7,.0f} req/s "
              f"({r['requests']:,} requests{errors})")
    print(f"ratio     locate/ping throughput {located['rate'] / pinged['rate']:.2f}, "
          f"p99 {located['p99'] / pinged['p99']:.2f}x ping's")
    ok = located["p99"] < TARGET_P99_MS and not located["errors"]
    print(f"target    locate p99 < {TARGET_P99_MS:.0f} ms: {'OK' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
