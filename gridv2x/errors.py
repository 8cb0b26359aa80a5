"""Errors of gridv2x.

Only one kind is raised for bad input, :class:`InputError`; the command line turns it into a
message and exit code 2 without a traceback.
"""

from __future__ import annotations

__all__ = ["InputError", "ScenarioError"]


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
