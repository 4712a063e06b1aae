"""Numbers written for people: short, and with a real minus sign (−), never a hyphen.

Every sum the pages spell out (:func:`cnnviz.maths.ops.format_products`) and every number a
picture writes (:mod:`cnnviz.pictures`) goes through :func:`number_text`.
"""

from __future__ import annotations

__all__ = ["MINUS", "number_text"]

MINUS = "\u2212"  # the minus sign, a little longer and higher than the hyphen "-"


def number_text(value: float, digits: int = 3, *, fixed: bool = False) -> str:
    """``value`` written short, with a real minus sign: ``−0.5``, ``1.25``, ``3e−05``.

    Parameters
    ----------
    value : float
    digits : int
        Significant digits (``format(value, ".{digits}g")``), or with ``fixed=True`` decimals
        (``".{digits}f"``) with trailing zeros and a trailing point dropped.
    fixed : bool
        Decimals instead of significant digits: numbers in a table line up by their point.

    Returns
    -------
    str
        Never ``"-0"`` nor empty: a value that rounds to zero is ``"0"``.

    Examples
    --------
    >>> number_text(-0.5), number_text(1234.5), number_text(-0.00003)
    ('−0.5', '1.23e+03', '−3e−05')
    >>> [number_text(v, 2, fixed=True) for v in (2.0, -0.004, 10.0)]
    ['2', '0', '10']
    """
    if fixed:
        text = f"{value:.{digits}f}"
        text = text.rstrip("0").rstrip(".") if "." in text else text  # "10", not "1"
    else:
        text = f"{value:.{digits}g}"
    if text in ("-0", ""):
        text = "0"
    return text.replace("-", MINUS)
