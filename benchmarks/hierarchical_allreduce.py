"""Flat vs hierarchical (node-aware) all-reduce, same buffers, same run.

    # on the local rig (cluster/local/rig.sh up 2): 4 ranks on 2 "nodes"
    mpiexec -iface dptbr0 -hosts dpt-node0:2,dpt-node1:2 -n 4 \\
        python benchmarks/hierarchical_allreduce.py
    # on a cluster: one line per node count, e.g. srun -N 2 --ntasks-per-node 8 python ...
    # one host, nodes faked (checks the machinery, not the network):
    DPT_HIERARCHICAL_RANKS_PER_NODE=2 mpiexec -n 4 python benchmarks/hierarchical_allreduce.py

The flat all-reduce runs on the default group; the hierarchical one on a group made with
``pg_options=Options(hierarchical_allreduce=True)`` (node reduce over shared memory, leaders'
all-reduce across the network, node broadcast). Each size is timed in alternating rounds
(flat, hierarchical, flat, ...) so background load hits both alike; a round's time is the
slowest rank's, and the median round is printed. float32 buffers.
"""
import argparse
import time

import numpy as np

import dpt
import dpt.distributed as dist
from dpt.distributed.hierarchical import Options


def _round(t, group, iters: int) -> float:
    dist.barrier()
    t0 = time.perf_counter()
    for _ in range(iters):
        dist.all_reduce(t, group=group)
    elapsed = np.array([(time.perf_counter() - t0) / iters])
    out = dpt.from_numpy(elapsed)
    dist.all_reduce(out, op=dist.ReduceOp.MAX)
    return float(out.item())


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="4K,64K,1M,8M,32M",
                   help="buffer sizes in bytes (K/M suffixes), comma-separated")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--budget", type=float, default=0.3,
                   help="target seconds per round and method (sets iterations per round)")
    a = p.parse_args()
    dist.init_process_group(timeout=300)
    hier = dist.new_group(pg_options=Options(hierarchical_allreduce=True))
    h = hier.hierarchical
    rank, n = dist.get_rank(), dist.get_world_size()
    if rank == 0:
        print(f"# {n} ranks, {h.num_nodes} node(s), {dist.get_local_world_size()} rank(s) on "
              f"node 0; median of {a.rounds} rounds, slowest rank", flush=True)
        print(f"{'bytes':>10} {'flat ms':>10} {'hier ms':>10} {'speedup':>8}", flush=True)
    for spec in a.sizes.split(","):
        spec = spec.strip().upper()
        nbytes = int(float(spec[:-1]) * {"K": 1 << 10, "M": 1 << 20}[spec[-1]]) \
            if spec[-1] in "KM" else int(spec)
        t = dpt.ones(max(1, nbytes // 4))
        # calibrate: iterations so that one round takes about --budget seconds
        once = max(_round(t, None, 1), _round(t, hier, 1))
        box = dpt.tensor([max(1, min(1000, int(a.budget / max(once, 1e-6))))])
        dist.broadcast(box, 0)
        iters = int(box.item())
        flat, tree = [], []
        for _ in range(a.rounds):
            flat.append(_round(t, None, iters))
            tree.append(_round(t, hier, iters))
        f, hh = float(np.median(flat)), float(np.median(tree))
        if rank == 0:
            print(f"{nbytes:>10} {f * 1e3:>10.3f} {hh * 1e3:>10.3f} {f / hh:>7.2f}x", flush=True)
    dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
