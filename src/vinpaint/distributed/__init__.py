"""More than one process or machine: chunks of a long video, and batches of videos, on Dask.

:func:`remove_file_distributed` fills a video in shot-aware chunks on a Dask cluster and joins the
segments without re-encoding; a job folder makes it resumable.  :func:`run_batch` runs many jobs.
Dask is optional (``pip install 'vinpaint[dask]'``) and imported only when a cluster is used.
"""

from .batch import BatchItem, BatchResult, read_batch, run_batch
from .plan import Chunk, plan_chunks
from .run import dask_client, remove_file_distributed

__all__ = ["BatchItem", "BatchResult", "Chunk", "dask_client", "plan_chunks", "read_batch", "remove_file_distributed",
           "run_batch"]
