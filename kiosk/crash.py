"""Describe an unexpected exception for the log without its message.

An exception's message can carry what it was given (pydantic quotes the input
it rejected, a KeyError its key): a document number or a name. The technician
needs the type and where it happened, not the values.
"""

from __future__ import annotations

import traceback


def describe(exc: BaseException) -> str:
    """'TypeName at file.py:12 in fn <- file.py:40 in caller' — innermost frame first."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} in {f.name}"
                        for f in reversed(frames[-8:]))
    return f"{type(exc).__name__} at {where}" if where else type(exc).__name__
