"""The Ray driver (``python -m remotemedia.worker --ray``) on a simulated two-host cluster.

``ray.cluster_utils.Cluster`` starts two Ray nodes on this machine, each a
"host" with a custom resource of its own (``host_a``, ``host_b``); a driver
is started per test against it and spoken to over the worker protocol, as
the TypeScript side does.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from remotemedia import Node

ray = pytest.importorskip("ray")

from test_worker import Counter, FailOn, Parent

MB = 1024 * 1024


# ---------------------------------------------------------------------------
# Fixture nodes (importable by the actors: the driver passes PYTHONPATH on)
# ---------------------------------------------------------------------------


class Where(Node):
    """Says where it ran: its Ray node and process."""

    stateless = True

    def process(self, data: Any) -> Any:
        return {
            "ray_node": ray.get_runtime_context().get_node_id(),
            "pid": os.getpid(),
            "data": data,
        }


class Crunch(Node):
    """A fixed NumPy workload per item; says which process did it."""

    stateless = True

    def process(self, data: Any) -> Any:
        matrix = np.full((120, 120), 1.0 / 120)
        for _ in range(40):
            matrix = matrix @ matrix
        return {"pid": os.getpid(), "data": data}


class Logged(Node):
    """Appends its lifecycle to ``log``; dies (the process exits) on the item ``die``."""

    def __init__(self, log: str = "", die: Any = None, **config: Any) -> None:
        super().__init__(**config)
        self.log = log
        self.die = die

    def _note(self, what: str) -> None:
        with open(self.log, "a", encoding="utf-8") as f:
            f.write(f"{what} {self.name} {os.getpid()}\n")

    def initialize(self) -> None:
        self._note("init")

    def process(self, data: Any) -> Any:
        if data == self.die:
            os._exit(1)
        return data

    def cleanup(self) -> None:
        self._note("cleanup")


class DieOnce(Logged):
    """Dies on its first item ever (a marker file remembers), then works."""

    def __init__(self, marker: str = "", **config: Any) -> None:
        super().__init__(**config)
        self.marker = marker

    def process(self, data: Any) -> Any:
        if not os.path.exists(self.marker):
            Path(self.marker).touch()
            os._exit(1)
        return data


class Reader(Node):
    """Says whether the array it got is a read-only view (Ray's zero-copy read) and its sum."""

    stateless = True

    def process(self, data: Any) -> Any:
        return {"writeable": bool(data.flags.writeable), "sum": float(data.sum())}


class Make(Node):
    """An array of ``data`` ones."""

    stateless = True

    def process(self, data: Any) -> Any:
        return np.ones(data)


class Source3(Node):
    """A source of three items."""

    is_source = True

    def process(self) -> Iterator[int]:
        yield from (1, 2, 3)


# ---------------------------------------------------------------------------
# The cluster and the driver
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    from ray.cluster_utils import Cluster

    saved = os.environ.get("RAY_AUTH_MODE")
    os.environ["RAY_AUTH_MODE"] = "disabled"
    simulated = Cluster(
        initialize_head=True,
        head_node_args={
            "num_cpus": 2,
            "resources": {"host_a": 1},
            "object_store_memory": 150 * MB,
        },
    )
    simulated.add_node(num_cpus=2, resources={"host_b": 1}, object_store_memory=150 * MB)
    simulated.wait_for_nodes()
    yield simulated
    simulated.shutdown()
    if saved is None:
        os.environ.pop("RAY_AUTH_MODE", None)
    else:
        os.environ["RAY_AUTH_MODE"] = saved


def _driver(address: str | None, **settings: Any) -> Parent:
    return Parent(
        "--allow-module",
        "test_ray_driver",
        "--ray",
        json.dumps({"address": address, **settings}),
    )


@pytest.fixture
def driver(cluster: Any) -> Iterator[Parent]:
    p = _driver(cluster.address)
    yield p
    p.close()


def _node_ids(cluster: Any) -> dict[str, str]:
    """The Ray node id of each simulated host, by its custom resource."""
    return {
        name: node.node_id
        for node in cluster.list_all_nodes()
        for name in ("host_a", "host_b", "host_c")
        if name in (node._ray_params.resources or {})
    }


def _load(p: Parent, slot: int, node_id: str, cls: str, **params: Any) -> dict[str, Any]:
    return p.load(slot, node_id=node_id, node_type=f"test_ray_driver:{cls}", params=params)


def _process(p: Parent, slots: list[int], items: list[Any], first: int = 0) -> dict[str, Any]:
    return p.request("process", slots=slots, items=items, first_index=first)


def _shutdown(p: Parent) -> None:
    assert p.request("shutdown")["op"] == "ok"
    assert p.wait(60) == 0


# ---------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------


def test_hello_names_ray_the_cluster_and_its_two_hosts(driver: Parent, cluster: Any) -> None:
    assert driver.hello["ray"] == ray.__version__
    assert driver.hello["ray_address"] == cluster.address
    assert driver.hello["ray_nodes"] == 2
    _shutdown(driver)


def test_a_chain_of_instance_and_manifest_nodes_keeps_state_and_item_numbers(
    driver: Parent,
) -> None:
    assert driver.load(0, Counter(name="count"))["op"] == "loaded"
    assert driver.load(1, FailOn(name="fail", bad={"count": 5, "inits": 1, "data": 5}))["op"] == (
        "loaded"
    )
    first = _process(driver, [0, 1], [1, 2, 3])
    assert [o["count"] for o in first["outputs"]] == [1, 2, 3]
    assert {o["inits"] for o in first["outputs"]} == {1}
    failed = _process(driver, [0, 1], [4, 5, 6], first=3)
    assert failed["op"] == "error" and failed["phase"] == "process"
    assert failed["node_id"] == "fail" and failed["type"] == "ValueError"
    assert failed["index"] == 4  # the fifth item the failing node received, across batches
    assert "in process\nValueError: cannot take" in failed["traceback"]
    assert [o["count"] for o in failed["outputs"]] == [4]
    _shutdown(driver)


def test_a_class_of_a_module_only_the_caller_can_import_runs_on_the_actors(
    driver: Parent, tmp_path: Path
) -> None:
    module = tmp_path / "caller_only_nodes.py"
    module.write_text(
        "from remotemedia import Node\n\n"
        "class Offset(Node):\n"
        "    def __init__(self, by=0, **config):\n"
        "        super().__init__(**config)\n"
        "        self.by = by\n\n"
        "    def process(self, data):\n"
        "        return data + self.by\n"
    )
    sys.path.insert(0, str(tmp_path))
    try:
        import caller_only_nodes  # type: ignore[import-not-found]

        node = caller_only_nodes.Offset(name="offset", by=100)
        assert driver.load(0, node)["op"] == "loaded"
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("caller_only_nodes", None)
    assert _process(driver, [0], [1, 2])["outputs"] == [101, 102]
    _shutdown(driver)


def test_nodes_are_placed_on_the_host_whose_resources_they_ask_for(
    driver: Parent, cluster: Any
) -> None:
    hosts = _node_ids(cluster)
    assert _load(driver, 0, "on_b", "Where", ray={"resources": {"host_b": 1}})["op"] == "loaded"
    assert _load(driver, 1, "on_a", "Where", ray={"resources": {"host_a": 1}})["op"] == "loaded"
    b = _process(driver, [0], ["x"])["outputs"][0]
    a = _process(driver, [1], ["y"])["outputs"][0]
    assert b["ray_node"] == hosts["host_b"]
    assert a["ray_node"] == hosts["host_a"]
    _shutdown(driver)


def test_items_flow_actor_to_actor_and_large_arrays_are_read_in_place(driver: Parent) -> None:
    # Between two Python nodes the driver passes object references on and never reads them:
    # a 64 MiB array made on one host and reduced on the other never enters the driver's
    # memory, and the reader gets it from the object store as a read-only view.
    assert _load(driver, 0, "make", "Make", ray={"resources": {"host_a": 1}})["op"] == "loaded"
    assert _load(driver, 1, "read", "Reader", ray={"resources": {"host_b": 1}})["op"] == "loaded"
    before = _peak_rss(driver.proc.pid)
    reply = _process(driver, [0, 1], [8 * MB])
    assert reply["outputs"] == [{"writeable": False, "sum": float(8 * MB)}]
    assert _peak_rss(driver.proc.pid) - before < 32 * MB
    _shutdown(driver)


def test_stateless_replicas_share_a_batch_in_order_and_each_runs_in_its_own_process(
    driver: Parent,
) -> None:
    loaded = _load(driver, 0, "crunch", "Crunch", ray={"replicas": 2, "num_cpus": 1})
    assert loaded["op"] == "loaded"
    reply = _process(driver, [0], list(range(10)))
    assert [o["data"] for o in reply["outputs"]] == list(range(10))
    assert len({o["pid"] for o in reply["outputs"]}) == 2
    _shutdown(driver)


def test_replicas_are_refused_on_stateful_nodes_and_sources(driver: Parent) -> None:
    stateful = _load(driver, 0, "logged", "Logged", log="/dev/null", ray={"replicas": 3})
    assert stateful["op"] == "error" and stateful["type"] == "PlacementError"
    assert "asks for 3 replicas" in stateful["message"] and "stateless" in stateful["message"]
    source = _load(driver, 1, "src", "Source3", ray={"replicas": 2, "stateless": True})
    assert source["op"] == "error" and "a source is one actor" in source["message"]
    declared = _load(
        driver, 2, "fine", "Logged", log="/dev/null", ray={"replicas": 2, "stateless": True}
    )
    assert declared["op"] == "loaded"
    _shutdown(driver)


def test_bad_ray_options_and_impossible_placements_name_the_option(driver: Parent) -> None:
    unknown = _load(driver, 0, "w", "Where", ray={"num_cpu": 1})
    assert unknown["op"] == "error" and "'num_cpu'" in unknown["message"]
    negative = _load(driver, 1, "w", "Where", ray={"replicas": 0})
    assert "'replicas' must be an integer >= 1, got 0" in negative["message"]
    gpu = _load(driver, 2, "w", "Where", ray={"num_gpus": 1})
    assert gpu["type"] == "PlacementError"
    assert "asks for {GPU: 1} per actor, which no node of the Ray cluster offers" in gpu["message"]
    assert "host_a: 1" in gpu["message"] and "host_b: 1" in gpu["message"]
    _shutdown(driver)


def test_a_failure_in_a_later_part_keeps_the_outputs_before_it(driver: Parent) -> None:
    loaded = driver.load(0, FailOn(name="fail", bad=6))
    assert loaded["op"] == "loaded"
    assert _load(driver, 1, "where", "Where", ray={"replicas": 2})["op"] == "loaded"
    reply = _process(driver, [0, 1], list(range(10)))
    assert reply["op"] == "error" and reply["node_id"] == "fail" and reply["index"] == 6
    assert [o["data"] for o in reply["outputs"]] == [0, 1, 2, 3, 4, 5]
    _shutdown(driver)


def test_a_source_chain_pulls_through_the_actors(driver: Parent) -> None:
    assert _load(driver, 0, "src", "Source3")["is_source"] is True
    assert driver.load(1, node_id="double", node_type="test_worker:Doubler", params={})["op"] == (
        "loaded"
    )
    reply = driver.request("pull", slots=[0, 1], max_items=10, max_wait_ms=2000)
    assert reply["outputs"] == [2, 4, 6] and reply["done"] is True
    _shutdown(driver)


def test_cleanup_runs_once_per_node_and_its_actors_are_killed(
    driver: Parent, tmp_path: Path
) -> None:
    log = tmp_path / "life.log"
    assert _load(driver, 0, "one", "Logged", log=str(log))["op"] == "loaded"
    assert _load(driver, 1, "two", "Logged", log=str(log))["op"] == "loaded"
    assert _process(driver, [0, 1], [1, 2])["outputs"] == [1, 2]
    pids = {line.split()[2] for line in log.read_text().splitlines()}
    assert driver.request("cleanup", slot=1)["op"] == "ok"
    assert driver.request("cleanup", slot=0)["op"] == "ok"
    lines = sorted(line.rsplit(" ", 1)[0] for line in log.read_text().splitlines())
    assert lines == ["cleanup one", "cleanup two", "init one", "init two"]
    deadline = time.monotonic() + 20
    while any(_alive(int(pid)) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(int(pid)) for pid in pids)
    _shutdown(driver)


def test_an_actor_that_dies_is_reported_naming_the_actor_its_host_and_pid(
    driver: Parent, cluster: Any, tmp_path: Path
) -> None:
    log = tmp_path / "life.log"
    loaded = _load(
        driver, 0, "mortal", "Logged", log=str(log), die=3, ray={"resources": {"host_b": 1}}
    )
    assert loaded["op"] == "loaded"
    pid = int(log.read_text().split()[2])
    reply = _process(driver, [0], [1, 2, 3, 4])
    assert reply["op"] == "error" and reply["phase"] == "crashed", reply
    assert reply["node_id"] == "mortal" and reply["pid"] == pid
    assert reply["ray_node"] == _node_ids(cluster)["host_b"]
    assert re.fullmatch(r"[0-9a-f]{32}", reply["actor"])
    assert reply["host"] == cluster.head_node.node_ip_address
    assert reply["actor"] in reply["message"]
    # The driver goes on: a cleanup of the dead node is answered, and so is shutdown.
    assert driver.request("cleanup", slot=0)["op"] == "ok"
    _shutdown(driver)


def test_with_a_restart_policy_a_dead_actor_is_recreated_from_the_pickle_and_reinitialized(
    cluster: Any, tmp_path: Path
) -> None:
    log = tmp_path / "life.log"
    p = _driver(cluster.address, actor_restarts=1)
    try:
        node = DieOnce(name="phoenix", log=str(log), marker=str(tmp_path / "died"))
        assert p.load(0, node)["op"] == "loaded"
        reply = _process(p, [0], [7, 8])
        assert reply == {"op": "result", "outputs": [7, 8], "seq": reply["seq"]}
        # (the caller's cleanup() before pickling logs too: only the inits are the actors')
        inits = [line.split() for line in log.read_text().splitlines() if line.startswith("init")]
        assert [i[0] for i in inits] == ["init", "init"]
        assert inits[0][2] != inits[1][2]  # a new process
        _shutdown(p)
    finally:
        p.close()


def test_a_host_that_leaves_fails_the_batch_naming_that_host(cluster: Any) -> None:
    host_c = cluster.add_node(num_cpus=1, resources={"host_c": 1}, object_store_memory=100 * MB)
    cluster.wait_for_nodes()
    p = _driver(cluster.address)
    try:
        loaded = p.load(
            0,
            node_id="nap",
            node_type="test_worker:Nap",
            params={"seconds": 5, "ray": {"resources": {"host_c": 1}}},
        )
        assert loaded["op"] == "loaded"
        p.seq += 1
        p.send({"op": "process", "seq": p.seq, "slots": [0], "items": [1], "first_index": 0})
        time.sleep(1)
        began = time.monotonic()
        cluster.remove_node(host_c)
        reply = p.recv()
        assert time.monotonic() - began < 30
        assert reply["op"] == "error" and reply["phase"] == "crashed", reply
        assert reply["ray_node"] == host_c.node_id
        assert (
            f"its host (Ray node {host_c.node_id}) is no longer part of the cluster"
            in reply["message"]
        )
        _shutdown(p)
    finally:
        p.close()


def test_a_driver_without_an_address_starts_a_local_cluster_and_stops_it() -> None:
    saved = os.environ.pop("RAY_ADDRESS", None)
    p = _driver(None, local={"num_cpus": 1, "object_store_bytes": 100 * MB})
    try:
        address = p.hello["ray_address"]
        assert p.hello["ray_nodes"] == 1
        assert p.load(0, Counter(name="c"))["op"] == "loaded"
        assert _process(p, [0], ["a"])["outputs"][0]["count"] == 1
        assert p.request("cleanup", slot=0)["op"] == "ok"
        _shutdown(p)
        port = address.rsplit(":", 1)[1]
        assert not _listening(port), f"the local cluster at {address} outlived its driver"
    finally:
        p.close()
        if saved is not None:
            os.environ["RAY_ADDRESS"] = saved


def test_an_unreachable_address_fails_the_start_naming_it() -> None:
    with pytest.raises(AssertionError) as failed:
        _driver("127.0.0.1:1")
    assert "cannot connect to the Ray cluster at '127.0.0.1:1'" in str(failed.value)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _peak_rss(pid: int) -> int:
    """The peak resident memory of a process, in bytes."""
    status = Path(f"/proc/{pid}/status").read_text()
    kib = re.search(r"VmHWM:\s+(\d+) kB", status)
    assert kib is not None
    return int(kib.group(1)) * 1024


def _listening(port: str) -> bool:
    out = subprocess.run(["ss", "-ltn"], capture_output=True, text=True, check=False).stdout
    return any(
        line.split()[3].endswith(f":{port}") for line in out.splitlines()[1:] if line.split()
    )


class Ticks(Node):
    """Sleeps ``seconds`` per item and logs each item it finished."""

    def __init__(self, log: str = "", seconds: float = 0.2, **config: Any) -> None:
        super().__init__(**config)
        self.log = log
        self.seconds = seconds

    def process(self, data: Any) -> Any:
        time.sleep(self.seconds)
        with open(self.log, "a", encoding="utf-8") as f:
            f.write(f"{data}\n")
        return data


def test_a_cancel_stops_the_actors_before_their_next_item(driver: Parent, tmp_path: Path) -> None:
    log = tmp_path / "ticks.log"
    assert _load(driver, 0, "ticks", "Ticks", log=str(log))["op"] == "loaded"
    driver.seq += 1
    target = driver.seq
    driver.send(
        {"op": "process", "seq": target, "slots": [0], "items": list(range(20)), "first_index": 0}
    )
    time.sleep(0.5)
    driver.seq += 1
    driver.send({"op": "cancel", "seq": driver.seq, "target": target})
    stopped = driver.recv()
    assert stopped["seq"] == target and stopped["phase"] == "cancelled"
    assert driver.recv() == {"op": "ok", "seq": driver.seq}
    began = time.monotonic()
    assert driver.request("cleanup", slot=0)["op"] == "ok"
    assert time.monotonic() - began < 1.0  # behind at most the item being processed, not the batch
    assert len(log.read_text().splitlines()) <= 5
    _shutdown(driver)


def test_a_ray_client_address_is_refused_naming_what_to_give() -> None:
    with pytest.raises(AssertionError) as failed:
        _driver("ray://head:10001")
    assert "cannot use the Ray Client address 'ray://head:10001'" in str(failed.value)
    assert "host:6379" in str(failed.value)


def test_a_cluster_that_goes_away_fails_the_batch_clearly_and_the_driver_exits() -> None:
    # A cluster of its own (`ray start --block` in a process group), killed whole mid-batch.
    # Its temp dir is short: Ray's socket paths under it must stay below 108 characters.
    port = _free_port()
    temp = Path(tempfile.mkdtemp(prefix="rmgone-", dir="/tmp"))
    head = subprocess.Popen(
        [
            *(sys.executable, "-m", "ray.scripts.scripts", "start", "--head", "--block"),
            f"--port={port}",
            *("--num-cpus=1", "--include-dashboard=false", "--disable-usage-stats"),
            f"--temp-dir={temp}",
        ],
        env=dict(os.environ, RAY_AUTH_MODE="disabled"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        address_file = temp / "ray_current_cluster"
        deadline = time.monotonic() + 60
        while not (address_file.exists() and address_file.read_text().strip()):
            assert time.monotonic() < deadline and head.poll() is None, "the cluster did not start"
            time.sleep(0.2)
        p = _driver(address_file.read_text().strip())
        try:
            nap = {"seconds": 5.0}
            assert (
                p.load(0, node_id="nap", node_type="test_worker:Nap", params=nap)["op"] == "loaded"
            )
            p.seq += 1
            p.send({"op": "process", "seq": p.seq, "slots": [0], "items": [1], "first_index": 0})
            time.sleep(1)
            began = time.monotonic()
            os.killpg(head.pid, signal.SIGKILL)
            reply = p.recv()
            assert reply["op"] == "error" and reply["phase"] == "crashed", reply
            assert "does not answer within 3 s: it is gone or unreachable" in reply["message"]
            assert p.wait(30) != 0  # Ray ends a driver whose cluster is gone: no hang
            assert time.monotonic() - began < 30
        finally:
            p.close()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(head.pid, signal.SIGKILL)
        head.wait()
        shutil.rmtree(temp, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port
