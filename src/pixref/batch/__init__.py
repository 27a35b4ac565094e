"""``pixref batch``: a file of generation requests, run on this machine or a Ray cluster.

Reading and checking the jobs file is torch-free; `run_batch` drives a backend
(`engine.LocalBackend` or `pixref.dist.RayBackend`) and saves and logs every image
in this process, recording progress beside the file so ``--resume`` loses nothing
and makes nothing twice.

    jobs, warnings = read_jobs("jobs.jsonl", model="sd15")
    with engine.LocalBackend() as backend:
        result = run_batch(jobs, "jobs.jsonl", backend=backend)
"""

from pixref.batch._jobs import IMAGE_KEYS, BatchError, BatchInterrupted, Job, read_jobs
from pixref.batch._journal import Journal, JournalState, journal_path
from pixref.batch._run import BatchResult, run_batch

__all__ = [
    "IMAGE_KEYS",
    "BatchError",
    "BatchInterrupted",
    "BatchResult",
    "Job",
    "Journal",
    "JournalState",
    "journal_path",
    "read_jobs",
    "run_batch",
]
