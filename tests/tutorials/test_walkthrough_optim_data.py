"""torch-source-walkthrough, sections 21 (optim.SGD) and 22 (utils.data), torch -> dpt."""
import numpy as np
import pytest

import dpt
import dpt.nn as nn
from tests.helpers import assert_close


class _Mode(nn.Module):
    def __init__(self):
        super(_Mode, self).__init__()
        self.L1 = nn.Linear(3, 2)
        self.L2 = nn.Linear(2, 1)

    def forward(self, x):
        return self.L2(self.L1(x))


# The parameters the tutorial printed before the step, and its input a recovered from the
# printed gradient of w1 (= w2^T a): both rows of w1.grad / w2 agree to 4 digits.
W1 = [[-0.4261, 0.5747, 0.5451], [-0.4789, -0.0994, 0.4064]]
B1 = [0.2287, -0.3438]
W2 = [[-0.1817, -0.5562]]
B2 = [0.5979]
A = [[0.5376, 0.9467, 0.4580]]


def test_sgd_step_reproduces_the_printed_values():
    mode_ = _Mode()
    with dpt.no_grad():
        for p, v in zip(mode_.parameters(), (W1, B1, W2, B2)):
            p.copy_(dpt.tensor(v))
    a = dpt.tensor(A)
    mode_.zero_grad()
    opt = dpt.optim.SGD(mode_.parameters(), lr=2)
    out = mode_(a)
    out.backward()
    params = opt.param_groups[0]['params']
    assert_close(params[0].grad, [[-0.0977, -0.1720, -0.0832], [-0.2989, -0.5264, -0.2548]],
                 atol=2e-4)
    assert_close(params[1].grad, [-0.1817, -0.5562])
    assert_close(params[2].grad, [[0.7933, -0.5091]], atol=2e-4)
    assert repr(params[3].grad) == "tensor([1.])"
    # list(grad) iterates over rows, as the tutorial prints
    assert [g.shape for g in list(params[0].grad)] == [(3,), (3,)]
    assert repr(list(params[3].grad)) == "[tensor(1.)]"
    opt.step()
    after = [[[-0.2307, 0.9187, 0.7116], [0.1189, 0.9533, 0.9160]], [0.5922, 0.7685],
             [[-1.7684, 0.4620]], [-1.4021]]
    for p, v in zip(mode_.parameters(), after):
        assert_close(p.detach(), v, atol=5e-4)
    # the tutorial's check of w1: p - lr * grad
    manual = -dpt.mm(dpt.tensor(W2).t(), a) * 2 + dpt.tensor(W1)
    assert_close(manual, [[-0.2308, 0.9186, 0.7116], [0.1189, 0.9534, 0.9160]], atol=5e-4)
    assert_close(mode_.L1.weight.detach(), manual, atol=1e-6)


def test_sgd_momentum_as_in_the_source():
    # v_{t+1} = mu * v_t + g_{t+1};  p_{t+1} = p_t - lr * v_{t+1}  (v_1 = g_1)
    p = nn.Parameter(dpt.tensor([1.0, -2.0]))
    opt = dpt.optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.01)
    ref, v = np.array([1.0, -2.0]), None
    for _ in range(3):
        opt.zero_grad()
        (p * p).sum().backward()
        opt.step()
        g = 2 * ref + 0.01 * ref
        v = g if v is None else 0.9 * v + g
        ref = ref - 0.1 * v
    assert_close(p.detach(), ref, rtol=1e-5)
    assert 'momentum_buffer' in opt.state[p]
    with pytest.raises(ValueError, match="Invalid learning rate"):
        dpt.optim.SGD([p], lr=-1)
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum and zero "
                                         "dampening"):
        dpt.optim.SGD([p], lr=0.1, nesterov=True)


def test_python_iterator_protocol():
    class test():
        def __init__(self, x):
            self.a = 0
            self.x = x

        def __iter__(self):
            return self

        def __next__(self):
            if self.a < self.x:
                self.a = self.a + 1
                return self.a
            raise StopIteration

    assert list(test(4)) == [1, 2, 3, 4]


def test_dataset_and_shuffled_dataloader():
    a = dpt.rand(10, 3, 128, 128)
    b = dpt.randint(0, 5, (10,))

    class data(dpt.utils.data.Dataset):
        def __init__(self):
            self.a = a
            self.b = b

        def __getitem__(self, ind):
            return self.a[ind], self.b[ind]

        def __len__(self):
            return len(self.a)

    data_set = data()
    data_train = dpt.utils.data.DataLoader(data_set, 2, shuffle=True)
    assert len(data_train) == 5
    labels, rows = [], []
    for i in data_train:
        assert i[0].shape == (2, 3, 128, 128) and i[1].shape == (2,)
        assert i[1].dtype == dpt.int64
        labels += i[1].tolist()
        rows += [int(np.argmax([dpt.equal(img, x) for x in a])) for img in i[0]]
    assert sorted(rows) == list(range(10))  # every sample once, in a shuffled order
    assert labels == [b[r].item() for r in rows]
    assert len(data_set + data_set) == 20  # Dataset.__add__ -> ConcatDataset


def test_dataloader_in_order_over_an_indexable_object():
    a = dpt.rand(4, 3)
    b = dpt.randint(0, 2, (4,))

    class test1(dpt.utils.data.DataLoader):  # as in the tutorial: any indexable with __len__
        def __init__(self):
            self.a = a
            self.b = b

        def __getitem__(self, ind):
            return self.a[ind], self.b[ind]

        def __len__(self):
            return len(self.a)

    data_set = test1()
    data_train = dpt.utils.data.DataLoader(data_set, batch_size=2, shuffle=False)
    batches = list(data_train)
    assert len(batches) == 2
    for k, batch in enumerate(batches):  # printed as [tensor([[...], [...]]), tensor([0, 0])]
        assert isinstance(batch, list) and len(batch) == 2
        assert dpt.equal(batch[0], a[2 * k:2 * k + 2]) and dpt.equal(batch[1], b[2 * k:2 * k + 2])
    with pytest.raises(ValueError, match="batch_size attribute should not be set after "
                                         "DataLoader is initialized"):
        data_train.batch_size = 3
