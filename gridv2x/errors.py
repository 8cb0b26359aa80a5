"""Errors of gridv2x.

Only one kind is raised for bad input, :class:`InputError`; the command line turns it into a
message and exit code 2 without a traceback.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

__all__ = [
    "InputError",
    "ScenarioError",
    "ClusterLost",
    "unquoted",
    "EXIT_INVALID",
    "EXIT_INTERNAL",
    "exit_on_input_error",
]

EXIT_INVALID = 2
"""Exit code of a command given bad input."""

EXIT_INTERNAL = 1
"""Exit code of a command that failed for another reason (e.g. the dask cluster went away)."""


class InputError(ValueError):
    """Bad input from the user: a scenario value, a file, a network.

    The message names the key or file, what was given and what is allowed.
    """


class ScenarioError(InputError):
    """A scenario failed validation; ``errors`` holds every problem found (all at once).

    Parameters
    ----------
    errors : list of gridv2x.options.ValidationError
    source : str
        The scenario file (or ``"<dict>"``).
    """

    def __init__(self, errors: list, source: str = "<dict>") -> None:
        self.errors = list(errors)
        self.source = source
        lines = [f"{source}: {len(self.errors)} problem(s) in the scenario"]
        lines += [f"  - {e}" for e in self.errors]
        super().__init__("\n".join(lines))


class ClusterLost(RuntimeError):
    """The dask cluster went away during a run (the finished tasks are kept; exit code 1)."""


def unquoted(exc: BaseException) -> str:
    """What went wrong reading a file, without quoting the file's contents.

    Parser messages of pandas, GDAL and the JSON and datetime readers quote the text they
    failed on (the first line of a file given by mistake, e.g. ``/etc/shadow``). Error
    messages of gridv2x name the file and the key instead, and use this for the cause: the
    system's reason for an operating-system error, else the kind of error.

    Parameters
    ----------
    exc : BaseException
        The exception a reader raised.

    Returns
    -------
    str
        E.g. ``"Permission denied"``, ``"not UTF-8 text"``, ``"ParserError"``.
    """
    if isinstance(exc, UnicodeError):
        return "not UTF-8 text"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return type(exc).__name__


def exit_on_input_error(func: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a command: bad input (:class:`InputError`, which includes
    :class:`ScenarioError`) gives ``error: <message>`` on stderr and exit code 2, no traceback;
    a lost dask cluster (:class:`ClusterLost`) gives one line and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except InputError as exc:
            print(f"error: {exc}", file=sys.stderr)
            sys.exit(EXIT_INVALID)
        except ClusterLost as exc:  # one line, no traceback; finished tasks are kept
            print(f"error: {exc}", file=sys.stderr)
            sys.exit(EXIT_INTERNAL)

    return wrapper
