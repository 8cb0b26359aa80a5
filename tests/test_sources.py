"""docs/sources.md is the project's record of where its numbers come from: every section the
code cites exists, every module with a source tag points into it, its table of scenario
defaults matches the code, and nothing cites a file outside the repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gridv2x.scenario import schema

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "docs" / "sources.md"
CITATION = re.compile(r"docs/sources\.md\s+§\s*([0-9]+(?:\.[0-9]+)*)")
TAG = re.compile(r"\[(?:F|E|R)\]")


def _sections() -> set[str]:
    numbers = set()
    for line in SOURCES.read_text(encoding="utf-8").splitlines():
        match = re.match(r"#{2,4}\s+([0-9]+(?:\.[0-9]+)*)\.?\s", line)
        if match:
            numbers.add(match.group(1))
    return numbers


def _texts():
    files = [*sorted((ROOT / "gridv2x").rglob("*.py")), *sorted((ROOT / "docs").glob("*.md"))]
    files += [ROOT / "README.md", *sorted((ROOT / "gridv2x").rglob("*.yaml"))]
    for path in files:
        yield path, path.read_text(encoding="utf-8")


def test_every_cited_section_exists():
    sections = _sections()
    assert {"1.2", "3", "7.1", "10"} <= sections
    missing = [
        f"{path.relative_to(ROOT)}: §{number}"
        for path, text in _texts()
        for number in CITATION.findall(text)
        if number.rstrip(".") not in sections
    ]
    assert missing == []


def test_every_module_with_a_source_tag_cites_the_sources():
    untraced = [
        str(path.relative_to(ROOT))
        for path, text in _texts()
        if path.suffix == ".py" and TAG.search(text) and "docs/sources.md" not in text
    ]
    assert untraced == []


def test_no_citation_of_files_outside_the_repository():
    outside = [
        str(path.relative_to(ROOT))
        for path, text in _texts()
        if "sweden.md" in text or "DESIGN.md" in text
    ]
    assert outside == []


def _defaults_table() -> dict[str, str]:
    text = SOURCES.read_text(encoding="utf-8")
    table = text.split("### 7.1", 1)[1].split("###", 1)[0]
    rows = {}
    for line in table.splitlines():
        match = re.match(
            r"\|\s*`([^`]+)`\s*\|\s*([^|]+?)\s*\|\s*([^|]*?)\s*\|\s*([^|]+?)\s*\|", line
        )
        if match:
            rows[match.group(1)] = (match.group(2), match.group(4))
    return rows


def test_scenario_defaults_match_the_sources_table():
    table = _defaults_table()
    numeric = {
        key: default
        for key, default, _allowed, _doc in schema.describe()
        if isinstance(default, (int, float)) and not isinstance(default, bool)
    }
    assert sorted(table) == sorted(numeric), "docs/sources.md §7.1 lists other keys than the code"
    for key, default in numeric.items():
        value, tag = table[key]
        assert float(value) == pytest.approx(float(default)), key
        assert tag in ("[F]", "[E]", "[R]", "[F]/[E]", "setting"), (key, tag)
