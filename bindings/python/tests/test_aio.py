"""AsyncMoth: the asyncio API (moth/aio.py)."""

import ast
import asyncio
import inspect
import threading
import time
from pathlib import Path

import pytest

from moth import (AsyncMoth, ComponentTrapError, InvalidPasswordError, MemoryStore, Moth, NoUserError,
                  Settings, SqliteStore, StoreTrap, UserExistsError, aio)
from moth.stores import Conflict

from test_conformance import run_scenario

PASSWORD = "correct horse battery"


def cheap(moth_settings: Settings) -> Settings:
    """Argon2 at its cheapest, for tests that make many users."""
    from dataclasses import replace
    return replace(moth_settings, argon2_memory_kib=8, argon2_iterations=1, argon2_parallelism=1,
                   allow_weak_hashing=True)


async def open_cheap(store, instances=2):
    amoth = await AsyncMoth.open(store, instances=instances)
    await amoth.set_settings(cheap(await amoth.get_settings()))
    return amoth


def test_the_shared_scenario_passes_through_async_moth():
    async def main():
        amoth = await run_scenario(
            lambda store, clock, settings: AsyncMoth.open(store, clock=clock, settings=settings, instances=2))
        assert isinstance(amoth, AsyncMoth)
        await amoth.aclose()
    asyncio.run(main())


def test_every_public_method_of_moth_is_a_coroutine_method_with_its_signature_typed():
    public = aio._public_methods()
    assert len(public) > 60
    for name in public:
        method = getattr(AsyncMoth, name)
        assert inspect.iscoroutinefunction(method), name
        assert method.__doc__ == getattr(Moth, name).__doc__
    # The TYPE_CHECKING block that gives mypy the signatures names each
    # public method of Moth, once, from the Moth method of the same name.
    tree = ast.parse(Path(aio.__file__).read_text())
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "AsyncMoth")
    block = next(n for n in cls.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING")
    typed = [(a.targets[0].id, ast.unparse(a.value)) for a in block.body]
    assert typed == [(name, f"_coroutine(Moth.{name})") for name in public]


def test_errors_arrive_as_the_same_moth_error_subclasses():
    async def main():
        async with await open_cheap(MemoryStore()) as amoth:
            await amoth.create_user("ann", PASSWORD)
            with pytest.raises(InvalidPasswordError) as e:
                await amoth.login("ann", "wrong password")
            assert e.value.code == "invalid-password"
            with pytest.raises(NoUserError):
                await amoth.login("bob", PASSWORD)
            with pytest.raises(UserExistsError):
                await amoth.create_user("ann", PASSWORD)
            with pytest.raises(TypeError):  # refused before the guest runs, raised as it is
                await amoth.has_all(1, "not-a-list")
            # and the pool still works
            assert (await amoth.login("ann", PASSWORD)).user.username == "ann"
    asyncio.run(main())


def test_a_trap_is_a_component_trap_error_and_the_next_call_works():
    class Trapping(MemoryStore):
        trap = False

        def get(self, key):
            if self.trap:
                self.trap = False
                raise StoreTrap("asked to trap")
            return super().get(key)

    async def main():
        store = Trapping()
        async with await open_cheap(store) as amoth:
            await amoth.create_user("ann", PASSWORD)
            store.trap = True
            with pytest.raises(ComponentTrapError):
                await amoth.get_user(1)
            assert (await amoth.get_user(1)).username == "ann"
    asyncio.run(main())


def test_the_event_loop_keeps_running_while_a_burst_of_logins_is_pending():
    async def main():
        async with await AsyncMoth.open(instances=2) as amoth:  # default (OWASP) Argon2 costs
            await amoth.create_user("ann", PASSWORD)
            ticks = 0
            done = asyncio.Event()

            async def ticker():
                nonlocal ticks
                while not done.is_set():
                    ticks += 1
                    await asyncio.sleep(0.001)

            task = asyncio.create_task(ticker())
            await asyncio.sleep(0)
            start, before = time.perf_counter(), ticks
            sessions = await asyncio.gather(*(amoth.login("ann", PASSWORD) for _ in range(6)))
            elapsed = time.perf_counter() - start
            done.set()
            await task
            assert len({s.token for s in sessions}) == 6
            # Six Argon2 logins take a few hundred milliseconds; a loop
            # blocked by them would not have ticked at all meanwhile.
            assert ticks - before >= 10, (ticks - before, elapsed)
    asyncio.run(main())


def test_concurrent_calls_run_on_distinct_handles_at_the_same_time_and_no_more_than_instances():
    async def main():
        async with await open_cheap(MemoryStore(), instances=3) as amoth:
            inside, most = 0, 0
            lock = threading.Lock()

            def hold(moth):
                nonlocal inside, most
                with lock:
                    inside += 1
                    most = max(most, inside)
                time.sleep(0.05)
                with lock:
                    inside -= 1
                return id(moth)

            ids = await asyncio.gather(*(amoth.run(hold) for _ in range(9)))
            assert most == 3
            assert len(set(ids)) == 3
    asyncio.run(main())


def test_logins_overlap_inside_the_component():
    """Two logins at once are both inside the guest at the same time: each
    thread's store calls span its login, and the spans overlap."""
    class Spans(MemoryStore):
        def __init__(self):
            super().__init__()
            self.spans = {}
            self.recording = False

        def _mark(self):
            if self.recording:
                now = time.perf_counter()
                first, _ = self.spans.get(threading.get_ident(), (now, now))
                self.spans[threading.get_ident()] = (first, now)

        def get(self, key):
            self._mark()
            return super().get(key)

        def commit(self, guards, writes):
            self._mark()
            return super().commit(guards, writes)

    async def main():
        store = Spans()
        async with await AsyncMoth.open(store, instances=2) as amoth:  # default Argon2 costs
            await amoth.create_user("ann", PASSWORD)
            await amoth.create_user("bob", PASSWORD)
            store.recording = True
            await asyncio.gather(amoth.login("ann", PASSWORD), amoth.login("bob", PASSWORD))
        (a0, a1), (b0, b1) = store.spans.values()
        assert a0 < b1 and b0 < a1, store.spans
    asyncio.run(main())


@pytest.fixture(params=["memory", "sqlite"])
def store(request, tmp_path):
    if request.param == "memory":
        yield MemoryStore()
    else:
        s = SqliteStore(str(tmp_path / "moth.sqlite"))
        yield s
        s.close()


def test_twenty_concurrent_create_users_with_distinct_names_all_succeed(store):
    async def main():
        async with await open_cheap(store, instances=4) as amoth:
            users = await asyncio.gather(*(amoth.create_user(f"user{i}", PASSWORD) for i in range(20)))
            assert sorted(u.username for u in users) == sorted(f"user{i}" for i in range(20))
            assert len({u.id for u in users}) == 20
            page = await amoth.list_users(None, 100)
            assert {u.username for u in page.users} == {f"user{i}" for i in range(20)}
            for u in users:
                assert await amoth.get_user(u.id) == u
    asyncio.run(main())


def test_one_name_raced_by_several_creates_has_exactly_one_winner(store):
    async def main():
        async with await open_cheap(store, instances=4) as amoth:
            for round in range(3):
                results = await asyncio.gather(*(amoth.create_user(f"ann{round}", f"{PASSWORD} {i}")
                                                 for i in range(8)), return_exceptions=True)
                winners = [r for r in results if not isinstance(r, BaseException)]
                losers = [r for r in results if isinstance(r, BaseException)]
                assert len(winners) == 1, results
                assert all(isinstance(e, UserExistsError) for e in losers), losers
                page = await amoth.list_users(None, 100)
                assert [u.username for u in page.users].count(f"ann{round}") == 1
    asyncio.run(main())


def test_the_stores_commit_atomically_under_threads(store):
    """Guarded read-modify-write increments from several threads: none is lost."""
    def worker():
        for _ in range(50):
            while True:
                old = store.get(b"n")
                new = str(int(old or b"0") + 1).encode()
                try:
                    store.commit([(b"n", old)], [(b"n", new), (b"k" + new, b"x")])
                    break
                except Conflict:
                    continue

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.get(b"n") == b"300"
    assert len(store.scan(b"k", b"l", 1000)) == 300


def test_a_cancelled_call_leaves_the_pool_working():
    async def main():
        async with await open_cheap(MemoryStore(), instances=1) as amoth:
            await amoth.create_user("ann", PASSWORD)
            slow = asyncio.ensure_future(amoth.run(lambda m: time.sleep(0.1)))
            queued = asyncio.ensure_future(amoth.login("ann", PASSWORD))
            await asyncio.sleep(0.02)
            slow.cancel()
            queued.cancel()
            with pytest.raises(asyncio.CancelledError):
                await queued
            assert (await amoth.login("ann", PASSWORD)).user.username == "ann"
    asyncio.run(main())


def test_closed_async_moth_refuses_calls_and_bad_construction_is_refused():
    async def main():
        amoth = await open_cheap(MemoryStore())
        await amoth.aclose()
        with pytest.raises(RuntimeError):
            await amoth.get_settings()
    asyncio.run(main())
    with pytest.raises(TypeError):
        AsyncMoth(MemoryStore())  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        AsyncMoth(Moth.open(), instances=0)

