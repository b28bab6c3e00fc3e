"""moth._fastcall, the binding's own value conversion, against wasmtime-py's
generic one (the reference): every parameter and result type of every
function the component imports or exports, with random values, both ways."""

import ctypes
import random

import pytest
import wasmtime.component as wc
from wasmtime import Engine
from wasmtime.component import Component, Record, Variant
from wasmtime.component._linker import FUNCTIONS as CALLBACK_SLAB

from moth import WASM, ComponentTrapError, InvalidTokenError, MemoryStore, Moth, Settings, StoreTrap, _fastcall

CHEAP = Settings(8, 1, 1, 3600, True, 1000, 1, False, 5, 900, 900, 86400, 50, 900, 900, 2592000)


def component_functions():
    """(name, FuncType) of every function moth.wasm imports or exports."""
    engine = Engine()
    component = Component.from_file(engine, str(WASM))

    def walk(items, prefix):
        for name, extern in items.items():
            ty = extern.ty
            if isinstance(ty, wc.FuncType):
                yield prefix + name, ty
            elif isinstance(ty, wc.ComponentInstanceType):
                yield from walk(ty.exports(engine), f"{prefix}{name}#")

    return list(walk(component.type.imports(engine), "import ")) + list(walk(component.type.exports(engine), ""))


FUNCTIONS = component_functions()
TYPES = [(f"{name} {what}", ty) for name, fty in FUNCTIONS
         for what, ty in [(p, t) for p, t in fty.params] + ([("result", fty.result)] if fty.result else [])]


def value_of(ty, rnd):
    """A random Python value of the WIT type ``ty``, in wasmtime-py's shapes."""
    if isinstance(ty, wc.Bool):
        return rnd.random() < 0.5
    if type(ty) in _fastcall._INTS:
        fmt, bits, _ = _fastcall._INTS[type(ty)]
        return rnd.randrange(-(1 << (bits - 1)), 1 << (bits - 1)) if fmt.islower() else rnd.randrange(1 << bits)
    if isinstance(ty, wc.EnumType):
        return rnd.choice(ty.names)
    if isinstance(ty, wc.String):
        return "".join(rnd.choice("az-_é€😀\0") for _ in range(rnd.choice([0, 1, 7, 40])))
    if isinstance(ty, wc.ListType):
        if isinstance(ty.element, wc.U8):
            return bytes(rnd.randrange(256) for _ in range(rnd.choice([0, 1, 33, 1024, 1500])))
        return [value_of(ty.element, rnd) for _ in range(rnd.randrange(4))]
    if isinstance(ty, wc.RecordType):
        r = Record()
        for name, t in ty.fields:
            setattr(r, name, value_of(t, rnd))
        return r
    if isinstance(ty, (wc.OptionType, wc.ResultType, wc.VariantType)):
        name, t = rnd.choice(ty._cases())
        payload = None if t is None else value_of(t, rnd)
        return Variant(name, payload) if ty._tagged() else payload
    raise AssertionError(f"moth.wasm has a type the test does not make: {ty}")


def test_the_component_has_what_the_test_covers():
    assert len(FUNCTIONS) > 80 and any(name.startswith("import ") for name, _ in FUNCTIONS)
    assert _fastcall._layout_ok(), "the fast conversion is off on this platform"
    kinds = set()

    def collect(ty):
        kinds.add(type(ty))
        if isinstance(ty, wc.ListType):
            collect(ty.element)
        elif isinstance(ty, wc.RecordType):
            for _, t in ty.fields:
                collect(t)
        elif isinstance(ty, (wc.OptionType, wc.ResultType, wc.VariantType)):
            for _, t in ty._cases():
                if t is not None:
                    collect(t)

    for _, ty in TYPES:
        collect(ty)
    assert {wc.Bool, wc.U8, wc.U32, wc.U64, wc.String, wc.EnumType, wc.ListType, wc.RecordType, wc.OptionType,
            wc.ResultType, wc.VariantType} <= kinds


@pytest.mark.parametrize("seed", range(4))
def test_values_convert_as_wasmtime_py_converts_them(seed):
    rnd = random.Random(seed)
    checked = 0
    for where, ty in TYPES:
        lower = _fastcall._lowerer(ty)
        lift = _fastcall._lifter(ty)
        value = value_of(ty, rnd)
        # wasmtime-py's C value, read by _fastcall.
        theirs = _fastcall._VAL()
        try:
            ty.convert_to_c(None, value, ctypes.pointer(theirs))
        except (TypeError, ValueError) as e:
            # A value wasmtime-py's untagged shapes cannot carry (say, a
            # Variant where an untagged option<...> case comes first):
            # _fastcall refuses it with the same error, having written nothing.
            ours = _fastcall._VAL()
            with pytest.raises(type(e)):
                _fastcall.lower_into(lower, value, ctypes.addressof(ours))
            assert bytes(ours) == bytes(_fastcall._VAL_SIZE)
            continue
        got = lift(ctypes.addressof(theirs))
        assert got == value and type(got) is type(value), where
        _fastcall._val_delete(ctypes.addressof(theirs))
        # _fastcall's C value, read by wasmtime-py (which frees it as it goes).
        ours = _fastcall._VAL()
        _fastcall.lower_into(lower, value, ctypes.addressof(ours))
        got = ty.convert_from_c(ours)
        assert got == value and type(got) is type(value), where
        checked += 1
    assert checked > len(TYPES) * 0.9


def test_wrong_values_raise_what_wasmtime_py_raises():
    def by_name(name):
        return next(fty for n, fty in FUNCTIONS if n.endswith("#" + name))

    cases = [(by_name("validate").params[0][1], [1, b"token", None]),
             (by_name("get-user").params[0][1], ["1", 1.0, None]),
             (by_name("has-any").params[1][1], [("a",), "a", [1], b"a"]),
             (by_name("set-oauth-lifetimes").params[0][1], [object(), (1, 2, 3, 4, 5)]),
             (by_name("create-api-key").params[0][1], [None, 1.5, b"ann", Variant("user", 1)]),
             (by_name("list-events").params[0][1], [Record()])]
    for ty, values in cases:
        lower = _fastcall._lowerer(ty)
        for value in values:
            theirs = _fastcall._VAL()
            with pytest.raises(Exception) as expected:
                ty.convert_to_c(None, value, ctypes.pointer(theirs))
            ours = _fastcall._VAL()
            with pytest.raises(expected.type):
                _fastcall.lower_into(lower, value, ctypes.addressof(ours))


def test_integers_wrap_as_ctypes_wraps_them():
    # wasmtime-py writes integers with ctypes, which keeps the low bits of an
    # out-of-range value; so does _fastcall (no new error for, say, -1).
    u64 = next(fty for n, fty in FUNCTIONS if n.endswith("#get-user")).params[0][1]
    for value in (-1, 1 << 64, (1 << 70) + 5, True):
        theirs, ours = _fastcall._VAL(), _fastcall._VAL()
        u64.convert_to_c(None, value, ctypes.pointer(theirs))
        _fastcall.lower_into(_fastcall._lowerer(u64), value, ctypes.addressof(ours))
        assert (theirs.kind, theirs.of.u64) == (ours.kind, ours.of.u64)


@pytest.mark.skipif(_fastcall.GENERIC, reason="MOTH_GENERIC_VALUES is set")
def test_moth_calls_through_the_fast_path():
    moth = Moth.open(settings=CHEAP)
    ann = moth.create_user("ann", "pw")
    assert moth.validate(moth.login("ann", "pw").token).user == ann
    assert moth._calls["validate"] is not _fastcall._generic_call
    imports = [entry for entry in CALLBACK_SLAB.handles.values() if isinstance(entry, _fastcall._Import)]
    assert imports and not any(entry.generic for entry in imports if entry.lifts is not None)


def test_the_generic_path_still_works(monkeypatch):
    # MOTH_GENERIC_VALUES=1 (or a platform whose C layout differs) turns the
    # fast conversion off: wasmtime-py converts, through the same calls.
    monkeypatch.setattr(_fastcall, "_FAST", False)
    store = MemoryStore()
    moth = Moth.open(store, settings=CHEAP)
    ann = moth.create_user("ann", "pw", "admin")
    token = moth.login("ann", "pw").token
    assert moth.validate(token).user == ann
    assert moth._calls["validate"] is _fastcall._generic_call
    with pytest.raises(InvalidTokenError):
        moth.validate("moth_nope")
    store.get = lambda key: (_ for _ in ()).throw(StoreTrap("down"))
    with pytest.raises(ComponentTrapError) as trapped:
        moth.validate(token)
    assert isinstance(trapped.value.__cause__, StoreTrap)
    del store.get
    assert moth.validate(token).user == ann


@pytest.mark.skipif(not _fastcall._FAST, reason="wasmtime-py's own conversion leaks (see below)")
def test_many_calls_do_not_grow_memory():
    # Every C value _fastcall builds is freed: the bytes malloc has handed out
    # stay put over many calls (each allocates a few hundred bytes in
    # wasmtime; not freeing validate's result would add about 1.5 MiB).
    # wasmtime-py 50.0.1's generic conversion does not pass: lifting an
    # option, result or variant with a payload drops the payload
    # (wasmtime_component_val_delete) but never frees its 32-byte box, about
    # 50 bytes a validate.
    class Mallinfo2(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                                         "fsmblks", "uordblks", "fordblks", "keepcost")]

    try:
        mallinfo2 = ctypes.CDLL(None).mallinfo2
    except AttributeError:
        pytest.skip("no glibc mallinfo2 here")
    mallinfo2.restype = Mallinfo2

    moth = Moth.open(settings=CHEAP)
    moth.create_user("ann", "pw")
    token = moth.login("ann", "pw").token
    for _ in range(2000):
        moth.validate(token)
        moth.has_any(1, ["a", "b"])
    before = mallinfo2().uordblks
    for _ in range(5000):
        moth.validate(token)
        moth.has_any(1, ["a", "b"])
    grown = mallinfo2().uordblks - before
    assert grown < 256 * 1024, f"{grown} bytes more in use after 10000 calls"
