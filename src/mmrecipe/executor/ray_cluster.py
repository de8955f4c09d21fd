"""Ray itself and the cluster the run lands on: importing Ray (or one line saying how to get it),
the retry budget for lost workers, the check that every node sees the run dir at the same path,
and the environment the workers start with."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

from mmrecipe.errors import ConfigError, MMRecipeError

INSTALL_HINT = "pip install 'mmrecipe[ray]'"
#: retries of a shard whose worker process or node died (Ray's own retry, not for op errors)
MAX_RETRIES = 3


class WorkerLost(MMRecipeError):
    """A shard's worker kept dying (a node lost, out of memory) after Ray's retries."""


def import_ray() -> Any:
    """Ray, or one readable line saying how to get it."""
    try:
        import ray
    except ImportError:
        raise ConfigError(
            f"the ray executor needs Ray, which is not installed: {INSTALL_HINT}"
        ) from None
    return ray


def probe_storage(probe: str, token: str, reply: str) -> str | None:
    """On one node: read the driver's probe file, write a reply; None when both work."""
    import socket

    try:
        seen = Path(probe).read_text(encoding="utf-8")
    except OSError as exc:
        return f"{socket.gethostname()}: cannot read {probe}: {exc.strerror or exc}"
    if seen != token:
        return f"{socket.gethostname()}: {probe} holds another file (a different disk at that path)"
    try:
        Path(reply).write_text(token, encoding="utf-8")
    except OSError as exc:
        return (
            f"{socket.gethostname()}: cannot write into {Path(reply).parent}: {exc.strerror or exc}"
        )
    return None


def check_shared_storage(ray: Any, root: Path, timeout_s: float = 120.0) -> None:
    """Every alive node must see the run dir at the same path, reading and writing."""
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    token = uuid.uuid4().hex
    probe = root / "state" / f".probe-{token}"
    probe.write_text(token, encoding="utf-8")
    task = ray.remote(probe_storage)
    replies: list[Path] = []
    try:
        pending = []
        for node in ray.nodes():
            if not node.get("Alive"):
                continue
            reply = root / "state" / f".probe-{token}-{node['NodeID'][:12]}"
            replies.append(reply)
            strategy = NodeAffinitySchedulingStrategy(node_id=node["NodeID"], soft=False)
            ref = task.options(num_cpus=0, scheduling_strategy=strategy, max_retries=0).remote(
                str(probe), token, str(reply)
            )
            pending.append((node.get("NodeManagerAddress", node["NodeID"]), reply, ref))
        for address, reply, ref in pending:
            error = ray.get(ref, timeout=timeout_s)
            if error is None and not reply.exists():
                error = f"its writes into {reply.parent} do not reach the driver"
            if error is not None:
                raise ConfigError(
                    f"the run dir {root} is not shared with Ray node {address} ({error}): put it "
                    "on storage every node mounts at the same path (NFS, Lustre, a bucket mount)"
                )
    finally:
        probe.unlink(missing_ok=True)
        for reply in replies:
            reply.unlink(missing_ok=True)


def runtime_env() -> dict[str, Any] | None:
    """Plugins named in the environment must load on the workers too."""
    plugins = os.environ.get("MMRECIPE_PLUGINS")
    return {"env_vars": {"MMRECIPE_PLUGINS": plugins}} if plugins else None
