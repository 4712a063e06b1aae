"""Small shared helpers that turn user-facing arguments into canonical values.

Every public function in :mod:`cnnviz` calls these once, at the door, so its body only ever
sees clean values, and every error names the argument, the rule and what was received.
"""

from __future__ import annotations

import numbers
import os

import numpy as np

Pair = tuple[int, int]


def as_pair(value: object, name: str, *, minimum: int = 1) -> Pair:
    """Return ``value`` as a ``(row, col)`` pair of ints, each at least ``minimum``.

    An int ``n`` becomes ``(n, n)``; a pair of ints is kept.

    >>> as_pair(2, "stride")
    (2, 2)
    >>> as_pair((1, 3), "stride")
    (1, 3)
    """
    rule = (
        "a positive integer or a (row, col) pair of them"
        if minimum == 1
        else (f"an integer >= {minimum} or a (row, col) pair of them")
    )
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        items: tuple = (value, value)
    elif isinstance(value, (tuple, list)) and len(value) == 2:
        items = tuple(value)
    else:
        raise ValueError(f"`{name}` must be {rule}. Received: {name}={value!r}.")
    for item in items:
        if isinstance(item, bool) or not isinstance(item, numbers.Integral) or item < minimum:
            raise ValueError(f"`{name}` must be {rule}. Received: {name}={value!r}.")
    return int(items[0]), int(items[1])


def as_padding(value: object) -> str | int:
    """Return ``padding`` as ``"valid"``, ``"same"`` or a non-negative int.

    >>> as_padding("SAME")
    'same'
    >>> as_padding(2)
    2
    """
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("valid", "same"):
            return lowered
    elif isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 0:
        return int(value)
    raise ValueError(
        "`padding` must be 'valid', 'same' or a non-negative number of pixels. "
        f"Received: padding={value!r}."
    )


def as_choice(value: object, name: str, allowed: tuple[str, ...]) -> str:
    """Return ``value`` lower-cased if it is one of ``allowed``.

    >>> as_choice("Max", "mode", ("max", "average"))
    'max'
    """
    if isinstance(value, str) and value.strip().lower() in allowed:
        return value.strip().lower()
    options = ", ".join(repr(a) for a in allowed)
    raise ValueError(f"`{name}` must be one of {options}. Received: {name}={value!r}.")


def as_whole(value: object, name: str, low: int, high: int) -> int:
    """Return ``value`` as an int if it is a whole number from ``low`` to ``high`` (no bool).

    >>> as_whole(3, "class_index", 0, 9)
    3
    >>> as_whole(10, "class_index", 0, 9)
    Traceback (most recent call last):
    ValueError: `class_index` must be a whole number from 0 to 9. Received: class_index=10.
    """
    whole = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if not whole or not low <= value <= high:
        raise ValueError(
            f"`{name}` must be a whole number from {low} to {high}. Received: {name}={value!r}."
        )
    return int(value)


def as_float_array(value: object, name: str, ndims: tuple[int, ...]) -> np.ndarray:
    """Return ``value`` as a finite float32 array whose number of dimensions is in ``ndims``.

    >>> as_float_array([[1, 2], [3, 4]], "x", (2, 3)).dtype
    dtype('float32')
    """
    try:
        array = np.asarray(value, dtype=np.float32)
    except (TypeError, ValueError) as error:
        raise ValueError(f"`{name}` must be an array of numbers. Received: {error}.") from None
    if array.ndim not in ndims:
        dims = " or ".join(f"{d}-D" for d in ndims)
        raise ValueError(f"`{name}` must be {dims}. Received: {name}.shape={array.shape}.")
    if array.size == 0:
        raise ValueError(f"`{name}` must not be empty. Received: {name}.shape={array.shape}.")
    if not np.isfinite(array).all():
        raise ValueError(f"`{name}` must hold finite numbers only (no NaN or infinity).")
    return array


def env_int(name: str, default: int, *, minimum: int = 1, maximum: int | None = None) -> int:
    """Read a whole-number setting from the environment variable ``name``.

    Unset or blank gives ``default``; anything else must be a whole number in
    ``[minimum, maximum]``.

    >>> env_int("CNNVIZ_SURELY_UNSET", 4)
    4
    """
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum or (maximum is not None and value > maximum):
        rule = (
            "a positive integer"
            if minimum == 1 and maximum is None
            else (f"a whole number from {minimum} to {maximum}")
        )
        raise ValueError(f"`{name}` must be {rule}. Received: {name}={raw!r}.")
    return value
