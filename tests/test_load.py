"""A shortened load run (bench/load.py runs the full one): 16 clients over every tab, in CI."""

import psutil

from bench import load
from harness.server import local_client, spawned


def test_sixteen_clients_over_every_tab_with_no_failure():
    with spawned(["-m", "harness.stand_in_server", "--tiny"]) as (pid, url, _):
        load.warm_up(url)
        before = psutil.Process(pid).memory_info().rss
        latencies, failures = load.run_load(url, clients=16, seconds=20)
        after = psutil.Process(pid).memory_info().rss
        label, _ = local_client(url).predict(*load.requests()["/classify_image"], api_name="/classify_image")
    assert failures == []
    assert set(latencies) == set(load.requests())  # every tab was served under load
    assert sum(len(times) for times in latencies.values()) >= 16
    assert after < before * 1.5  # no runaway growth (the full run in bench/RESULTS.md measures it)
    assert label["label"]
