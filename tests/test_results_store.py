"""The results store (storage/results.py) on SQLite and on a real PostgreSQL: saving and opening,
files kept once by hash, who may delete, limits, 16 clients at once, and a save killed midway."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
import sqlalchemy as sa
from PIL import Image

from models.errors import ShowcaseError
from storage import results
from storage.results import MB, Limits, ResultGone, ResultStore, StoredFile
from tests.images import coloured
from tests.results_databases import DATABASES, database

KEY, OTHER_KEY = "a" * 32, "b" * 32


def png(seed: int, size: int = 64) -> bytes:
    return coloured((128, 128, 128), seed, size)


@pytest.fixture(params=DATABASES)
def url(request, tmp_path):
    with database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def open_store(url, tmp_path):
    """A store on the database with these limits (the defaults unless given)."""
    opened: list[ResultStore] = []

    def make(limits: Limits = Limits()) -> ResultStore:
        opened.append(ResultStore(url, tmp_path / "files", limits))
        return opened[-1]

    yield make
    for store in opened:
        store.close()


def test_a_result_and_its_files_come_back_after_the_store_is_opened_again(open_store):
    store = open_store()
    photo = StoredFile.image(png(1))
    saved = store.save(KEY, "detection", "zh", {"answer": "公共汽车", "photo": photo.sha256}, [photo, photo])
    store.close()
    again = open_store()
    result = again.open(saved.id)
    assert (result.tab, result.language, result.record["answer"]) == ("detection", "zh", "公共汽车")
    assert again.file(photo.sha256) == (photo.data, "image/png")
    assert len(saved.id) >= 22 and len({again.save(KEY, "detection", "en", {}, []).id for _ in range(20)}) == 20
    assert again.dialect in ("sqlite", "postgresql")


def test_a_file_two_results_hold_is_kept_once_and_goes_with_the_last(open_store, tmp_path):
    store = open_store()
    photo = StoredFile.image(png(2))
    first = store.save(KEY, "detection", "en", {}, [photo])
    second = store.save(KEY, "segmentation", "en", {}, [photo])
    assert len(list((tmp_path / "files").glob("*/*"))) == 1
    store.delete(first.id, KEY)
    assert store.file(photo.sha256)[0] == photo.data
    store.delete(second.id, KEY)
    assert store.sweep_files(now=time.time() + results.ORPHAN_AGE_S + 1) == 1
    assert not list((tmp_path / "files").glob("*/*"))
    with pytest.raises(ShowcaseError, match="no longer kept"):
        store.file(photo.sha256)


def test_only_the_browser_that_saved_a_result_deletes_it_and_its_link_then_says_so(open_store):
    store = open_store()
    saved = store.save(KEY, "generation", "en", {"text": "hi"}, [])
    assert [result.id for result in store.mine(KEY)] == [saved.id] and store.mine(OTHER_KEY) == []
    assert not store.delete(saved.id, OTHER_KEY)
    assert store.open(saved.id).record == {"text": "hi"}
    assert store.delete(saved.id, KEY)
    with pytest.raises(ResultGone, match="deleted by the browser that saved it"):
        store.open(saved.id)
    with pytest.raises(ResultGone, match="no saved result with this link"):
        store.open("x" * 32)
    with pytest.raises(ResultGone, match="no saved result"):
        store.open("../../etc/passwd")
    with pytest.raises(ShowcaseError, match="no key"):
        store.save("short", "generation", "en", {}, [])


def test_bytes_that_are_no_image_are_refused_and_other_images_kept_as_png():
    with pytest.raises(ShowcaseError, match="not an image"):
        StoredFile.image(b"<script>alert(1)</script>")
    bmp = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(bmp, "BMP")
    kept = StoredFile.image(bmp.getvalue())
    assert kept.media_type == "image/png" and kept.data.startswith(b"\x89PNG")


def test_limits_refuse_a_large_result_and_a_busy_browser_and_expire_old_results(open_store):
    store = open_store(Limits(total_bytes=10 * MB, result_bytes=50_000, per_hour=3, days=1))
    with pytest.raises(ShowcaseError, match="results of up to 0 MB are kept"):
        store.save(KEY, "detection", "en", {}, [StoredFile.image(png(3, size=300))])
    for _ in range(3):
        store.save(KEY, "generation", "en", {}, [])
    with pytest.raises(ShowcaseError, match="saved 3 results in the last hour"):
        store.save(KEY, "generation", "en", {}, [])
    old = store.save(OTHER_KEY, "generation", "en", {}, [], now=time.time() - 2 * 86400)
    with pytest.raises(ResultGone, match="expired: results are kept 1 days"):
        store.open(old.id)
    store.make_room(keep="")
    with pytest.raises(ResultGone, match="expired"):
        store.open(old.id)


def test_a_full_store_removes_the_oldest_results_first_and_says_how_many(open_store):
    store = open_store(Limits(total_bytes=60_000, result_bytes=MB, per_hour=100))
    ids = [store.save(KEY, "detection", "en", {}, [StoredFile.image(png(seed, size=85))]).id for seed in range(3)]
    newest = store.save(KEY, "detection", "en", {}, [StoredFile.image(png(9, size=85))])
    assert newest.evicted >= 1
    with pytest.raises(ResultGone, match="removed to make room"):
        store.open(ids[0])
    assert store.open(newest.id)


def test_sixteen_clients_saving_and_opening_at_once_lose_nothing(open_store):
    store = open_store(Limits(per_hour=1000))
    saved: dict[str, int] = {}
    failures: list[BaseException] = []

    def client(number: int) -> None:
        key = f"{number:032x}"
        try:
            for round_ in range(6):
                photo = StoredFile.image(png(number * 100 + round_ % 2))  # half the photos shared by two saves
                result = store.save(key, "detection", "en", {"client": number, "round": round_}, [photo])
                saved[result.id] = number
                assert store.open(result.id).record["client"] == number
                assert store.file(photo.sha256)[0] == photo.data
                assert len(store.mine(key)) == round_ + 1
        except BaseException as error:  # noqa: BLE001  (reported below, with the client's number)
            failures.append(error)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(saved) == 16 * 6
    assert all(store.open(result_id).record["client"] == client for result_id, client in saved.items())


SAVING_CHILD = """
import io, sys, numpy as np
from pathlib import Path
from PIL import Image
from storage.results import Limits, ResultStore, StoredFile
store = ResultStore(sys.argv[1], Path(sys.argv[2]), Limits(per_hour=10_000))
print("ready", flush=True)
for n in range(10_000):
    pixels = np.random.default_rng(n).integers(0, 255, (700, 700, 3), dtype=np.uint8)
    encoded = io.BytesIO()
    Image.fromarray(pixels).save(encoded, "PNG")  # about 1.5 MB: the file write takes a while
    photo = StoredFile.image(encoded.getvalue())
    store.save("c" * 32, "detection", "en", {"n": n, "photo": photo.sha256}, [photo])
"""


def test_a_server_killed_while_saving_leaves_whole_results_or_none(url, tmp_path):
    """kill -9 at moments spread over saves: every result the store then lists opens, with its file."""
    files = tmp_path / "files"
    for delay in (0.9, 1.3, 1.7, 2.2):
        child = subprocess.Popen(
            [sys.executable, "-c", SAVING_CHILD, url, str(files)],
            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
            stdout=subprocess.PIPE,
            text=True,
        )
        assert child.stdout.readline().strip() == "ready"
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait()
    store = ResultStore(url, files, Limits())
    kept = store.mine("c" * 32)
    assert kept, "no save finished before the kills"
    for result in kept:
        opened = store.open(result.id)
        data, media_type = store.file(opened.record["photo"])
        assert media_type == "image/png" and StoredFile.image(data).sha256 == opened.record["photo"]
    with store.engine.connect() as db:
        held = db.scalar(sa.select(sa.func.count()).select_from(results.RESULT_FILES))
    assert held == len(kept)
    store.close()
