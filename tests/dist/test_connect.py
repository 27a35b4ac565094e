"""Joining a cluster: bad addresses and a cluster that cannot run what was asked."""

from __future__ import annotations

import socket

import pytest

from pixref.dist import DistError
from pixref.dist._backend import _actor_spec
from pixref.dist._connect import check_reachable


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("address", ["", "head", "head:", ":6379", "head:99999", "a b:1",
                                     "http://head:6379", "head:6379/x"])  # fmt: skip
def test_a_malformed_address_says_what_an_address_is(address):
    with pytest.raises(DistError, match="is not a Ray address; give HOST:PORT"):
        check_reachable(address)


def test_a_closed_port_is_reported_at_once():
    port = closed_port()
    with pytest.raises(DistError, match=rf"cannot reach a Ray cluster at 127.0.0.1:{port} \("):
        check_reachable(f"127.0.0.1:{port}", timeout=1)


def test_an_unknown_host_is_reported():
    with pytest.raises(DistError, match="cannot reach a Ray cluster at no-such-host.invalid:6379"):
        check_reachable("no-such-host.invalid:6379", timeout=1)


def test_an_open_port_passes_in_both_address_forms():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        check_reachable(f"127.0.0.1:{port}")
        check_reachable(f"ray://127.0.0.1:{port}")


CPU_ONLY = {"CPU": 8.0, "memory": 1e9}


@pytest.mark.parametrize("device", [None, "cuda", "cuda:0"])
def test_a_cluster_without_gpus_refuses_gpu_actors(device):
    with pytest.raises(DistError, match=r"has no GPU: start GPU workers .* or pass --device cpu"):
        _actor_spec(CPU_ONLY, device, None, "head:6379")


def test_one_actor_per_gpu_by_default_and_no_more_actors_than_gpus():
    spec = _actor_spec({"CPU": 32.0, "GPU": 4.0}, None, None, "head:6379")
    assert (spec.count, spec.gpus, spec.device) == (4, 1, "cuda")
    with pytest.raises(DistError, match="5 actors need 5 GPUs; the Ray cluster has 4"):
        _actor_spec({"CPU": 32.0, "GPU": 4.0}, "cuda", 5, "head:6379")


def test_cpu_actors_share_the_cpus():
    spec = _actor_spec(CPU_ONLY, "cpu", 3, "head:6379")
    assert (spec.count, spec.gpus, spec.cpus) == (3, 0, 2)
    with pytest.raises(DistError, match="9 CPU actors need 9 CPUs"):
        _actor_spec(CPU_ONLY, "cpu", 9, "head:6379")


def test_the_cli_reports_a_bad_ray_address_in_one_line(tmp_path, tiny_models):
    from typer.testing import CliRunner

    from pixref.cli import app

    port = closed_port()
    args = ["sweep", "a cat", "--model", "tiny-a", "--models-dir", str(tiny_models.models_dir),
            "-x", "seed=1,2", "-o", str(tmp_path / "g.png"), "--ray", f"127.0.0.1:{port}"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: cannot reach a Ray cluster at 127.0.0.1:{port} (")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "g-cells").exists()


def test_a_ray_backend_on_a_cpu_cluster_refuses_gpu_work(ray_cluster):
    from pixref.dist import RayBackend

    with pytest.raises(DistError, match="has no GPU"):
        RayBackend.start(ray_cluster)
