"""dpt._nn_aliases: torch's top-level spellings of nn.functional ops match F's."""
import numpy as np

import dpt
from tests.helpers import assert_close


def test_functional_aliases_match_nn_functional():
    F = dpt.nn.functional
    x, w = dpt.randn(2, 3, 8), dpt.randn(4, 3, 3)
    assert_close(dpt.conv1d(x, w, None, 1, 1), F.conv1d(x, w, None, 1, 1).numpy())
    img, k = dpt.randn(1, 2, 6, 6), dpt.randn(3, 2, 3, 3)
    assert_close(dpt.conv2d(img, k, padding=1), F.conv2d(img, k, padding=1).numpy())
    assert_close(dpt.max_pool2d(img, 2), F.max_pool2d(img, 2).numpy())
    assert_close(dpt.avg_pool1d(x, 2), F.avg_pool1d(x, 2).numpy())
    out, idx = dpt.adaptive_max_pool1d(x, 4)
    assert out.shape == (2, 3, 4) and idx.dtype is dpt.int64
    rm, rv, g, b = dpt.zeros(3), dpt.ones(3), dpt.rand(3), dpt.rand(3)
    assert_close(dpt.batch_norm(x, g, b, rm, rv, False, 0.1, 1e-5, True),
                 F.batch_norm(x, rm, rv, g, b, False, 0.1, 1e-5).numpy())
    assert_close(dpt.layer_norm(x, (8,)), F.layer_norm(x, (8,)).numpy())
    assert_close(dpt.group_norm(x, 3), F.group_norm(x, 3).numpy())
    table = dpt.randn(5, 2)
    assert_close(dpt.embedding(table, dpt.tensor([4, 0])), table.numpy()[[4, 0]])
    assert dpt.dropout(x, 0.5, False) is x or dpt.dropout(x, 0.5, False).tolist() == x.tolist()
    assert dpt.pixel_shuffle(dpt.randn(1, 4, 2, 2), 2).shape == (1, 1, 4, 4)
    assert_close(dpt.cosine_similarity(x, x, dim=1), np.ones((2, 8)), rtol=1e-5, atol=1e-5)
