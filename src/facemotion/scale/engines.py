"""The two engines: ``local`` (this process) and ``ray`` (Ray Data's actor pool). Same rows from both.

Each yields rows as tasks finish (faces tagged ``row="face"``, one ``row="input"`` status
per task), so the caller writes finished inputs while the others run.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator
from typing import Any

from facemotion.extras import require
from facemotion.scale.analyzer import TaskAnalyzer
from facemotion.scale.planning import Task
from facemotion.scale.rows import plain


def run_local(tasks: list[Task], options: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Run ``tasks`` here, one after the other, with one classifier."""
    from tqdm.auto import tqdm

    analyzer = TaskAnalyzer(**options)
    for task in tqdm(tasks, desc="batch", unit="task", disable=None):
        faces, status = analyzer.run(task)
        yield from ({"row": "face", **r} for r in faces)
        yield {"row": "input", "chunk": task.chunk, **status}


def run_ray(tasks: list[Task], options: dict[str, Any], workers: int, address: str | None) -> Iterator[dict[str, Any]]:
    """Run ``tasks`` on Ray Data with ``workers`` actors; a Ray started here is shut down at the end.

    The shutdown also happens when the caller stops early (Ctrl-C, SIGTERM: our own signal
    handlers are kept, not Ray's), so no worker is left behind.
    """
    ray = require("ray", "ray")
    started = not ray.is_initialized()
    if started:
        main = threading.current_thread() is threading.main_thread()
        handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)} if main else {}
        ray.init(
            address=address,
            num_cpus=None if address else workers,
            log_to_driver=False,
            include_dashboard=False,
            logging_level=logging.WARNING,
        )
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
    try:
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        context.print_on_execution_start = False
        items = [{k: getattr(t, k) for k in Task.__dataclass_fields__} for t in tasks]
        data = ray.data.from_items(items, override_num_blocks=max(1, len(items)))
        out = data.map_batches(
            TaskAnalyzer,
            fn_constructor_kwargs=options | {"threads": 1},  # one core per actor (num_cpus=1)
            batch_size=1,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=workers),
            num_cpus=1,
        )
        for row in out.iter_rows():
            yield {k: plain(v) for k, v in row.items()}
    finally:
        if started:
            ray.shutdown()
