r"""Checkpoints: every stateful object as plain data, and a run resumed exactly.

A checkpoint is worth saving only if resuming from it changes nothing: the
frameworks' issue trackers are full of schedules that jump or restart after a
resume and of runs that draw other mini-batches once restarted. Here every
object that changes while a model trains (an optimizer's state, a
:class:`~lrtutor.schedules.ReduceLROnPlateau`, a ``numpy.random.Generator``
and a training run in progress, a :class:`~lrtutor.train.Trace`) goes to
*plain data* with :func:`to_plain` and comes back with :func:`from_plain`,
and a run interrupted after :math:`a` updates and resumed to :math:`a + b`
is, bit for bit, the run of :math:`a + b` updates made in one go:

.. math:: \mathrm{run}\bigl(a + b,\ \mathrm{resume} =
          \mathrm{from\_plain}(\mathrm{to\_plain}(\mathrm{run}(a)))\bigr)
          = \mathrm{run}(a + b).

**Plain data** is what ``json.dumps`` writes and ``json.loads`` reads back:
dicts with string keys, lists, strings, integers, floats, booleans and
``None``. Every saved object is a dict with a ``"kind"`` (``"optimizer_state"``,
``"ReduceLROnPlateau"``, ``"Generator"`` or ``"Trace"``) and the ``"version"``
of this format (:data:`VERSION`); :func:`from_plain` refuses any other. Values
that JSON lacks are tagged dicts:

- an array is ``{"__ndarray__": dtype, "shape": [...], "data": [...]}`` with
  the elements in C order (a numpy scalar: ``{"__scalar__": dtype, "data": v}``);
- a finite float is a JSON number: Python writes the shortest decimal that
  reads back to the same double, so the round trip is exact;
- a float JSON cannot hold is a string, ``"inf"``, ``"-inf"`` or ``"nan"``;
  a NaN whose bits differ from ``numpy.nan`` (the sign and payload of a NaN
  made by ``0/0`` on x86, say) is ``"nan:"`` and its bits in hex, so that even
  those survive; a Python float outside an array is ``{"__float__": "inf"}``;
- a tuple is ``{"__tuple__": [...]}``.

Optimizer states are saved field by field under their class name and rebuilt
from the class of that name in :mod:`lrtutor.optim`, so a new optimizer's
state is covered as soon as its class is public there.

Examples
--------
A run saved as JSON text after 4 updates and resumed to 10:

>>> import json
>>> from lrtutor.problems import Quadratic
>>> from lrtutor.optim import SGD
>>> from lrtutor.train import run
>>> q, opt = Quadratic.one_d(1.0), SGD(lr=0.5, momentum=0.9)
>>> text = json.dumps(to_plain(run(q, opt, [1.0], steps=4)))
>>> resumed = run(q, opt, [1.0], steps=10, resume=from_plain(json.loads(text)))
>>> bool(np.array_equal(resumed.params, run(q, opt, [1.0], steps=10).params))
True
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from lrtutor import optim, schedules, train
from lrtutor._validate import check_int, check_real

__all__ = ["VERSION", "KINDS", "to_plain", "from_plain"]

#: The version of the plain-data format written by :func:`to_plain`; the only
#: one :func:`from_plain` reads.
VERSION = 1

#: The kinds of object :func:`to_plain` saves.
KINDS = ("optimizer_state", "ReduceLROnPlateau", "Generator", "Trace")

#: Array element types a checkpoint may hold.
_DTYPES = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
           "float16", "float32", "float64")

_TRACE_FIELDS = tuple(f.name for f in dataclasses.fields(train.Trace))


# --- Values: plain data in, plain data out ----------------------------------

def _nan_text(bits, canonical, width):
    return "nan" if bits == canonical else f"nan:{bits:0{width}x}"


def _float_text(value):
    """``"inf"``, ``"-inf"``, ``"nan"`` or ``"nan:<bits>"`` for a non-finite float."""
    if not math.isnan(value):
        return "inf" if value > 0 else "-inf"
    bits = int(np.array(value, dtype=np.float64).view(np.uint64))
    return _nan_text(bits, int(np.array(np.nan).view(np.uint64)), 16)


def _encode_array(a, where):
    dtype = a.dtype
    if dtype.name not in _DTYPES:
        raise TypeError(f"{where} must be an array of booleans, integers or floats "
                        f"({', '.join(_DTYPES)}), got dtype {dtype}")
    flat = np.ascontiguousarray(a, dtype=dtype.newbyteorder("=")).reshape(-1)
    data = flat.tolist()
    if dtype.kind == "f":
        bad = np.flatnonzero(~np.isfinite(flat))
        if bad.size:
            uint = f"u{dtype.itemsize}"
            bits = flat.view(uint)
            canonical = int(np.array(np.nan, dtype=flat.dtype).view(uint))
            for i in bad.tolist():
                data[i] = (_nan_text(int(bits[i]), canonical, 2 * dtype.itemsize)
                           if np.isnan(flat[i]) else ("inf" if flat[i] > 0 else "-inf"))
    return {"__ndarray__": dtype.name, "shape": list(a.shape), "data": data}


def _encode(value, where):
    """``value`` as plain data; ``where`` names it in an error."""
    if isinstance(value, np.ndarray):
        return _encode_array(value, where)
    if isinstance(value, np.generic):           # before float: np.float64 is a float
        array = _encode_array(np.asarray(value), where)
        return {"__scalar__": array["__ndarray__"], "data": array["data"][0]}
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"__float__": _float_text(value)}
    if isinstance(value, list):
        return [_encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return {"__tuple__": [_encode(v, f"{where}[{i}]") for i, v in enumerate(value)]}
    if isinstance(value, dict):
        out = {}
        for key, v in value.items():
            if not isinstance(key, str) or key.startswith("__"):
                raise TypeError(f"{where} must have string keys not starting with '__', "
                                f"got {key!r}")
            out[key] = _encode(v, f"{where}[{key!r}]")
        return out
    raise TypeError(f"{where} must be plain data (None, bool, int, float, str, list, tuple, "
                    f"dict) or a numpy array or number, got {type(value).__name__}")


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _decode_float_text(text, dtype, where):
    """The value (and, for a NaN, the bits) that a string element stands for."""
    if text in ("inf", "-inf", "nan"):
        return float(text), None
    width = 2 * dtype.itemsize
    if text.startswith("nan:") and len(text) == 4 + width:
        try:
            bits = int(text[4:], 16)
        except ValueError:
            bits = None
        if bits is not None:
            value = np.array(bits, dtype=f"u{dtype.itemsize}").view(dtype)
            if np.isnan(value):
                return math.nan, bits
    raise ValueError(f"{where} must be a number, 'inf', '-inf', 'nan' or 'nan:' and the "
                     f"{width} hex digits of a {dtype} NaN, got {text!r}")


def _decode_array(value, where):
    if set(value) != {"__ndarray__", "shape", "data"}:
        raise ValueError(f"{where} must have exactly the keys '__ndarray__', 'shape' and "
                         f"'data', got {sorted(value)}")
    name, shape, data = value["__ndarray__"], value["shape"], value["data"]
    if name not in _DTYPES:
        raise ValueError(f"{where}['__ndarray__'] must be one of {', '.join(_DTYPES)}, "
                         f"got {name!r}")
    if not (isinstance(shape, list) and all(_is_int(n) and 0 <= n <= 2**62 for n in shape)):
        raise ValueError(f"{where}['shape'] must be a list of integers >= 0, got {shape!r}")
    size = math.prod(shape)
    if not isinstance(data, list) or len(data) != size:
        raise ValueError(f"{where}['data'] must be a list of {size} values (the product of "
                         f"shape {shape}), got "
                         + (f"{len(data)}" if isinstance(data, list) else type(data).__name__))
    dtype = np.dtype(name)
    if dtype.kind == "b":
        if not all(isinstance(v, bool) for v in data):
            raise ValueError(f"{where}['data'] must hold booleans for dtype bool")
        return np.array(data, dtype=bool).reshape(shape)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        for i, v in enumerate(data):
            if not (_is_int(v) and info.min <= v <= info.max):
                raise ValueError(f"{where}['data'][{i}] must be an integer in "
                                 f"[{info.min}, {info.max}] for dtype {name}, got {v!r}")
        return np.array(data, dtype=dtype).reshape(shape)
    values, nans = [], {}
    for i, v in enumerate(data):
        if isinstance(v, str):
            v, bits = _decode_float_text(v, dtype, f"{where}['data'][{i}]")
            if bits is not None:
                nans[i] = bits
        elif isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ValueError(f"{where}['data'][{i}] must be a number for dtype {name}, "
                             f"got {v!r}")
        elif isinstance(v, int):
            try:
                v = float(v)
            except OverflowError:
                raise ValueError(f"{where}['data'][{i}] must be a {name} value, got the "
                                 f"integer {v}") from None
        values.append(v)
    wide = np.array(values, dtype=np.float64)
    with np.errstate(all="ignore"):
        out = wide.astype(dtype)
        exact = (out.astype(np.float64) == wide) | np.isnan(wide)
    if not np.all(exact):
        i = int(np.flatnonzero(~exact)[0])
        raise ValueError(f"{where}['data'][{i}] must be a {name} value, got {values[i]!r}")
    if nans:
        uint = out.view(f"u{dtype.itemsize}")
        for i, bits in nans.items():
            uint[i] = bits
    return out.reshape(shape)


def _decode(value, where):
    """The value that the plain data ``value`` stands for; ``where`` names it."""
    if value is None or isinstance(value, (bool, str, int, float)):
        return value
    if isinstance(value, list):
        return [_decode(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if not isinstance(value, dict):
        raise TypeError(f"{where} must be plain data (a dict, list, str, int, float, bool "
                        f"or None), got {type(value).__name__}")
    if not all(isinstance(k, str) for k in value):
        raise TypeError(f"{where} must have string keys, got {sorted(map(repr, value))}")
    tags = [k for k in value if k.startswith("__")]
    if not tags:
        return {k: _decode(v, f"{where}[{k!r}]") for k, v in value.items()}
    if "__ndarray__" in tags:
        return _decode_array(value, where)
    if tags == ["__scalar__"] and set(value) == {"__scalar__", "data"}:
        array = _decode_array({"__ndarray__": value["__scalar__"], "shape": [],
                               "data": [value["data"]]}, where)
        return array[()]
    if set(value) == {"__float__"}:
        text = value["__float__"]
        if isinstance(text, str):
            f, bits = _decode_float_text(text, np.dtype(np.float64), f"{where}['__float__']")
            return f if bits is None else float(np.array(bits, np.uint64).view(np.float64))
    if set(value) == {"__tuple__"} and isinstance(value["__tuple__"], list):
        return tuple(_decode(v, f"{where}[{i}]") for i, v in enumerate(value["__tuple__"]))
    raise ValueError(f"{where} must be plain data or one of the tags '__ndarray__', "
                     f"'__scalar__', '__float__', '__tuple__' with their keys, got keys "
                     f"{sorted(value)}")


# --- Objects: a kind and a version around the values -------------------------

def _state_class(name, where):
    """The optimizer state class of that name in :mod:`lrtutor.optim`."""
    cls = getattr(optim, name, None) if isinstance(name, str) else None
    if not (isinstance(name, str) and name in optim.__all__ and isinstance(cls, type)
            and issubclass(cls, tuple) and "count" in getattr(cls, "_fields", ())):
        states = [n for n in optim.__all__ if isinstance(getattr(optim, n), type)
                  and issubclass(getattr(optim, n), tuple)]
        raise ValueError(f"{where} must name an optimizer state of lrtutor.optim "
                         f"({', '.join(states)}), got {name!r}")
    return cls


def _is_state(obj):
    if not (isinstance(obj, tuple) and "count" in getattr(obj, "_fields", ())):
        return False
    name = type(obj).__name__
    return name in optim.__all__ and getattr(optim, name) is type(obj)


def _header(kind, **body):
    return {"kind": kind, "version": VERSION, **body}


def _plateau_fields(obj):
    fields = dataclasses.fields(obj)
    return [f.name for f in fields if f.init], [f.name for f in fields if not f.init]


def to_plain(obj):
    r"""Save a stateful object as plain data (JSON-ready, exact).

    The result is a dict of strings, numbers, booleans, ``None``, lists and
    dicts, with ``"kind"`` and ``"version"`` keys (the format is described in
    :mod:`lrtutor.checkpoint`), such that

    .. math:: \mathrm{from\_plain}(\mathrm{json.loads}(\mathrm{json.dumps}(
              \mathrm{to\_plain}(o)))) \equiv o

    bit for bit: every float, every array element (NaN bits included) and
    every counter comes back as it was.

    Parameters
    ----------
    obj : optimizer state, ReduceLROnPlateau, numpy.random.Generator or Trace
        An optimizer state (a NamedTuple whose class is public in
        :mod:`lrtutor.optim`, made by an optimizer's ``init`` or ``update``);
        a :class:`~lrtutor.schedules.ReduceLROnPlateau` (its settings and
        all its state: ``lr``, ``best``, the counters and the history); a
        generator (its bit generator's state); or a trace made by
        :func:`lrtutor.train.run`, with the checkpoint that
        ``run(..., resume=...)`` needs.

    Returns
    -------
    dict
        Plain data; ``json.dumps(data, allow_nan=False)`` accepts it.

    Raises
    ------
    TypeError
        For any other object, or one holding values plain data cannot hold.

    Examples
    --------
    >>> from lrtutor.optim import Adam
    >>> opt = Adam(lr=0.1)
    >>> x = np.array([1.0, -2.0])
    >>> _, state = opt.update(np.array([0.5, -np.inf]), opt.init(x), x)
    >>> data = to_plain(state)
    >>> data["kind"], data["class"], data["fields"]["count"]
    ('optimizer_state', 'AdamState', 1)
    >>> data["fields"]["m"]
    {'__ndarray__': 'float64', 'shape': [2], 'data': [0.05, '-inf']}
    >>> to_plain(np.random.default_rng(0))["state"]["bit_generator"]
    'PCG64'
    """
    if isinstance(obj, np.random.Generator):
        return _header("Generator", state=_encode(obj.bit_generator.state,
                                                  "obj.bit_generator.state"))
    if isinstance(obj, train.Trace):
        fields = {}
        for name in _TRACE_FIELDS:
            value = getattr(obj, name)
            if name == "state":
                fields[name] = None if value is None else to_plain(value)
            else:
                fields[name] = _encode(value, f"obj.{name}")
        return _header("Trace", fields=fields)
    if isinstance(obj, schedules.ReduceLROnPlateau):
        config, state = _plateau_fields(obj)
        return _header("ReduceLROnPlateau",
                       config={n: _encode(getattr(obj, n), f"obj.{n}") for n in config},
                       state={n: _encode(getattr(obj, n), f"obj.{n}") for n in state})
    if _is_state(obj):
        return _header("optimizer_state", **{"class": type(obj).__name__},
                       fields={n: _encode(getattr(obj, n), f"obj.{n}") for n in obj._fields})
    raise TypeError("obj must be an optimizer state of lrtutor.optim, a ReduceLROnPlateau, "
                    f"a numpy.random.Generator or a lrtutor.train.Trace, got "
                    f"{type(obj).__name__}")


def _keys(data, where, keys):
    if set(data) != set(keys):
        raise ValueError(f"{where} must have exactly the keys {sorted(keys)}, "
                         f"got {sorted(data)}")


def _dict(value, where):
    if not isinstance(value, dict):
        raise TypeError(f"{where} must be a dict, got {type(value).__name__}")
    return value


def _state_from_plain(data, where):
    cls = _state_class(data["class"], f"{where}['class']")
    fields = _dict(data["fields"], f"{where}['fields']")
    _keys(fields, f"{where}['fields']", cls._fields)
    values = {}
    for name in cls._fields:
        at = f"{where}['fields'][{name!r}]"
        value = _decode(fields[name], at)
        if name == "count":
            value = check_int(at, value, low=0)
        elif value is not None and not isinstance(value, (int, float, np.ndarray, np.generic)):
            raise TypeError(f"{at} must be an array, a number or None, got "
                            f"{type(value).__name__}")
        values[name] = value
    return cls(**values)


def _plateau_from_plain(data, where):
    cls = schedules.ReduceLROnPlateau
    config_names, state_names = _plateau_fields(cls)
    config = _dict(data["config"], f"{where}['config']")
    state = _dict(data["state"], f"{where}['state']")
    _keys(config, f"{where}['config']", config_names)
    _keys(state, f"{where}['state']", state_names)
    kwargs = {n: _decode(config[n], f"{where}['config'][{n!r}]") for n in config_names}
    try:
        obj = cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{where}['config'] is not a valid ReduceLROnPlateau: {exc}") from None
    checks = {
        "lr": lambda at, v: check_real(at, v, low=0),
        "best": lambda at, v: check_real(at, v, allow_inf=True),
        "num_bad_epochs": lambda at, v: check_int(at, v, low=0),
        "cooldown_counter": lambda at, v: check_int(at, v, low=0, high=obj.cooldown),
        "history": lambda at, v: _history(at, v),
    }
    for name in state_names:
        at = f"{where}['state'][{name!r}]"
        value = _decode(state[name], at)
        if name in checks:
            value = checks[name](at, value)
        setattr(obj, name, value)
    return obj


def _history(at, value):
    if not isinstance(value, list):
        raise TypeError(f"{at} must be a list of rates, got {type(value).__name__}")
    return [check_real(f"{at}[{i}]", v, low=0) for i, v in enumerate(value)]


def _trace_from_plain(data, where):
    fields = _dict(data["fields"], f"{where}['fields']")
    _keys(fields, f"{where}['fields']", _TRACE_FIELDS)
    values = {}
    for name in _TRACE_FIELDS:
        at = f"{where}['fields'][{name!r}]"
        if name == "state":
            values[name] = (None if fields[name] is None
                            else _from_plain(fields[name], "optimizer_state", at))
        else:
            values[name] = _decode(fields[name], at)
    try:
        return train.Trace(**values)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{where}['fields'] is not a consistent trace: {exc}") from None


_BODIES = {"optimizer_state": ("class", "fields"), "ReduceLROnPlateau": ("config", "state"),
           "Generator": ("state",), "Trace": ("fields",)}


def _from_plain(data, kind, where):
    if not isinstance(data, dict):
        raise TypeError(f"{where} must be a dict made by to_plain (or json.loads of its "
                        f"JSON text), got {type(data).__name__}")
    got = data.get("kind")
    if not (isinstance(got, str) and got in KINDS):
        raise ValueError(f"{where}['kind'] must be one of {', '.join(KINDS)}, got {got!r}")
    if kind is not None and got != kind:
        raise ValueError(f"{where}['kind'] must be {kind!r}, got {got!r}")
    version = data.get("version")
    if not (_is_int(version) and version == VERSION):
        raise ValueError(f"{where}['version'] must be {VERSION} (the format this lrtutor "
                         f"reads), got {version!r}")
    _keys(data, where, ("kind", "version") + _BODIES[got])
    if got == "Generator":
        state = _decode(_dict(data["state"], f"{where}['state']"), f"{where}['state']")
        return train._restore_generator(state, f"{where}['state']")
    if got == "optimizer_state":
        return _state_from_plain(data, where)
    if got == "ReduceLROnPlateau":
        return _plateau_from_plain(data, where)
    return _trace_from_plain(data, where)


def from_plain(data, kind=None):
    r"""Rebuild the object that :func:`to_plain` saved, exactly.

    The inverse of :func:`to_plain`, bit for bit, also after a round trip
    through JSON text:

    .. math:: \mathrm{from\_plain}(\mathrm{to\_plain}(o)) \equiv o.

    A :class:`~lrtutor.train.Trace` comes back with its checkpoint, ready for
    ``lrtutor.train.run(..., resume=trace)``; a
    :class:`~lrtutor.schedules.ReduceLROnPlateau` continues its patience and
    cooldown where they were; a generator draws the numbers it would have
    drawn next.

    Parameters
    ----------
    data : dict
        Plain data made by :func:`to_plain` (or ``json.loads`` of its JSON).
    kind : {"optimizer_state", "ReduceLROnPlateau", "Generator", "Trace"}, optional
        The kind expected; ``None`` accepts any.

    Returns
    -------
    object
        An optimizer state, a ReduceLROnPlateau, a numpy.random.Generator or
        a Trace.

    Raises
    ------
    TypeError, ValueError
        For data that is not such a checkpoint: another kind or version, a
        missing or unknown key, an array whose data does not fill its shape,
        a value of the wrong type or out of range, a trace whose arrays do not
        fit together. The message names the offending entry, e.g.
        ``data['version']`` or ``data['fields']['m']['shape']``.

    Examples
    --------
    >>> import json
    >>> from lrtutor.schedules import ReduceLROnPlateau
    >>> plateau = ReduceLROnPlateau(0.1, factor=0.5, patience=2)
    >>> [plateau.step(m) for m in (1.0, 0.9, 0.95, 0.95)]       # two bad epochs
    [0.1, 0.1, 0.1, 0.1]
    >>> copy = from_plain(json.loads(json.dumps(to_plain(plateau))))
    >>> copy.num_bad_epochs, copy.step(0.95), plateau.step(0.95)  # the third: a cut
    (2, 0.05, 0.05)
    >>> try:                                   # data from another format version
    ...     from_plain({"kind": "Generator", "version": 2, "state": {}})
    ... except ValueError as err:
    ...     print(err)
    data['version'] must be 1 (the format this lrtutor reads), got 2
    """
    if kind is not None and not (isinstance(kind, str) and kind in KINDS):
        raise ValueError(f"kind must be None or one of {', '.join(KINDS)}, got {kind!r}")
    return _from_plain(data, kind, "data")
