"""The pages' settings: each widget bound to its link parameter and kept across page switches.

A page declares its settings once, as a list of :class:`Setting`, and calls :func:`keep` for
the ones it is about to draw, just before drawing their widgets.
Each setting's first value comes from, in order:

1. the copy kept when the visitor last saw this page (Streamlit forgets a widget's value while
   another page is shown, so leaving a page would otherwise reset it);
2. the link's query parameter, read by the setting's parser; a value it cannot use is named in
   a warning (shown literally) and the default is used instead;
3. the default.

After drawing, :func:`to_link` writes the values in use back into the link, so a bookmark or a
shared URL reproduces the page. Parsers for a link's text live here, one per kind of value,
and all refuse in the same words: what is allowed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import streamlit as st

from pages._text import plain

__all__ = [
    "Setting",
    "either",
    "keep",
    "on_off",
    "one_of",
    "put",
    "query_value",
    "to_link",
    "whole_number",
]

T = TypeVar("T")


@dataclass(frozen=True)
class Setting:
    """One control's value: its widget key, default, and (optionally) its link parameter.

    Attributes
    ----------
    key : str
        The widget's key in ``st.session_state`` (``"conv_stride"``).
    default : object
        The value when neither a kept copy nor the link gives one.
    param : str or None
        The query parameter that carries it in a link (``"stride"``); None keeps it out of links.
    parse : callable or None
        Reads the parameter's text; raises ``ValueError`` saying what is allowed.
    what : str
        The value's name in a warning ("stride", "sample name").
    """

    key: str
    default: Any
    param: str | None = None
    parse: Callable[[str], Any] | None = None
    what: str = "value"


def keep(page: str, settings: Iterable[Setting]) -> None:
    """Give each setting its first value and keep a copy that outlives a visit to another page.

    Call it in the run that draws these settings' widgets, just before drawing them: a value
    written here for a widget that this run does not draw stays behind in the session, and
    Streamlit would bring that stale value back after the visitor's next page switch.
    """
    state = st.session_state
    kept = state.setdefault(f"{page}__kept", {})
    for setting in settings:
        if setting.key not in state:
            if setting.key in kept:
                state[setting.key] = kept[setting.key]
            elif setting.param is not None and setting.parse is not None:
                state[setting.key] = query_value(
                    setting.param, setting.parse, setting.default, setting.what
                )
            else:
                state[setting.key] = setting.default
        kept[setting.key] = state[setting.key]


def put(page: str, values: Mapping[str, object]) -> None:
    """Set these settings to values the page chose (not the visitor), and keep the copy.

    For a setting the page moves itself (a slider back to the middle of a new map, a stride
    that follows the window). Like :func:`keep`, call it in the run that draws their widgets,
    before drawing them.
    """
    kept = st.session_state.setdefault(f"{page}__kept", {})
    for key, value in values.items():
        st.session_state[key] = kept[key] = value


def to_link(values: Mapping[str, object]) -> None:
    """Write these query parameters into the link, each only if it changed; None removes one.

    Booleans are written as 1 and 0 (see :func:`on_off`).
    """
    params = st.query_params
    for name, value in values.items():
        if value is None:
            if name in params:
                del params[name]
            continue
        text = str(int(value)) if isinstance(value, bool) else str(value)
        # A link may repeat a parameter (?stride=abc&stride=2): the page used the last one, so
        # the link is rewritten with that one alone.
        if params.get_all(name) != [text]:
            params[name] = text


def query_value(name: str, parse: Callable[[str], T], default: T, what: str) -> T:
    """The value of query parameter ``name`` read with ``parse``, or ``default`` with a warning.

    ``parse`` raises ``ValueError`` for text it cannot use; the visitor then sees which part of
    the link was ignored (shortened, shown literally) and the page carries on with ``default``.
    """
    raw = st.query_params.get(name)
    if raw is None:
        return default
    try:
        return parse(raw)
    except (ValueError, RecursionError, OverflowError) as error:
        st.warning(
            f"The link's {plain(name)}={plain(raw)} is not a valid {what}, so the default is "
            f"used. ({plain(str(error), 300)})"
        )
        return default


# --- one parser per kind of value ---------------------------------------------------------------


def whole_number(low: int, high: int) -> Callable[[str], int]:
    """A parser for a whole number from ``low`` to ``high`` written in ASCII digits.

    Python's ``int`` also reads other scripts' digits (``int("٣") == 3``) and surrounding
    spaces; a link's value is taken only as a person would type it on a keyboard.

    >>> whole_number(1, 8)("3")
    3
    >>> whole_number(-5, 5)("-2")
    -2
    """

    def parse(text: str) -> int:
        if not re.fullmatch(r"-?[0-9]{1,6}", text) or not low <= int(text) <= high:
            raise ValueError(f"Use a whole number from {low} to {high}.")
        return int(text)

    return parse


def one_of(options: Sequence[str]) -> Callable[[str], str]:
    """A parser that accepts exactly one of ``options``.

    >>> one_of(["max", "average"])("max")
    'max'
    """

    def parse(text: str) -> str:
        if text not in options:
            raise ValueError(f"Choose one of: {', '.join(options)}.")
        return text

    return parse


def on_off(text: str) -> bool:
    """A switch in a link: ``1`` is on, ``0`` is off.

    >>> on_off("1"), on_off("0")
    (True, False)
    """
    if text not in ("0", "1"):
        raise ValueError("Use 1 (on) or 0 (off).")
    return text == "1"


def either(words: Sequence[str], low: int, high: int, unit: str = "") -> Callable[[str], str | int]:
    """A parser for one of ``words`` or else a whole number from ``low`` to ``high``.

    >>> parse = either(["valid", "same"], 0, 20, "of pixels")
    >>> parse("same"), parse("4")
    ('same', 4)
    """
    number = whole_number(low, high)
    what = f"a whole number {unit} from {low} to {high}".replace("  ", " ")

    def parse(text: str) -> str | int:
        if text in words:
            return text
        try:
            return number(text)
        except ValueError:
            listed = ", ".join(words) + ("," if len(words) > 1 else "")
            raise ValueError(f"Use {listed} or {what}.") from None

    return parse
