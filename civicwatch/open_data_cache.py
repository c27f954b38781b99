"""Downloads built once and shared: each request for the same file (path, filters, language) within a minute of
its build is sent the file already written, and requests that arrive while it is being built wait for that build
instead of reading the whole table again each. An entry is used only while what it was built from has not changed
(`stamp`), so a withdrawn answer is never sent again once withdrawn; and for no longer than a proxy may keep the
file anyway (Cache-Control, open_data.public_caching)."""
from __future__ import annotations

import datetime as dt
import os
import tempfile
import threading
import weakref
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass, field

from flask import Response, current_app, request
from flask_babel import get_locale

from civicwatch.database import utcnow
from civicwatch.open_data import SEND_BLOCK_BYTES, file_response, written


@dataclass
class _Built:
    stamp: Hashable
    built_at: dt.datetime
    size: int
    content: bytes | None  # a small file, in memory
    spool: tempfile.SpooledTemporaryFile[bytes] | None  # a large one, on disk: closed once no response holds it

    def blocks(self) -> Iterator[bytes]:
        if self.content is not None:
            for start in range(0, self.size, SEND_BLOCK_BYTES):
                yield self.content[start:start + SEND_BLOCK_BYTES]
            return
        assert self.spool is not None
        offset = 0  # each response reads at its own offset: the file is shared
        while block := os.pread(self.spool.fileno(), SEND_BLOCK_BYTES, offset):
            offset += len(block)
            yield block


@dataclass
class _Cache:
    """One app's (a process's) downloads."""

    entries: dict[Hashable, _Built] = field(default_factory=dict)
    building: dict[Hashable, threading.Lock] = field(default_factory=dict)
    guard: threading.Lock = field(default_factory=threading.Lock)


def _cache() -> _Cache:
    cache: _Cache = current_app.extensions.setdefault("open_data_cache", _Cache())  # dict.setdefault is atomic
    return cache


def shared_download(stamp: Hashable, build: Callable[[], Iterable[str]], mimetype: str, filename: str) -> Response:
    """The download of this request's path and filters in its language, built by `build` unless a build of the last
    DOWNLOAD_CACHE_SECONDS with the same `stamp` is kept."""
    key = (request.path, tuple(sorted(request.args.items(multi=True))), str(get_locale()))
    cache = _cache()
    entry = _fresh(cache, key, stamp)
    if entry is None:
        with cache.guard:
            lock = cache.building.setdefault(key, threading.Lock())
        with lock:  # one build at a time for a key: the others wait for it, then take it
            entry = _fresh(cache, key, stamp)
            if entry is None:
                entry = _build(cache, key, stamp, build)
            with cache.guard:
                if cache.building.get(key) is lock:
                    del cache.building[key]
    return file_response(entry.blocks(), entry.size, mimetype, filename)


def _fresh(cache: _Cache, key: Hashable, stamp: Hashable) -> _Built | None:
    now = utcnow()
    kept = dt.timedelta(seconds=current_app.config["DOWNLOAD_CACHE_SECONDS"])
    with cache.guard:
        for old in [k for k, e in cache.entries.items() if now - e.built_at >= kept or now < e.built_at]:
            del cache.entries[old]  # a response still sending it keeps it until its end
        entry = cache.entries.get(key)
        return entry if entry is not None and entry.stamp == stamp else None


def _build(cache: _Cache, key: Hashable, stamp: Hashable, build: Callable[[], Iterable[str]]) -> _Built:
    spool = written(build())
    size = spool.tell()
    if size <= current_app.config["DOWNLOAD_IN_MEMORY_BYTES"]:
        spool.seek(0)
        entry = _Built(stamp, utcnow(), size, spool.read(), None)
        spool.close()
    else:
        entry = _Built(stamp, utcnow(), size, None, spool)
        weakref.finalize(entry, spool.close)  # once neither the cache nor a response holds it
    if current_app.config["DOWNLOAD_CACHE_SECONDS"] > 0:
        with cache.guard:
            cache.entries[key] = entry
            while len(cache.entries) > current_app.config["DOWNLOAD_CACHE_ENTRIES"]:  # the oldest go first
                del cache.entries[min(cache.entries, key=lambda k: cache.entries[k].built_at)]
    return entry
