"""The ``gridv2x`` command line: a thin layer over the public API.

Exit codes: 0 success; 2 invalid input (the message names the key or file, what was given and
what is allowed; no traceback, nothing written); 1 an internal error.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from gridv2x.cli_networks import networks
from gridv2x.errors import EXIT_INTERNAL, InputError, exit_on_input_error
from gridv2x.execution.outfolder import file_name


def _fail(message: str, code: int) -> None:
    click.echo(message, err=True)
    sys.exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="gridv2x")
def main() -> None:
    """gridv2x: how many EVs can my LV feeders take, and what do V1G and V2G buy?"""
    from gridv2x.console import route_warnings

    route_warnings()


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), help="Output folder [reports/<name>/].")
@click.option("--scheduler", help="Address of an existing dask scheduler, e.g. tcp://host:8786.")
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    help="Worker processes of the local dask cluster [one per core]; 0 = no dask.",
)
@click.option("--quiet", is_flag=True, help="No progress output.")
@click.option(
    "--dashboard", is_flag=True, help="Serve the local dask cluster's dashboard on port 8787."
)
@click.option("--excel", is_flag=True, help="Also write results.xlsx (summary, hosting capacity).")
@exit_on_input_error
def run(
    scenario: Path,
    out: Path | None,
    scheduler: str | None,
    workers: int | None,
    quiet: bool,
    dashboard: bool,
    excel: bool,
):
    """Run the study in SCENARIO (a YAML file) and write the report."""
    import gridv2x
    from gridv2x.execution.memory import keep_freed_memory

    keep_freed_memory()  # this process is ours (it writes the results and runs --workers 0)
    resolved = gridv2x.read_scenario(scenario)
    out = out or Path("reports") / file_name(resolved.name)  # a name is never a path
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: exists and is not a folder")
    result = gridv2x.run(
        resolved,
        scheduler=scheduler,
        workers=workers,
        out=out,
        progress=not quiet,
        dashboard=dashboard,
    )
    result.write(out)
    if excel:
        from gridv2x.report.excel import write_excel

        click.echo(f"excel: {write_excel(out)}")
    if not quiet:
        _print_summary(result)
    click.echo(f"report: {out / 'report.html'}")
    if result.failures:
        lines = [f"  - {task}: {error}" for task, error in result.failures.items()]
        _fail(
            f"error: {len(result.failures)} task(s) failed (see provenance.json):\n"
            + "\n".join(lines),
            EXIT_INTERNAL,
        )


def _print_summary(result) -> None:
    summary = result.summary
    if summary.empty:
        return
    columns = [
        c
        for c in (
            "feeder",
            "strategy",
            "n_evs",
            "transformer_peak_kw",
            "transformer_max_loading_pct",
            "v_min_pu",
            "ev_unmet_kwh",
            "converged_share",
        )
        if c in summary
    ]
    group = [c for c in ("feeder", "strategy") if c in summary]
    table = summary[columns].groupby(group, sort=False).mean(numeric_only=True).round(3)
    click.echo(table.to_string())
    if result.hosting_capacity is not None:
        click.echo("\nhosting capacity (EVs per 100 customers at the study's risk level):")
        hc = result.hosting_capacity
        if "statement" in hc:
            for _, row in hc.iterrows():
                click.echo(f"  {row['feeder']} {row['strategy']}: {row['statement']}")
        else:
            click.echo(hc.to_string(index=False))
    if result.sensitivity is not None and not result.sensitivity.empty:
        from gridv2x.report.sensitivity import dominant_sentences

        click.echo("\nsensitivity:")
        for sentence in dominant_sentences(result.sensitivity):
            click.echo(f"  {sentence}")
    if result.deferral is not None:
        click.echo("\ninvestment deferral:")
        click.echo(result.deferral.to_string(index=False))


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@exit_on_input_error
def validate(scenario: Path):
    """Check SCENARIO without running it (exit 2 and every problem listed if invalid)."""
    import gridv2x
    from gridv2x.api import validate_feeders
    from gridv2x.study import Study

    resolved = gridv2x.read_scenario(scenario)
    study = Study(resolved)
    validate_feeders(study)
    section = resolved.study
    count = f"{len(study.tasks())} task(s)"
    per_level = len(study.feeder_names) * len(study.strategies)
    if section["kind"] == "sensitivity":
        variants = 1 + 2 * len(section["assumptions"])
        most = variants * per_level * section["seeds"] * (int(section["refine"]) + 2)
        count = f"up to {most} task(s) ({variants} variants, bisection)"
    elif section["kind"] in ("hosting_capacity", "adoption_forecast"):
        from gridv2x.execution.sequential import SequentialPlan

        first = len(SequentialPlan(study).next_round())
        levels = len(section["ev_shares" if section["kind"] == "hosting_capacity" else "years"])
        draws = max(section.get("max_seeds") or 0, section["seeds"])
        most = per_level * (levels + int(section.get("refine") or 0)) * draws
        if most > first:
            count = f"{first} task(s) in the first round, up to {most}"
    click.echo(
        f"{scenario}: valid — {section['kind']} study, {len(study.feeder_names)} feeder(s), {count}"
    )


@main.command()
@click.argument("outdir", type=click.Path(path_type=Path))
@click.option("--excel", is_flag=True, help="Also write results.xlsx.")
@exit_on_input_error
def report(outdir: Path, excel: bool):
    """Rebuild OUTDIR/report.html from stored results, without rerunning the study."""
    from gridv2x.report import build_report

    if not (outdir / "summary.csv").is_file():
        raise InputError(
            f"{outdir}: not a gridv2x output folder (no summary.csv); run `gridv2x run` first"
        )
    path = build_report(outdir)
    click.echo(f"report: {path}")
    if excel:
        from gridv2x.report.excel import write_excel

        click.echo(f"excel: {write_excel(outdir)}")


@main.command()
@click.option("--docs", is_flag=True, help="A table of every key with its default and meaning.")
def defaults(docs: bool):
    """Print the shipped scenario defaults (every key a scenario may set)."""
    from gridv2x.scenario import defaults as shipped

    if docs:
        click.echo(shipped.markdown_table())
    else:
        click.echo(shipped.defaults_yaml())


main.add_command(networks)  # list, show, check, export feeders


if __name__ == "__main__":  # pragma: no cover
    main()
