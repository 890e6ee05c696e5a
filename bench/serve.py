"""The embedded backend against Ray Serve with 1 and 2 replicas per family, under concurrent clients.

    python -m bench.serve [--clients 16] [--seconds 60] [--replicas 1 2] [--endpoints /compare ...]

Each setting serves the dashboard in its own process (harness.stand_in_server, full-size stand-ins
where real weights are missing; with --backend ray a local Ray instance on this machine's cores),
warms it up, then runs the clients, each cycling through /detect (YOLOv8n), /similarity (MiniLM)
and /generate (GPT-2 124M, 20 tokens) with gradio_client (or the --endpoints given, as
bench.load's requests make them). Reported: requests answered per second,
p50 and p95 latency per endpoint, failures, the CPU time the server and its Ray processes spent per
request (and the app process's share), and their memory (proportional set size, so shared pages
count once; the largest replica of each family).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import psutil

from harness import offline  # noqa: F401  (first: offline model caches, before huggingface_hub reads them)

# isort: split

from bench.load import p95, requests, run_load, warm_up
from harness.server import spawned

ENDPOINTS = ("/detect", "/similarity", "/generate")


def tree(pid: int) -> list[psutil.Process]:
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def cpu_seconds(processes: list[psutil.Process]) -> float:
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def memory_mb(processes: list[psutil.Process]) -> dict[str, float]:
    """Proportional set size in MB: the whole tree, and each Serve replica by family."""
    sizes = {"all": 0.0}
    for process in processes:
        try:
            mb = process.memory_full_info().pss / 2**20
            name = " ".join(process.cmdline())  # Ray titles its actors' processes
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        sizes["all"] += mb
        if name.startswith("ray::ServeReplica:"):  # ray::ServeReplica:<app>:<deployment>
            family = name.split(":")[-1].strip()  # the title is padded with spaces
            sizes[family] = max(sizes.get(family, 0.0), mb)
    return sizes


def measure(command: list[str], endpoints: list[str], clients: int, seconds: float, warm_up_seconds: float) -> dict:
    chosen = {endpoint: requests()[endpoint] for endpoint in endpoints}
    with spawned(["-m", "harness.stand_in_server", *command], timeout=900) as (pid, url, _):
        warm_up(url, chosen)
        _, failures = run_load(url, clients, warm_up_seconds, chosen)  # replicas and caches reach their size
        processes = tree(pid)
        cpu_before = cpu_seconds(processes)
        app_before = cpu_seconds(processes[:1])
        started = time.perf_counter()
        latencies, more_failures = run_load(url, clients, seconds, chosen)
        elapsed, cpu_used = time.perf_counter() - started, cpu_seconds(processes) - cpu_before
        app_cpu_used = cpu_seconds(processes[:1]) - app_before
        memory = memory_mb(tree(pid))
    answered = sum(len(times) for times in latencies.values())
    return {
        "latencies": latencies,
        "failures": failures + more_failures,
        "per_second": answered / elapsed,
        "cpu_per_request": cpu_used / max(answered, 1),
        "app_cpu_per_request": app_cpu_used / max(answered, 1),
        "memory_mb": memory,
        "answered": answered,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--warm-up-seconds", type=float, default=20)
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 2])
    parser.add_argument(
        "--endpoints",
        nargs="+",
        default=list(ENDPOINTS),
        help=f"which the clients cycle through (default: {ENDPOINTS})",
    )
    args = parser.parse_args()
    endpoints = args.endpoints
    settings = {"embedded": []} | {
        f"Ray Serve, {n} replica{'s' if n > 1 else ''} per family": ["--backend", "ray", "--replicas", str(n)]
        for n in args.replicas
    }
    print(
        f"{os.cpu_count()} CPU cores, {psutil.virtual_memory().total / 2**30:.0f} GiB, {platform.machine()}; "
        f"{args.clients} clients for {args.seconds:.0f} s after {args.warm_up_seconds:.0f} s of warm-up, cycling "
        f"{', '.join(endpoints)}\n"
    )
    results = {
        name: measure(command, endpoints, args.clients, args.seconds, args.warm_up_seconds)
        for name, command in settings.items()
    }
    baseline = results["embedded"]["per_second"]
    print(
        "| backend | answered | requests/s | vs embedded | "
        + " | ".join(f"{e} p50 / p95 s" for e in endpoints)
        + " | failed | CPU s per request (the app's) | memory |"
    )
    print("|---|---:|---:|---:|" + "---:|" * len(endpoints) + "---:|---:|---:|")
    for name, result in results.items():
        cells = []
        for endpoint in endpoints:
            times = result["latencies"].get(endpoint, [])
            cells.append(f"{statistics.median(times):.2f} / {p95(times):.2f}" if times else "none")
        print(
            f"| {name} | {result['answered']} | {result['per_second']:.2f} | {result['per_second'] / baseline:.2f}x | "
            + " | ".join(cells)
            + f" | {len(result['failures'])} | {result['cpu_per_request']:.2f} "
            f"({result['app_cpu_per_request']:.2f}) | "
            f"{result['memory_mb']['all'] / 1024:.2f} GB |"
        )
    for name, result in results.items():
        replicas = {family: mb for family, mb in result["memory_mb"].items() if family != "all"}
        if replicas:
            print(
                f"\n{name}, one replica's memory: "
                + ", ".join(f"{family} {mb:.0f} MB" for family, mb in replicas.items())
            )
    for name, result in results.items():
        for failure in result["failures"][:5]:
            print(f"FAILED ({name})", failure)


if __name__ == "__main__":
    main()
