"""Errors of gridv2x.

Only one kind is raised for bad input, :class:`InputError`; the command line turns it into a
message and exit code 2 without a traceback.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["InputError", "ScenarioError", "EXIT_INVALID", "exit_on_input_error"]

EXIT_INVALID = 2
"""Exit code of a command given bad input."""


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


def exit_on_input_error(func: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a command: bad input (:class:`InputError`, which includes
    :class:`ScenarioError`) gives ``error: <message>`` on stderr and exit code 2, no traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except InputError as exc:
            print(f"error: {exc}", file=sys.stderr)
            sys.exit(EXIT_INVALID)

    return wrapper
