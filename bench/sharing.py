"""Shared results: how long saving and opening one takes, what a result of each tab stores, and a
load run with sharing mixed in; on SQLite and on PostgreSQL.

    python -m bench.sharing [--postgresql URL] [--seconds 90] [--clients 16]

Per database, the dashboard is served in its own process (harness.stand_in_server --tiny: sharing
does not depend on the models' size) with a fresh results store, and:
- store: the store's save and open of a detection result (two photos and a table), in this process,
  median of 40;
- page: in Chromium, each inference tab's first example run and shared: Share pressed until the
  link shows, then the link opened until the saved answer shows (what a visitor waits for), and
  what the result stores (record and files);
- load: 16 gradio_client clients over every tab's endpoint while a Chromium page runs, shares and
  opens results on the tabs in turn; every shared link is opened again at the end: lost and failed
  are counted.
PostgreSQL: a database created on the server the URL names (or SHOWCASE_TEST_DB) and dropped after.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import secrets
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

from harness import offline  # noqa: F401  (first: offline model caches, before huggingface_hub reads them)

# isort: split

import numpy as np
import sqlalchemy as sa
from PIL import Image
from playwright.sync_api import expect, sync_playwright

import examples
import tasks
from bench.load import run_load, warm_up
from harness.server import local_client, spawned
from storage import results
from storage.results import Limits, ResultStore, StoredFile

INFERENCE_TABS = [task.key for task in tasks.registered() if task.section != "Training"]
# What a tab shows once its answer is whole (an info line's time; generation's stream says done).
DONE = {"generation": r"· done", "tokenizer": r"\d+ tokens for \d+ characters"}


def cpu_flags() -> str:
    flags = open("/proc/cpuinfo").read().split("flags\t\t: ", 1)[1].split("\n", 1)[0].split()
    wanted = ("avx2", "fma", "avx512f", "avx512_bf16", "avx512_vnni", "avx_vnni", "amx_bf16", "amx_int8")
    return ", ".join(flag for flag in wanted if flag in flags)


def fresh_postgresql(server: str) -> tuple[str, sa.Engine, str]:
    admin = sa.create_engine(results.driver_url(server), isolation_level="AUTOCOMMIT")
    name = f"showcase_bench_{secrets.token_hex(4)}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    return results.driver_url(server).rsplit("/", 1)[0] + f"/{name}", admin, name


def store_times(url: str, files: Path, rounds: int = 40) -> tuple[float, float]:
    """Median ms to save and to open a detection result in the store, this process."""
    store = ResultStore(url, files, Limits(per_hour=10_000))
    photo = open(examples.bus(), "rb").read()
    saved, opened = [], []
    for n in range(rounds):
        answer = np.asarray(Image.open(examples.bus()).convert("RGB")).copy()
        answer[:8, :8] = n  # another answer each time: a file written each time, as for a new photo
        buffer = io.BytesIO()
        Image.fromarray(answer).save(buffer, "JPEG", quality=90)
        record = {"fields": [{"key": "Objects|table|1", "value": {"headers": ["class"], "data": [["bus"]] * 6}}]}
        started = time.perf_counter()
        result = store.save(
            "d" * 32, "detection", "en", record, [StoredFile.image(photo), StoredFile.image(buffer.getvalue())]
        )
        saved.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        store.open(result.id)
        opened.append((time.perf_counter() - started) * 1000)
    store.close()
    return statistics.median(saved), statistics.median(opened)


def run_and_share(page, url: str, key: str) -> tuple[str, str, float]:
    """Runs the tab's first example and shares it: the link, the answer's line, and ms to the link."""
    page.goto(url + f"?tab={key}")
    panel = page.locator(f"#task-{key}")
    panel.wait_for(state="visible", timeout=60_000)
    panel.locator("tr.tr-body td, button.gallery-item").first.click()
    page.wait_for_timeout(1500)
    panel.locator("button.primary:visible").first.click()
    done = re.compile(DONE.get(key, r"\d+ ms"))
    expect(panel).to_contain_text(done, timeout=300_000)
    page.wait_for_timeout(300)
    answer = next(line for line in panel.inner_text().splitlines() if done.search(line))
    started = time.perf_counter()
    panel.locator(f"#{key}-share-button").click()
    link = panel.locator(f"#{key}-share-link textarea")
    expect(link).to_have_value(re.compile(r"result="), timeout=120_000)
    return link.input_value(), answer, (time.perf_counter() - started) * 1000


def open_link(page, key: str, link: str, answer: str) -> float:
    """ms from opening a link until its tab shows the saved answer."""
    started = time.perf_counter()
    page.goto(link)
    expect(page.locator(f"#task-{key}")).to_contain_text(answer, timeout=120_000)
    expect(page.locator("#saved-result")).to_be_visible()
    return (time.perf_counter() - started) * 1000


def stored_bytes(store: ResultStore, link: str) -> tuple[int, int]:
    """What a shared result stores: its record's bytes, and its files' (each photo once)."""
    result = store.open(link.rsplit("=", 1)[1])
    photos = {f["value"]["sha256"] for f in result.record["fields"] if f["kind"] == "image" and f["value"]}
    files = sum(len(store.file(sha256)[0]) for sha256 in photos)
    return result.size - files, files


def open_tab(page, url: str, key: str) -> float:
    """ms from opening the plain link of a tab (`?tab=`) until the page has loaded it: the baseline."""
    started = time.perf_counter()
    page.goto(url + f"?tab={key}")
    expect(page.locator(f"#task-{key}")).to_be_visible(timeout=120_000)
    expect(page.locator(".prose.showcase-where")).to_contain_text("Running", timeout=120_000)
    return (time.perf_counter() - started) * 1000


def measure(kind: str, db_url: str, data: Path, seconds: float, clients: int) -> dict:
    os.environ["SHOWCASE_DATA"] = str(data)
    if kind == "postgresql":
        os.environ["SHOWCASE_DB"] = db_url
    else:
        os.environ.pop("SHOWCASE_DB", None)
    found: dict = {"store": store_times(db_url, data / "bench-files")}
    with spawned(["-m", "harness.stand_in_server", "--tiny"]) as (_, url, _), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
        page = browser.new_context(viewport={"width": 1300, "height": 1000}).new_page()
        reader = browser.new_context(viewport={"width": 1300, "height": 1000}).new_page()
        pages = {}
        for key in INFERENCE_TABS:
            run_and_share(page, url, key)  # first: conversions, first requests
            link, answer, share_ms = run_and_share(page, url, key)
            pages[key] = (share_ms, open_link(reader, key, link, answer), link, open_tab(reader, url, key))
        found["page"] = pages
        store = ResultStore(db_url, data / "files", Limits())
        found["sizes"] = {key: stored_bytes(store, link) for key, (_, _, link, _) in pages.items()}
        warm_up(url)
        load: dict = {}
        loader = threading.Thread(
            target=lambda: load.update(zip(("latencies", "failures"), run_load(url, clients, seconds)))
        )
        loader.start()
        shared: list[tuple[str, str, str]] = []
        share_failures: list[str] = []
        turn = 0
        while loader.is_alive():
            key = INFERENCE_TABS[turn % len(INFERENCE_TABS)]
            turn += 1
            try:
                link, answer, _ = run_and_share(page, url, key)
                shared.append((key, link, answer))
                open_link(reader, key, link, answer)
            except Exception as error:  # every failure is counted, none should happen
                share_failures.append(f"{key}: {type(error).__name__}: {str(error)[:200]}")
        loader.join()
        lost = []
        client = local_client(url)
        for key, link, answer in shared:
            try:
                assert client.predict(link.rsplit("=", 1)[1], api_name="/share") == link
                open_link(reader, key, link, answer)
            except Exception as error:
                lost.append(f"{key}: {type(error).__name__}")
        found["load"] = {
            "requests": sum(len(v) for v in load["latencies"].values()),
            "failed": len(load["failures"]) + len(share_failures),
            "shared": len(shared),
            "lost": len(lost),
            "details": (load["failures"] + share_failures + lost)[:5],
        }
        store.close()
        browser.close()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgresql", default=os.environ.get("SHOWCASE_TEST_DB"), help="a PostgreSQL server's URL")
    parser.add_argument("--seconds", type=float, default=90)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()
    print(f"CPU: {os.cpu_count()} cores; flags of interest: {cpu_flags()}")
    found = {}
    for kind in ("sqlite", "postgresql") if args.postgresql else ("sqlite",):
        data = Path(tempfile.mkdtemp(prefix=f"showcase-bench-{kind}-"))
        try:
            if kind == "sqlite":
                found[kind] = measure(kind, f"sqlite:///{data / 'results.sqlite'}", data, args.seconds, args.clients)
                continue
            url, admin, name = fresh_postgresql(args.postgresql)
            try:
                found[kind] = measure(kind, url, data, args.seconds, args.clients)
            finally:
                with admin.connect() as connection:
                    connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        finally:
            shutil.rmtree(data, ignore_errors=True)
    print("\n| database | store: save ms | store: open ms |")
    print("|---|---|---|")
    for kind, got in found.items():
        print(f"| {kind} | {got['store'][0]:.1f} | {got['store'][1]:.1f} |")
    titles = (f"{kind}: Share → link ms | {kind}: link → answer ms | {kind}: ?tab= → tab ms" for kind in found)
    print("\n| tab | " + " | ".join(titles) + " | record KB | files KB |")
    print("|---|" + "---|---|---|" * len(found) + "---|---|")
    for key in INFERENCE_TABS:
        cells = [" | ".join(f"{got['page'][key][n]:.0f}" for n in (0, 1, 3)) for got in found.values()]
        record, files = next(iter(found.values()))["sizes"][key]
        print(f"| {key} | " + " | ".join(cells) + f" | {record / 1024:.1f} | {files / 1024:.1f} |")
    print("\n| database | clients | seconds | API requests | results shared and opened | failed | lost |")
    print("|---|---|---|---|---|---|---|")
    for kind, got in found.items():
        load = got["load"]
        counts = (load["requests"], load["shared"], load["failed"], load["lost"])
        print(f"| {kind} | {args.clients} | {args.seconds:.0f} | " + " | ".join(map(str, counts)) + " |")
        for detail in load["details"]:
            print(f"  {kind}: {detail}")


if __name__ == "__main__":
    main()
