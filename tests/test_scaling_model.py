"""benchmarks/scaling_model.py: the alpha-beta formulas, the step model and its --check.
Pure computation, no MPI, no timing."""
import importlib.util
import json
import math
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "benchmarks", "scaling_data")
_spec = importlib.util.spec_from_file_location(
    "scaling_model", os.path.join(ROOT, "benchmarks", "scaling_model.py"))
sm = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("scaling_model", sm)  # dataclasses look their module up there
_spec.loader.exec_module(sm)

LINK = sm.Link(10e9, 5e-6)
NETS = [sm.Cluster(name, 8, sm.LINKS["nvlink3"], sm.LINKS[inter], nics)
        for name, (inter, nics) in sm.NETWORKS.items()]


def test_ring_formula_limits():
    n = 100e6
    assert sm.ring(n, 1, LINK) == 0.0
    # p = 2: each rank sends and receives n/2 twice
    assert sm.ring(n, 2, LINK) == pytest.approx(n / LINK.bandwidth + 2 * LINK.latency)
    # bandwidth term rises to 2 n beta from below; latency term grows as 2(p-1) alpha
    no_lat = sm.Link(LINK.bandwidth, 0.0)
    times = [sm.ring(n, p, no_lat) for p in (2, 4, 64, 4096)]
    assert times == sorted(times) and times[-1] < 2 * n / LINK.bandwidth
    assert times[-1] == pytest.approx(2 * n / LINK.bandwidth, rel=1e-3)
    assert sm.ring(0.0, 1025, LINK) == pytest.approx(2 * 1024 * LINK.latency)


def test_tree_and_hierarchical_formulas():
    assert sm.tree(0.0, 1024, LINK) == pytest.approx(2 * 10 * LINK.latency)
    assert sm.tree(0.0, 1000, LINK) == pytest.approx(2 * 10 * LINK.latency)  # ceil(log2)
    # small messages at scale: log2 p latency steps beat 2(p-1)
    assert sm.tree(4096, 1024, LINK) < sm.ring(4096, 1024, LINK)
    # one GPU per node: hierarchical is a ring over the node links
    c = sm.Cluster("x", 1, sm.LINKS["nvlink3"], LINK, 1)
    assert sm.hierarchical(1e8, 64, c) == pytest.approx(sm.ring(1e8, 64, LINK))
    # inside one node every algorithm uses NVLink only
    c8 = NETS[-1]
    t, _ = sm.allreduce_time(1e8, 8, c8, "ring")
    assert t == pytest.approx(sm.ring(1e8, 8, c8.intra))
    with pytest.raises(KeyError):
        sm.allreduce_time(1e8, 8, c8, "butterfly")


def test_models_have_the_published_sizes():
    m = sm.models()
    assert m["resnet50"].params == 25_557_032          # torchvision resnet50
    assert m["resnet50"].flops / 2e9 == pytest.approx(4.09, abs=0.01)
    assert m["vgg16"].params == 138_357_544
    assert m["gpt2"].params == 124_439_808              # tied embedding counted once
    assert m["resnet101"].params == 44_549_160


@pytest.mark.parametrize("name", ["resnet50", "gpt2", "vgg16"])
@pytest.mark.parametrize("cap_mb", [1, 25, 400])
def test_buckets_follow_ddp(name, cap_mb):
    m = sm.models()[name]
    bs = sm.buckets(m, cap_mb * sm.MiB)
    assert sum(b for b, _ in bs) == m.params * sm.GRAD_BYTES
    ready = [r for _, r in bs]
    assert ready == sorted(ready) and ready[-1] == pytest.approx(1.0)
    for b, _ in bs[1:-1]:
        assert b >= cap_mb * sm.MiB  # closed once full
    if name == "gpt2":  # the tied embedding is complete only at the end of backward
        assert bs[-1][0] >= 50257 * 768 * 4


@pytest.mark.parametrize("name", ["resnet50", "gpt2"])
@pytest.mark.parametrize("algo", ["auto", "ring", "tree", "hierarchical"])
def test_efficiency_falls_with_gpus_without_overlap(name, algo):
    m = sm.models()[name]
    for c in NETS:
        effs = [sm.step(m, c, p, 0.1, 25, False, algo).efficiency for p in sm.GPU_COUNTS]
        assert all(a >= b - 1e-12 for a, b in zip(effs, effs[1:])), (c.name, effs)
        assert effs[-1] < 1.0
    assert sm.step(m, NETS[0], 1, 0.1, 25, False).efficiency == 1.0


@pytest.mark.parametrize("name", ["resnet50", "gpt2", "vgg16", "inception_v3"])
def test_overlap_never_worse(name):
    m = sm.models()[name]
    for c in NETS:
        for p in (2, 8, 64, 1024):
            for mb in (1, 25, 400):
                for compute in (0.001, 0.1, 10.0):
                    on = sm.step(m, c, p, compute, mb, True)
                    off = sm.step(m, c, p, compute, mb, False)
                    assert on.seconds <= off.seconds + 1e-12
                    assert on.comm == pytest.approx(off.comm)
                    assert 0 < off.efficiency <= on.efficiency <= 1


def test_fit_recovers_alpha_and_beta(tmp_path):
    truth = sm.Link(2.5e9, 7e-6)
    points = [[n, sm.ring(n, 4, truth)] for n in (4096, 65536, 1 << 20, 16 << 20)]
    path = tmp_path / "points.json"
    path.write_text(json.dumps({"ranks": 4, "points": points}))
    p, pts = sm.load_points(str(path))
    fit = sm.fit_link(pts, p)
    assert p == 4
    assert fit.bandwidth == pytest.approx(truth.bandwidth, rel=1e-6)
    assert fit.latency == pytest.approx(truth.latency, rel=1e-6)
    with pytest.raises(ValueError, match="fit_link"):
        sm.fit_link(pts[:1], 4)


def test_reads_allreduce_bandwidth_output():
    p, pts = sm.load_points(os.path.join(DATA, "rig_1gbit.txt"))
    assert p == 2 and len(pts) == 7
    assert pts[0] == (4096, pytest.approx(249.0e-6)) and pts[-1][0] == 16 << 20
    _, dpt_pts = sm.load_points(os.path.join(DATA, "rig_1gbit.txt"), "dpt")
    assert dpt_pts[0][1] == pytest.approx(1006.6e-6)


def test_check_passes(capsys):
    assert sm.main(["--check", "--gpus", "8,64,1024"]) == 0
    out = capsys.readouterr().out
    assert "check: all within tolerance" in out
    assert "Horovod" in out and "PyTorch DDP" in out


def test_check_against_the_shaped_rig(capsys):
    args = ["--check", "--gpus", "8", "--networks", "100gbe"]
    for name, gbit in (("rig_1gbit.txt", 1.0), ("rig_200mbit.txt", 0.2)):
        assert sm.main(args + ["--measured", os.path.join(DATA, name),
                               "--shaped-gbit", str(gbit)]) == 0
    # the same points against a rate they were not shaped to fail the check
    assert sm.main(args + ["--measured", os.path.join(DATA, "rig_1gbit.txt"),
                           "--shaped-gbit", "10"]) == 1
    capsys.readouterr()


def test_custom_network_and_overrides(capsys):
    assert sm.main(["--gpus", "8,16", "--networks", "10gbe", "--inter-bw", "50",
                    "--inter-lat-us", "3", "--nics", "8", "--throughput", "resnet50=1000",
                    "--batch", "gpt2=8192", "--bucket-mb", "5", "--algo", "tree"]) == 0
    out = capsys.readouterr().out
    assert "custom 50GB/s" in out and "1,000 images/s" in out and "batch 8192 tokens" in out
    assert not math.isnan(sm.step(sm.models()["gpt2"], NETS[0], 16, 0.3).efficiency)


def test_measure_scales_every_model_by_the_flop_rate(monkeypatch, capsys):
    monkeypatch.setattr(sm, "measure_flop_rate", lambda seconds=2.0: 1e12)
    assert sm.main(["--measure", "--gpus", "8", "--networks", "ib-hdr"]) == 0
    out = capsys.readouterr().out
    rn50 = sm.models()["resnet50"]
    assert f"= {256 * 3 * rn50.flops / 1e12 * 1e3:.1f} ms compute" in out  # batch 256
    assert "1000.0 GFLOP/s" in out
