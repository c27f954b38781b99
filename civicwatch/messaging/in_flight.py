"""Several sends of a claimed batch in flight at once: each is a round trip to Twilio (150-400 ms from West Africa),
so one after the other a worker sends at most a few texts a second however fast the rest is.

Only the HTTP call runs on the pool's threads. Everything that reads or writes the database (the look-up of the
opt-out and "not safe to text", a cancel, a failure, the SIDs) stays on the caller's thread and session, so it
works alike on SQLite and PostgreSQL. A message is started (looked up, then handed to a thread) only when a thread
is free, so its look-up is as close to its send as when the sends went one by one: a STOP stored while earlier
sends are in flight is honoured for every message not started yet. Never two messages to one number are in flight
together: the later waits for the earlier, in the batch's order (the claim takes one a number anyway). Whatever
happens, a stop or an error, every send in flight is waited for and settled, so no SID Twilio gave is dropped."""
from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TypeVar

from flask import current_app

Item = TypeVar("Item")
Result = TypeVar("Result")


def send_concurrency() -> int:
    """OUTBOX_SEND_CONCURRENCY: sends a worker has in flight at once (1: one after the other)."""
    return max(1, int(current_app.config.get("OUTBOX_SEND_CONCURRENCY", 1)))


def send_all(items: Sequence[Item], start: Callable[[Item], Callable[[], Result] | None],
             settle: Callable[[Item, Future[Result]], None], number: Callable[[Item], Hashable],
             concurrency: int) -> None:
    """For each item in order, when fewer than `concurrency` are in flight and none to its `number`: `start(item)`
    here (the look-ups and writes before a send; None: nothing to send), then the call it returns on a thread;
    `settle(item, future)` here as each call ends. With a concurrency of 1 (or a single item) every call runs here,
    one by one."""
    if min(concurrency, len(items)) <= 1:
        for item in items:
            call = start(item)
            if call is not None:
                settle(item, _run_here(call))
        return
    waiting = list(items)
    in_flight: dict[Future[Result], Item] = {}
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="outbox-send") as pool:
        try:
            while waiting or in_flight:
                busy = {number(sending) for sending in in_flight.values()}
                while len(in_flight) < concurrency and (chosen := _next(waiting, busy, number)) is not None:
                    call = start(chosen)
                    if call is not None:
                        in_flight[pool.submit(call)] = chosen
                        busy.add(number(chosen))
                if in_flight:
                    done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                    for future in done:
                        settle(in_flight.pop(future), future)
        finally:  # a stop or an error: the sends in flight end, and what Twilio answered is kept
            for future in list(in_flight):
                future.exception()  # waits for it
                settle(in_flight.pop(future), future)


def _next(waiting: list[Item], busy: set[Hashable], number: Callable[[Item], Hashable]) -> Item | None:
    """The first waiting item whose number has nothing in flight, taken off the list."""
    for index, item in enumerate(waiting):
        if number(item) not in busy:
            return waiting.pop(index)
    return None


def _run_here(call: Callable[[], Result]) -> Future[Result]:
    future: Future[Result] = Future()
    try:
        future.set_result(call())
    except Exception as error:
        future.set_exception(error)
    return future
