"""Fast calls into and out of the component: wasmtime-py's component API with
its value conversion replaced by converters built once per function type.

Why. wasmtime-py (50.0.1) converts every value between Python and
wasmtime's C API (``wasmtime_component_val_t``) generically, per call:
``Func.__call__`` asks wasmtime for the function's type on every call, and
each ``ValType.convert_to_c``/``convert_from_c`` asks again for its fields,
element or cases (a ctypes call and a new ``ValType`` object each), and
recomputes whether a variant is tagged; a ``list<u8>`` is converted byte by
byte (a ctypes pointer and two attribute writes per byte). A ``validate``
(one call, two store ``get`` imports and a clock ``now``) made 1811 Python
calls and spent over 90% of its time there (0.5 to 1.4 ms a call, depending
on the machine). Here the same decisions are made once, from the same
``ValType`` objects and with wasmtime-py's own rules (``_tagged``,
``add_classes``), into closures that read and write the C values with
``struct`` (``bytes`` as one strided copy) and a C call per import result:
167 Python calls, about 10 times faster (``benches/python_validate.py``).

What stays the same: the component, the C API (``wasmtime_component_func_call``
and ``wasmtime_component_linker_instance_add_func``, what ``Func`` and
``LinkerInstance.add_func`` call), the Python shapes of values (``Record``,
``Variant`` when tagged, ``None``/bare values when not, ``bytes`` for
``list<u8>``), the ``TypeError``/``ValueError`` for a value of the wrong
type, and the handling of errors and of exceptions raised by imports
(as wasmtime-py's ``catch_exceptions`` and ``maybe_raise_last_exn`` do). This is
not a canonical ABI: wasmtime still lifts and lowers; only the
Python <-> C-API step is specialised.

Covered types: bool, integers, string, enum, list, record, option, result
and variant, all the moth WIT uses. A function with any other type (floats,
char, flags, tuple, resources, ...) takes wasmtime-py's generic path, as does
every function when ``MOTH_GENERIC_VALUES=1`` is set (or when the C value
layout is not the one this module was written for).

Memory: a value this module lowers is built in Python's memory (an arena,
see ``_lowerer``): a call's arguments are passed from there (wasmtime copies
them), an import's result is deep-copied into wasmtime's memory with one
``wasmtime_component_val_clone`` once complete, so a value of the wrong
type allocates nothing there. A call's result is deleted once, after
lifting, with ``wasmtime_component_val_delete``; an import's arguments
belong to wasmtime (it drops them after the callback) and are only read.
(wasmtime-py 50.0.1's own lifting drops an option's, result's or variant's
payload but never frees its box: about 50 bytes leaked per ``validate``.
Not here.)
"""

from __future__ import annotations

import ctypes
import os
import struct
import sys
from ctypes import POINTER, addressof, c_char_p, c_size_t, c_void_p
from typing import Any, Callable, Optional, Sequence

from wasmtime import StoreContext, WasmtimeError
from wasmtime import _ffi as ffi
from wasmtime.component import (S8, S16, S32, S64, U8, U16, U32, U64, Bool, EnumType, Func, FuncType, LinkerInstance,
                                ListType, OptionType, Record, RecordType, ResultType, String, ValType, Variant,
                                VariantType)
from wasmtime.component import _enter
from wasmtime.component._enter import maybe_raise_last_exn
from wasmtime.component._linker import FUNCTIONS, func_finalize

__all__ = ["ExportCall", "export_call", "add_import", "GENERIC"]

#: Use wasmtime-py's generic conversion everywhere: an escape hatch, should a
#: value ever convert wrongly (the test suite passes both ways).
GENERIC = os.environ.get("MOTH_GENERIC_VALUES", "") not in ("", "0")

_VAL = ffi.wasmtime_component_val_t
_VAL_SIZE = 32  # sizeof(wasmtime_component_val_t): kind (u8), 7 bytes of padding, a 24-byte union
_ENTRY_SIZE = 48  # sizeof(wasmtime_component_valrecord_entry_t): name (wasm_name_t), then the value


def _offsets(struct_type: Any, *names: str) -> list[int]:
    return [int(getattr(struct_type, name).offset) for name in names]


def _layout_ok() -> bool:
    """Whether the C value layout is the one the offsets below assume (it
    is for wasmtime-py 50 on 64-bit platforms)."""
    try:
        vec_types = (ffi.wasm_byte_vec_t, ffi.wasmtime_component_vallist_t, ffi.wasmtime_component_valrecord_t)
        union = ffi.wasmtime_component_valunion
        return (ctypes.sizeof(c_void_p) == 8 and ctypes.sizeof(c_size_t) == 8
                and ctypes.sizeof(_VAL) == _VAL_SIZE and _offsets(_VAL, "kind", "of") == [0, 8]
                and ctypes.sizeof(ffi.wasmtime_component_valrecord_entry_t) == _ENTRY_SIZE
                and _offsets(ffi.wasmtime_component_valrecord_entry_t, "name", "val") == [0, 16]
                and all(_offsets(t, "size", "data") == [0, 8] for t in vec_types)
                and _offsets(ffi.wasmtime_component_valvariant_t, "discriminant", "val") == [0, 16]
                and _offsets(ffi.wasmtime_component_valresult_t, "is_ok", "val") == [0, 8]
                and _offsets(union, "boolean", "u8", "u64", "string", "list", "option") == [0] * 6)
    except (AttributeError, TypeError):
        return False


_FAST = not GENERIC and _layout_ok()

# The value kinds (the tag byte of wasmtime_component_val_t).
_BOOL = ffi.WASMTIME_COMPONENT_BOOL.value
_STRING = ffi.WASMTIME_COMPONENT_STRING.value
_ENUM = ffi.WASMTIME_COMPONENT_ENUM.value
_LIST = ffi.WASMTIME_COMPONENT_LIST.value
_RECORD = ffi.WASMTIME_COMPONENT_RECORD.value
_VARIANT = ffi.WASMTIME_COMPONENT_VARIANT.value
_OPTION = ffi.WASMTIME_COMPONENT_OPTION.value
_RESULT = ffi.WASMTIME_COMPONENT_RESULT.value
_U8 = ffi.WASMTIME_COMPONENT_U8.value

# The C functions, as our own function objects (``dll[name]`` makes a new
# one, so wasmtime-py's prototypes are left as they are) taking addresses.
_dll = ffi.dll
_val_clone = _dll["wasmtime_component_val_clone"]  # a deep copy, in wasmtime's memory, to an unset value
_val_clone.argtypes = [c_void_p, c_void_p]
_val_clone.restype = None
_val_delete = _dll["wasmtime_component_val_delete"]  # drops a value in place
_val_delete.argtypes = [c_void_p]
_val_delete.restype = None
_func_call = _dll["wasmtime_component_func_call"]
_func_call.argtypes = [c_void_p, POINTER(ffi.wasmtime_context_t), c_void_p, c_size_t, c_void_p, c_size_t]
_func_call.restype = POINTER(ffi.wasmtime_error_t)
_add_func = _dll["wasmtime_component_linker_instance_add_func"]
# An import's callback: (data, context, type, args, nargs, results, nresults) -> error or 0.
_CALLBACK = ctypes.CFUNCTYPE(c_size_t, c_void_p, POINTER(ffi.wasmtime_context_t), c_void_p, c_void_p, c_size_t,
                             c_void_p, c_size_t)
_add_func.argtypes = [c_void_p, c_char_p, c_size_t, _CALLBACK, c_void_p, ctypes.CFUNCTYPE(None, c_void_p)]
_add_func.restype = POINTER(ffi.wasmtime_error_t)

# All of the process's memory as one bytes-like object, read at absolute
# addresses (lifting): slicing it and struct's unpack_from cost a tenth of
# ctypes.string_at (which goes through a ctypes prototype at each call). The
# addresses are those of values wasmtime hands out, as they would be for
# string_at.
try:
    _MEM = memoryview((ctypes.c_char * sys.maxsize).from_address(0)).cast("B")
except (OverflowError, ValueError, TypeError, MemoryError):  # not on a 64-bit platform
    _MEM = memoryview(b"")
    _FAST = False

_u64 = struct.Struct("=Q")
_u64_at = _u64.unpack_from
_vec_struct = struct.Struct("=QQ")
_vec_at = _vec_struct.unpack_from  # (size, data) of a vec
_put_u64 = _u64.pack_into
_put_kind_ptr = struct.Struct("=B7xQ").pack_into  # kind, then a pointer (option)
_put_kind_vec = struct.Struct("=B7xQQ").pack_into  # kind, then a vec (size, data)
_put_vec = _vec_struct.pack_into  # a vec (size, data)
_put_result = struct.Struct("=B7x?7xQ").pack_into  # kind, is_ok, box
_put_variant = struct.Struct("=B7xQQQ").pack_into  # kind, discriminant (size, data), box
_ZERO_VAL = bytes(_VAL_SIZE)
# n list<u8> elements are n copies of this 32-byte value with the byte at 8.
_U8_VALS = (bytes([_U8]) + bytes(_VAL_SIZE - 1)) * 1024
_U8_VIEW = memoryview(_U8_VALS)


class _Unsupported(Exception):
    """A type this module leaves to wasmtime-py."""


# Lowering writes a value into an arena: a bytearray holding the value at
# ``at`` and, appended after it, everything it points to (a list's
# elements, a string's bytes, an option's payload, ...). Pointers into the
# arena are left 0 and listed in ``fix`` as (where the pointer is, offset
# of what it points to), filled once the arena is done and has an address
# (``_relocate``). Names (record fields, variant cases) point at bytes
# objects kept for good (``_name``), so need no fixing. The arena
# is Python's memory: wasmtime only reads it. As a call's arguments it is
# passed as it is (wasmtime copies what it reads); as an import's result it
# is copied into wasmtime's memory with one wasmtime_component_val_clone.
# Nothing is allocated outside Python until the value is complete, so a
# value of the wrong type leaves nothing to free.
Fix = list[tuple[int, int]]
Lower = Callable[[Any, bytearray, int, Fix], None]  # (Python value, arena, offset of the value, fix)
Lift = Callable[[int], Any]  # (address of the C value) -> Python value

# Integers: the struct format of the union's field, how many bits ctypes
# keeps (it wraps out-of-range values silently, so masking writes the same
# bytes: no new error for, say, a negative id) and the kind.
_INTS: dict[type, tuple[str, int, int]] = {
    U8: ("B", 8, ffi.WASMTIME_COMPONENT_U8.value), S8: ("b", 8, ffi.WASMTIME_COMPONENT_S8.value),
    U16: ("H", 16, ffi.WASMTIME_COMPONENT_U16.value), S16: ("h", 16, ffi.WASMTIME_COMPONENT_S16.value),
    U32: ("I", 32, ffi.WASMTIME_COMPONENT_U32.value), S32: ("i", 32, ffi.WASMTIME_COMPONENT_S32.value),
    U64: ("Q", 64, ffi.WASMTIME_COMPONENT_U64.value), S64: ("q", 64, ffi.WASMTIME_COMPONENT_S64.value),
}


def _address_of_bytes(b: bytes) -> int:
    """Where the bytes object's contents are (they never move while it lives)."""
    return int(ctypes.cast(c_char_p(b), c_void_p).value or 0)


def _relocate(arena: bytearray, fix: Fix) -> tuple[Any, int]:
    """The arena's address (and the ctypes view that pins it: the arena can
    no longer grow while the view lives), its pointers filled in."""
    view = ctypes.c_char.from_buffer(arena)
    base = addressof(view)
    if base & 7:
        # CPython's allocators align to 16; a build that does not would
        # hand wasmtime misaligned values: refuse rather than risk that.
        raise RuntimeError("moth: a misaligned argument buffer")
    for at, target in fix:
        _put_u64(arena, at, base + target)
    return view, base


def _lowerer(ty: ValType) -> Lower:
    """How to write a Python value into an arena as a C value of type ``ty``."""
    if isinstance(ty, Bool):
        def lower_bool(v: Any, arena: bytearray, at: int, fix: Fix) -> None:
            if not isinstance(v, bool):
                raise TypeError("expected bool for Bool type")
            arena[at] = _BOOL
            arena[at + 8] = 1 if v else 0
        return lower_bool
    if type(ty) in _INTS:
        fmt, bits, kind = _INTS[type(ty)]
        put = struct.Struct("=B7x" + fmt.upper()).pack_into
        mask = (1 << bits) - 1
        message = f"expected int for {type(ty).__name__} type"

        def lower_int(v: Any, arena: bytearray, at: int, fix: Fix) -> None:
            if not isinstance(v, int):
                raise TypeError(message)
            put(arena, at, kind, v & mask)
        return lower_int
    if isinstance(ty, (String, EnumType)):
        kind = _STRING if isinstance(ty, String) else _ENUM
        message = "expected string type" if kind == _STRING else "expected str type"

        def lower_str(v: Any, arena: bytearray, at: int, fix: Fix) -> None:
            if not isinstance(v, str):
                raise TypeError(message)
            b = v.encode("utf-8")
            _put_kind_vec(arena, at, kind, len(b), 0)
            if b:
                fix.append((at + 16, len(arena)))
                arena += b
                # Keep what is appended next (values, entries: multiples of
                # 8 bytes) 8-aligned, as wasmtime reads it as Rust values.
                arena += bytes(-len(arena) & 7)
        return lower_str
    if isinstance(ty, ListType):
        element = ty.element
        if isinstance(element, U8):
            def lower_bytes(v: Any, arena: bytearray, at: int, fix: Fix) -> None:
                if not isinstance(v, bytes):
                    raise TypeError("expected bytes value")
                n = len(v)
                _put_kind_vec(arena, at, _LIST, n, 0)
                if n:
                    data = len(arena)
                    fix.append((at + 16, data))
                    arena += _U8_VIEW[:_VAL_SIZE * n] if n <= 1024 else _U8_VALS[:_VAL_SIZE] * n
                    arena[data + 8:data + _VAL_SIZE * n:_VAL_SIZE] = v
            return lower_bytes
        lower_element = _lowerer(element)

        def lower_list(v: Any, arena: bytearray, at: int, fix: Fix) -> None:
            if not isinstance(v, list):
                raise TypeError("expected list value")
            n = len(v)
            _put_kind_vec(arena, at, _LIST, n, 0)
            if n:
                data = len(arena)
                fix.append((at + 16, data))
                arena += bytes(_VAL_SIZE * n)
                for e in v:
                    lower_element(e, arena, data, fix)
                    data += _VAL_SIZE
        return lower_list
    if isinstance(ty, RecordType):
        fields = [(name, _lowerer(t)) for name, t in ty.fields]
        n = len(fields)
        # The entries with their names and every value zero, appended as
        # they are at each record.
        entries = bytearray(_ENTRY_SIZE * n)
        for i, (name, _) in enumerate(fields):
            _put_vec(entries, _ENTRY_SIZE * i, *_name(name))
        template = bytes(entries)

        def lower_record(v: Any, arena: bytearray, at: int, fix: Fix) -> None:
            _put_kind_vec(arena, at, _RECORD, n, 0)
            if not n:
                return
            data = len(arena)
            fix.append((at + 16, data))
            arena += template
            data += 16  # the first entry's value
            for name, lower_field in fields:
                lower_field(getattr(v, name), arena, data, fix)
                data += _ENTRY_SIZE
        return lower_record
    if isinstance(ty, (OptionType, ResultType, VariantType)):
        return _variant_lowerer(ty)
    raise _Unsupported(type(ty).__name__)


def _variant_lowerer(ty: Any) -> Lower:
    """option, result and variant, the case chosen as wasmtime-py's
    ``_lower`` chooses it: by ``tag`` when tagged (a ``Variant``), else the
    first case whose Python classes the value is an instance of (``None``
    for a case without payload)."""
    tagged = ty._tagged()
    cases: list[tuple[str, int, tuple[int, int], Optional[Lower], tuple[type, ...]]] = []
    for index, (name, t) in enumerate(ty._cases()):
        classes: set[type] = set()
        if t is not None:
            t.add_classes(classes)
        cases.append((name, index, _name(name), None if t is None else _lowerer(t), tuple(classes)))
    shape = 0 if isinstance(ty, OptionType) else 1 if isinstance(ty, ResultType) else 2

    def lower_variant(v: Any, arena: bytearray, at: int, fix: Fix) -> None:
        if tagged and not isinstance(v, Variant):
            raise TypeError("expected Variant type")
        for name, index, (name_size, name_data), lower_payload, classes in cases:
            if tagged:
                if name != v.tag:
                    continue
                payload = v.payload
            elif lower_payload is None:
                if v is not None:
                    continue
                payload = None
            else:
                if not isinstance(v, classes):
                    continue
                payload = v
            # The value, its payload pointer (the last 8 bytes written) left 0.
            if shape == 0:
                _put_kind_ptr(arena, at, _OPTION, 0)
                box_at = at + 8
            elif shape == 1:
                _put_result(arena, at, _RESULT, index == 0, 0)
                box_at = at + 16
            else:
                _put_variant(arena, at, _VARIANT, name_size, name_data, 0)
                box_at = at + 24
            if lower_payload is not None:
                box = len(arena)
                fix.append((box_at, box))
                arena += _ZERO_VAL
                lower_payload(payload, arena, box, fix)
            return
        raise ValueError("value not valid for this variant")
    return lower_variant


# Field and case names as (size, address) of a bytes object kept here for
# good: a handful of WIT names, pointed at by every record or variant value.
_NAMES: dict[str, tuple[bytes, int]] = {}


def _name(name: str) -> tuple[int, int]:
    entry = _NAMES.get(name)
    if entry is None:
        b = name.encode("utf-8")
        # setdefault: of two threads naming it at once, both use the one kept.
        entry = _NAMES.setdefault(name, (b, _address_of_bytes(b)))
    return len(entry[0]), entry[1]


def lower_into(lower: Lower, value: Any, address: int) -> None:
    """Write ``value`` with ``lower`` as a C value owned by wasmtime at
    ``address`` (which must hold nothing to free, e.g. ``bool false``);
    ``wasmtime_component_val_delete`` frees it. Raises before writing
    anything if the value is not of the type."""
    arena = bytearray(_VAL_SIZE)
    fix: Fix = []
    lower(value, arena, 0, fix)
    view, base = _relocate(arena, fix)
    _val_clone(base, address)
    del view


def _lifter(ty: ValType) -> Lift:
    """How to read the C value of type ``ty`` at an address as the Python
    value wasmtime-py would give (without freeing it)."""
    mem = _MEM
    if isinstance(ty, Bool):
        return lambda addr: mem[addr + 8] != 0
    if type(ty) in _INTS:
        unpack = struct.Struct("=" + _INTS[type(ty)][0]).unpack_from
        return lambda addr: unpack(mem, addr + 8)[0]
    if isinstance(ty, (String, EnumType)):
        def lift_str(addr: int) -> str:
            size, data = _vec_at(mem, addr + 8)
            return str(mem[data:data + size], "utf-8") if size else ""
        return lift_str
    if isinstance(ty, ListType):
        element = ty.element
        if isinstance(element, U8):
            def lift_bytes(addr: int) -> bytes:
                size, data = _vec_at(mem, addr + 8)
                return mem[data + 8:data + _VAL_SIZE * size:_VAL_SIZE].tobytes() if size else b""
            return lift_bytes
        lift_element = _lifter(element)

        def lift_list(addr: int) -> list[Any]:
            size, data = _vec_at(mem, addr + 8)
            return [lift_element(data + _VAL_SIZE * i) for i in range(size)]
        return lift_list
    if isinstance(ty, RecordType):
        fields = [(name, _lifter(t)) for name, t in ty.fields]
        n = len(fields)

        def lift_record(addr: int) -> Record:
            size, at = _vec_at(mem, addr + 8)
            if size != n:
                # Not the type's record: reading on would go astray.
                raise WasmtimeError(f"a record of {size} fields where {n} were expected")
            r = Record()
            d = r.__dict__
            at += 16
            for name, lift_field in fields:
                d[name] = lift_field(at)
                at += _ENTRY_SIZE
            return r
        return lift_record
    if isinstance(ty, (OptionType, ResultType, VariantType)):
        tagged = ty._tagged()
        cases = {name: None if t is None else _lifter(t) for name, t in ty._cases()}

        def case(tag: str, box: int) -> Any:
            if tag not in cases:
                raise ValueError(f"tag {tag} not found in variant cases")
            lift_payload = cases[tag]
            if lift_payload is None:
                return Variant(tag) if tagged else None
            payload = lift_payload(box)
            return Variant(tag, payload) if tagged else payload
        if isinstance(ty, OptionType):
            def lift_option(addr: int) -> Any:
                box = _u64_at(mem, addr + 8)[0]
                return case("some" if box else "none", box)
            return lift_option
        if isinstance(ty, ResultType):
            def lift_result(addr: int) -> Any:
                return case("ok" if mem[addr + 8] else "err", _u64_at(mem, addr + 16)[0])
            return lift_result

        def lift_variant(addr: int) -> Any:
            size, data = _vec_at(mem, addr + 8)
            return case(str(mem[data:data + size], "utf-8"), _u64_at(mem, addr + 24)[0])
        return lift_variant
    raise _Unsupported(type(ty).__name__)


ExportCall = Callable[[Func, Any, Sequence[Any]], Any]


def _generic_call(func: Func, store: Any, args: Sequence[Any]) -> Any:
    return func(store, *args)


def export_call(func: Func, store: Any) -> ExportCall:
    """How to call ``func`` (and any function of the same type, in any
    instance of the component): ``call(func, store, args)`` returns what
    ``func(store, *args)`` would. Build once per function and reuse."""
    if not _FAST:
        return _generic_call
    fty = func.type(store)
    try:
        lowers = [_lowerer(t) for _, t in fty.params]
        result = fty.result
        lift = None if result is None else _lifter(result)
    except _Unsupported:
        return _generic_call
    finally:
        fty.close()
    n = len(lowers)
    lowers_at = [(lower, i * _VAL_SIZE) for i, lower in enumerate(lowers)]

    def call(func: Func, store: Any, args: Sequence[Any]) -> Any:
        if len(args) != n:
            raise TypeError("wrong number of parameters provided: given %s, expected %s" % (len(args), n))
        # The arguments, in an arena of ours that wasmtime only reads
        # (wasmtime_component_func_call copies them): nothing to free.
        arena = bytearray(_VAL_SIZE * n) if n else bytearray(_VAL_SIZE)
        fix: Fix = []
        for (lower, at), arg in zip(lowers_at, args):
            lower(arg, arena, at, fix)
        view, base = _relocate(arena, fix)
        out = _VAL()
        out_addr = addressof(out)
        error = _func_call(addressof(func._func), store._context(), base, n,
                           None if lift is None else out_addr, 0 if lift is None else 1)
        del view
        if error:
            e = WasmtimeError._from_ptr(error)
            maybe_raise_last_exn()  # an import's exception, as wasmtime-py's enter_wasm raises it
            raise e
        if lift is None:
            return None
        try:
            return lift(out_addr)
        finally:
            _val_delete(out_addr)  # the result is ours to free
    return call


class _Import:
    """An import's Python function and, from its first call, its converters."""

    __slots__ = ("func", "lifts", "lower", "generic")

    def __init__(self, func: Callable[..., Any]) -> None:
        self.func = func
        self.lifts: Optional[list[Lift]] = None
        self.lower: Optional[Lower] = None
        self.generic = False

    def __call__(self, store: Any, *args: Any) -> Any:  # what wasmtime-py's slab entries are
        return self.func(store, *args)

    def build(self, ty: int, store: Any) -> list[Lift]:
        # The type comes with the call (wasmtime passes it), so converters are
        # made at the first one; a Moth's linker serves one component, so the
        # type is the same at every call.
        with FuncType._from_ptr(ctypes.cast(ty, POINTER(ffi.wasmtime_component_func_type_t)), owner=store) as fty:
            try:
                if not _FAST:
                    raise _Unsupported("generic")
                lifts = [_lifter(t) for _, t in fty.params]
                result = fty.result
                self.lower = None if result is None else _lowerer(result)
            except _Unsupported:
                self.generic = True
                lifts = []
        self.lifts = lifts
        return lifts

    def run(self, store: Any, ty: int, args: int, nargs: int, results: int, nresults: int) -> None:
        lifts = self.lifts
        if lifts is None:
            lifts = self.build(ty, store)
        if self.generic:
            self.run_generic(store, ty, args, nargs, results, nresults)
            return
        assert len(lifts) == nargs and nresults == (0 if self.lower is None else 1)
        result = self.func(store, *[lift(args + _VAL_SIZE * i) for i, lift in enumerate(lifts)])
        if self.lower is None:
            assert result is None
        else:
            lower_into(self.lower, result, results)  # wasmtime frees it after the callback

    def run_generic(self, store: Any, ty: int, args: int, nargs: int, results: int, nresults: int) -> None:
        """What wasmtime-py's own callback (``_linker.func_impl``) does."""
        with FuncType._from_ptr(ctypes.cast(ty, POINTER(ffi.wasmtime_component_func_type_t)), owner=store) as fty:
            params, result_ty = fty.params, fty.result
            assert len(params) == nargs and nresults == (0 if result_ty is None else 1)
            c_args = ctypes.cast(args, POINTER(_VAL))
            result = self.func(store, *[t.convert_from_c(c_args[i]) for i, (_, t) in enumerate(params)])
            if result_ty is None:
                assert result is None
            else:
                result_ty.convert_to_c(store, result, ctypes.cast(results, POINTER(_VAL)))


@_CALLBACK
def _import_callback(data, context, ty, args, nargs, results, nresults):  # type: ignore[no-untyped-def]
    # wasmtime-py's catch_exceptions (what its own callback runs in), inlined
    # to spare two calls at each import: the function gets a StoreContext
    # valid for the call; an exception traps the call, a Python one kept in
    # _enter.LAST_EXCEPTION for the caller to raise (maybe_raise_last_exn).
    store = StoreContext(context)
    try:
        FUNCTIONS.get(data or 0).run(store, ty, args, nargs, results, nresults)  # type: ignore[attr-defined]
    except WasmtimeError as e:
        return ctypes.cast(e._consume(), c_void_p).value
    except Exception as e:
        _enter.LAST_EXCEPTION = e
        return ctypes.cast(WasmtimeError("python exception")._consume(), c_void_p).value
    finally:
        store._invalidate()
    return 0


def add_import(instance: LinkerInstance, name: str, func: Callable[..., Any]) -> None:
    """``instance.add_func(name, func)``, with the fast conversion: ``func``
    is called as wasmtime-py would call it (a store context, then the
    arguments) and returns what it would return."""
    instance._assert_not_locked()
    name_bytes = name.encode("utf-8")
    idx = FUNCTIONS.allocate(_Import(func))  # freed by func_finalize with the linker, as wasmtime-py's are
    error = _add_func(instance.ptr(), name_bytes, len(name_bytes), _import_callback, idx, func_finalize)
    if error:
        raise WasmtimeError._from_ptr(error)
