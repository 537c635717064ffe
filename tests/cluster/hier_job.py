"""Run hier_checks on a hierarchical process group and print the topology it found.

    mpiexec -n 4 python hier_job.py        (DPT_HIERARCHICAL_RANKS_PER_NODE=k to fake nodes)
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import dpt.distributed as dist  # noqa: E402
from dpt.distributed.hierarchical import Options  # noqa: E402
from hier_checks import check_all  # noqa: E402

dist.init_process_group(timeout=60)
world_opts = os.environ.get("DPT_HIERARCHICAL_ALLREDUCE") == "1"
group = dist.group.WORLD if world_opts else \
    dist.new_group(pg_options=Options(hierarchical_allreduce=True))
h = group.hierarchical
assert h is not None
check_all(group)
print(f"HIER OK rank={dist.get_rank()} local_rank={h.local_rank} local_size={h.local_size} "
      f"nodes={h.num_nodes} topo=({dist.get_local_rank()},{dist.get_local_world_size()},"
      f"{dist.get_node_rank()},{dist.get_num_nodes()})", flush=True)
dist.destroy_process_group()
