"""The text of a number in `eval --batch`'s CSV output: the shortest digits that read back as the same float,
laid out as Arrow's CSV writer lays them out, so the output is the same bytes whoever writes it.

With the `[batch]` extra, pyarrow's CSV writer writes the rows (four times as fast as Python's `%r`:
0.75 s against 2.9 s for 8 million numbers, measured for issue 16); without it, `csv_rows` below writes
the same bytes. Both take the digits of the shortest round trip (Python's repr and Arrow's
double-conversion find the same ones) and differ only in the layout, which is Arrow's:

    decimal exponent -6 .. 9: fixed     1, -2.5, 0.000001, 123456789
    otherwise:               scientific 1e-7, 1.5e+10, 9.007199254740992e+15, 5e-324, 1e+308

No trailing ".0" and an unpadded exponent. Every number written reads back as the same float64 (tests/batch
hold it on random doubles, subnormals and the ends of the range); -0.0 is written 0 (as `eval --json` writes
it), and nan and infinity are never written: a row whose numbers are not finite fails (batch/run.py).
columnar.py checks on a probe of numbers that the installed pyarrow still writes them this way, and writes
with `csv_rows` if it does not.
"""
from __future__ import annotations

LOW, HIGH = -6, 10  # decimal exponents LOW <= e < HIGH are written in fixed notation (Arrow's choice)


def shortest(x: float) -> str:
    """x (finite) as Arrow writes it: the shortest digits that read back as x, fixed or scientific."""
    text = repr(x)
    sign = ""
    if text[0] == "-":
        sign, text = "-", text[1:]
    mantissa, _, exponent = text.partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = whole + fraction
    point = len(whole) + (int(exponent) if exponent else 0)  # digits[:point] is the integer part
    significant = digits.lstrip("0")
    point -= len(digits) - len(significant)
    digits = significant.rstrip("0")
    if not digits:
        return "0"  # -0.0 too
    e = point - 1
    if LOW <= e < HIGH:
        if point <= 0:
            return f"{sign}0.{'0' * -point}{digits}"
        if point >= len(digits):
            return sign + digits + "0" * (point - len(digits))
        return f"{sign}{digits[:point]}.{digits[point:]}"
    rest = "." + digits[1:] if len(digits) > 1 else ""
    return f"{sign}{digits[0]}{rest}e{'+' if e >= 0 else '-'}{abs(e)}"


def differs(table, np):
    """Where a number's repr is not its Arrow text (a mask over `table`): whole numbers below 1e16 ("4.0"),
    numbers from 1e10 to 1e16 and below 1e-4 (repr's layout changes at other exponents). Only these are
    written by shortest(); str() writes the others, much faster."""
    size = np.abs(table)
    return ((table == np.trunc(table)) & (size < 1e16)) | ((size >= 1e10) & (size < 1e16)) | (size < 1e-4)


def csv_rows(table, width: int, np, empty: dict | None = None) -> str:
    """Rows of CSV, Arrow's layout, for a float64 table (NumPy, rows x `width`; without NumPy a list of
    rows); `empty` maps a row to the text that replaces it (a failed row)."""
    if np is None:
        flat = [shortest(x) for row in table for x in row]
        count = len(table)
    else:
        flat = table.ravel().tolist()
        for k in np.flatnonzero(differs(table.ravel(), np)).tolist():
            flat[k] = shortest(flat[k])
        count = table.shape[0]
    line = ",".join(["%s"] * width) + "\n"
    if not empty:
        return (line * count) % tuple(flat)
    return "".join(empty[r] if r in empty else line % tuple(flat[r * width:(r + 1) * width])
                   for r in range(count))
