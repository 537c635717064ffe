"""torch's operator database as a differential test (skipped without torch and expecttest).

Each in-scope OpInfo must pass (tests/compat/op_db_harness.py says how ops are compared and
which differences are allowed). The ones that do not pass yet are listed, with the reason,
in op_db_expected.json (regenerate it with ``python -m tests.compat.op_db_harness --json``):
they are expected failures, and an op that starts failing or goes missing fails the test.
"""
import json
import os

import pytest

pytest.importorskip("torch")
pytest.importorskip("expecttest")

from torch.testing._internal.common_methods_invocations import op_db  # noqa: E402

from .op_db_harness import check_op, op_id  # noqa: E402

with open(os.path.join(os.path.dirname(__file__), "op_db_expected.json")) as f:
    EXPECTED = json.load(f)


@pytest.mark.parametrize("op", op_db, ids=op_id)
def test_op_db(op):
    verdict, reason = check_op(op)
    if verdict == "pass":
        return
    if verdict == "skipped":
        pytest.skip(reason)
    if EXPECTED.get(op_id(op)) in ("fail", "missing"):
        pytest.xfail(reason)
    pytest.fail(f"{op_id(op)} {verdict}: {reason}")
