"""``vinpaint batch``: many videos on a Dask cluster, one summary table."""

from __future__ import annotations

from pathlib import Path

import click

from . import debug_option, main
from .progress import progress_bar


@main.command()
@click.argument("batch_path", metavar="BATCH", type=click.Path(path_type=Path))
@click.option("--output-folder", "-o", type=click.Path(path_type=Path), default=None,
              help="Where a folder batch's outputs go (STEM.mp4, or --suffix).")
@click.option("--mask", "-m", "mask_path", type=click.Path(path_type=Path), default=None,
              help="One mask for every video of a folder batch (default: STEM.mask.png or STEM.masks/ beside each).")
@click.option("--job", type=click.Choice(["remove", "watermark"]), default="remove", show_default=True,
              help="What a folder batch does to each video (a manifest says it per item).")
@click.option("--suffix", default=".mp4", show_default=True, help="Output extension of a folder batch.")
@click.option("--workers", type=click.IntRange(min=1), default=None, show_default="all cores",
              help="Processes of the local Dask cluster.")
@click.option("--scheduler", default=None, metavar="ADDRESS", help="Run on the Dask cluster at ADDRESS instead.")
@click.option("--overwrite", is_flag=True, help="Replace existing outputs.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@debug_option
def batch(batch_path, output_folder, mask_path, job, suffix, workers, scheduler, overwrite, quiet):
    """Run a job on every video of BATCH: a folder of videos or a manifest (.csv or .json).

    A manifest lists items with input, output, job (remove or watermark), mask and options
    (CSV: key=value;key=value).  A failed item is reported and the others go on; the exit code is 1
    if any failed.

    Example: vinpaint batch clips/ -o clean/ --workers 2
    """
    from ..distributed import read_batch, run_batch

    items = read_batch(batch_path, output_folder=output_folder, mask=mask_path, job=job, suffix=suffix)
    if output_folder is not None:
        output_folder.mkdir(parents=True, exist_ok=True)
    with progress_bar("batch", quiet=quiet, unit="video") as progress:
        results = run_batch(items, workers=workers, scheduler=scheduler, overwrite=overwrite, progress=progress)
    width = max(len(Path(result.item.input).name) for result in results)
    click.echo(f"{'input':<{width}}  {'status':<6}  {'seconds':>7}  detail")
    for result in results:
        detail = result.item.output if result.status == "done" else result.error
        click.echo(f"{Path(result.item.input).name:<{width}}  {result.status:<6}  {result.seconds:7.1f}  {detail}")
    failed = sum(result.status == "failed" for result in results)
    click.echo(f"{len(results) - failed} done, {failed} failed", err=True)
    if failed:
        raise SystemExit(1)
