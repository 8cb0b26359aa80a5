"""The output folder's safety rules: names become safe file names, nothing is written or removed
outside the folder, files get the modes the umask allows, and one folder holds one study.

* **Names are labels, never paths.** A scenario name, a feeder name (a GIS substation id, a
  file stem) or a task id may be any text — ``Umeå/Ersmark``, ``../../x``, 300 bytes — and is
  shown as given in tables and the report. Where it becomes part of a path it goes through
  :func:`file_name`: a name made only of letters (any script), digits, ``. _ -`` (not
  starting with ``.`` or ``-``, at most :data:`MAX_NAME_BYTES`) is kept as it is; any other
  becomes a readable slug of those characters plus ``-`` and 10 hex digits of its SHA-256
  (``Umeå/Ersmark`` -> ``Umeå-Ersmark-<hash>``, ``../../x`` -> ``x-<hash>``), deterministic
  and distinct for distinct names.
* **One guard.** Every write and every removal in the output folder goes through
  :func:`inside`, which resolves symbolic links and refuses any path that is not the folder or
  under it.
* **Modes from the umask.** Temporary files renamed into place are made 0666 & ~umask and
  temporary folders 0777 & ~umask (:func:`file_mode`, :func:`folder_mode`), as a plain
  ``open`` and ``mkdir`` would, so results on a shared drive are readable by the group the
  site's umask allows.
* **One folder, one study.** :func:`claim` refuses ``/`` and any existing folder that holds
  files and is not a gridv2x output folder (exit 2: nothing is written into a user's
  folder). A gridv2x output folder records the fingerprint of the study that wrote it in
  :data:`MARKER`; a run with a different fingerprint (another scenario, or any input file,
  feeder definition or gridv2x version changed) first removes the files the previous study
  wrote — only the names of the documented layout (``docs/architecture.md``), never other
  files — so no table, map or fleet of another study can appear in the new report.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from gridv2x import results
from gridv2x.errors import InputError
from gridv2x.results import MAX_NAME_BYTES, file_name  # noqa: F401 - re-exported

__all__ = [
    "MARKER",
    "MAX_NAME_BYTES",
    "file_name",
    "inside",
    "umask",
    "file_mode",
    "folder_mode",
    "claim",
    "is_output_folder",
    "remove_study_files",
]

MARKER = ".gridv2x-study.json"
"""File in an output folder recording the fingerprint of the study that wrote it."""


TOP_LEVEL_FILES = results.top_level_files()
"""Files a study writes at the top of its output folder (the layout of :mod:`gridv2x.results`)."""

TASK_FILES = results.task_files()
"""Files a task writes in ``results/<task>/``."""


def inside(root: str | os.PathLike, path: str | os.PathLike) -> Path:
    """``path`` if it lies in the output folder ``root`` (symbolic links resolved).

    Raises
    ------
    gridv2x.errors.InputError
        ``path`` is outside ``root`` (e.g. through a name with ``..`` or a link).
    """
    base = Path(root).resolve()
    target = Path(path).resolve()
    if target != base and base not in target.parents:
        raise InputError(
            f"refusing to write or remove {str(path)!r}: it is outside the output folder "
            f"{str(root)!r}"
        )
    return Path(path)


def umask() -> int:
    """The process's umask, read without changing it where the system allows."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # pragma: no cover - systems without /proc
    os.umask(mask)  # pragma: no cover
    return mask  # pragma: no cover


def file_mode() -> int:
    """Mode of a new file under the current umask (0666 & ~umask)."""
    return 0o666 & ~umask()


def folder_mode() -> int:
    """Mode of a new folder under the current umask (0777 & ~umask)."""
    return 0o777 & ~umask()


def is_output_folder(path: Path) -> bool:
    """Whether ``path`` is an output folder of gridv2x (this version or an earlier one)."""
    if (path / MARKER).is_file() or (path / "scenario.resolved.yaml").is_file():
        return True
    results = path / "results"
    return results.is_dir() and any(results.glob("*/task.json"))


def _recorded_fingerprint(path: Path) -> str | None:
    try:
        data = json.loads((path / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data.get("fingerprint") if isinstance(data, dict) else None


def claim(out: str | os.PathLike, fingerprint: str, scenario_name: str) -> bool:
    """Make ``out`` the output folder of the study ``fingerprint`` before anything is written.

    Parameters
    ----------
    out : path
        The output folder (``--out``); created if missing.
    fingerprint : str
        :func:`gridv2x.execution.fingerprint.study_fingerprint` of the study.
    scenario_name : str
        Recorded with the fingerprint (for people looking at the folder).

    Returns
    -------
    bool
        True when the folder held another study's results, which were removed.

    Raises
    ------
    gridv2x.errors.InputError
        ``out`` is ``/``, is not a folder, or is a non-empty folder that is not a gridv2x
        output folder (nothing is written then).
    """
    out = Path(out)
    resolved = out.resolve()
    if resolved == Path(resolved.anchor):
        raise InputError(f"--out {str(out)!r}: the root of the file system is not an output folder")
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {str(out)!r}: exists and is not a folder")
    cleaned = False
    if out.is_dir() and any(out.iterdir()):
        if not is_output_folder(out):
            raise InputError(
                f"--out {str(out)!r}: the folder holds files and is not a gridv2x output "
                "folder; give a new or empty folder (gridv2x writes and removes its own files "
                "in it)"
            )
        if _recorded_fingerprint(out) != fingerprint:
            remove_study_files(out)
            cleaned = True
    out.mkdir(parents=True, exist_ok=True)
    from gridv2x.execution.store import write_json

    write_json(
        out / MARKER,
        {"gridv2x_output": 1, "fingerprint": fingerprint, "scenario_name": str(scenario_name)},
    )
    return cleaned


def _unlink(root: Path, path: Path) -> None:
    if path.is_file() or path.is_symlink():
        inside(root, path.parent)
        path.unlink(missing_ok=True)


def _rmdir_if_empty(root: Path, path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        inside(root, path)
        try:
            path.rmdir()
        except OSError:  # holds files that are not ours: left alone
            pass


def remove_study_files(out: str | os.PathLike) -> None:
    """Remove what a study wrote in ``out`` (the documented layout only; other files stay)."""
    root = Path(out)
    _unlink(root, root / MARKER)
    for name in TOP_LEVEL_FILES:
        _unlink(root, root / name)
    for path in root.glob(".report-*.html"):  # an interrupted atomic report write
        _unlink(root, path)
    for path in root.glob("tmp*.tmp"):  # an interrupted atomic table write
        _unlink(root, path)
    variants = root / "variants"  # sensitivity studies: one output folder per variant
    if variants.is_dir() and not variants.is_symlink():
        for folder in variants.iterdir():
            if folder.is_dir() and not folder.is_symlink():
                inside(root, folder)
                remove_study_files(folder)
                _rmdir_if_empty(root, folder)
        _rmdir_if_empty(root, variants)
    folder_of_results = root / results.RESULTS_DIR
    if not folder_of_results.is_dir() or folder_of_results.is_symlink():
        return
    for name, pattern in (("feeders", "*.geojson"), ("fleet", "*.parquet")):
        for path in (folder_of_results / name).glob(pattern):
            _unlink(root, path)
        for path in (folder_of_results / name).glob(".*.tmp"):
            _unlink(root, path)
        _rmdir_if_empty(root, folder_of_results / name)
    for task in folder_of_results.iterdir():
        if not task.is_dir() or task.is_symlink() or task.name in ("feeders", "fleet"):
            continue
        for name in TASK_FILES:
            _unlink(root, task / name)
        for path in task.glob(".*.tmp"):
            _unlink(root, path)
        for path in task.glob("tmp*.tmp"):
            _unlink(root, path)
        _rmdir_if_empty(root, task)
    _rmdir_if_empty(root, folder_of_results)
