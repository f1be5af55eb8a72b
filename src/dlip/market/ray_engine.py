"""`--engine ray`: the per-symbol steps of the build as Ray Data tasks.

Only this module imports Ray (the optional extra `dlip[scale]`). Each symbol is one row
of a Ray Dataset; `map_batches` runs the same `featurize` / `tokenize` functions as the
embedded path on it, so the output (and its content hash) is the same. The stage and
output folders must be visible to every node (one machine, or a shared filesystem).
"""

from __future__ import annotations

from collections.abc import Callable

from dlip.market.errors import MarketDataError


def _import_ray():
    try:
        import ray
    except ImportError:
        raise MarketDataError("--engine ray needs Ray: pip install 'dlip[scale]'") from None
    return ray


def _reachable(address: str) -> None:
    """Fail in seconds, with one line, where Ray itself would retry for minutes."""
    import socket

    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host.removeprefix("ray://") or "127.0.0.1",
                                       int(port)), timeout=5):
            pass
    except (OSError, ValueError) as exc:
        raise MarketDataError(f"--address {address}: cannot reach a Ray head there "
                              f"({exc})") from None


def ray_mapper(address: str | None) -> Callable[[Callable, list[tuple]], list]:
    """A mapper for `pipeline.build_folder` that runs every item as a Ray Data row."""
    ray = _import_ray()
    if address and address != "auto":
        _reachable(address)

    def run(fn: Callable, items: list[tuple]) -> list:
        import pickle

        if not ray.is_initialized():
            try:
                ray.init(address=address, include_dashboard=False, log_to_driver=False,
                         configure_logging=False)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise MarketDataError(f"--address {address}: cannot join the Ray cluster "
                                      f"({exc})") from None
        ray.data.DataContext.get_current().enable_progress_bars = False
        rows = [{"i": i, "item": pickle.dumps(item)} for i, item in enumerate(items)]

        def apply(batch: dict) -> dict:
            out = [pickle.dumps(fn(*pickle.loads(x))) for x in batch["item"]]
            return {"i": batch["i"], "result": out}

        ds = ray.data.from_items(rows, override_num_blocks=max(1, min(len(rows), 64)))
        done = ds.map_batches(apply, batch_size=1, batch_format="numpy").take_all()
        done.sort(key=lambda r: r["i"])
        return [pickle.loads(r["result"]) for r in done]

    return run
