"""AdaptiveLogSoftmaxWithLoss: a softmax over many classes, split into a frequent-class head
and smaller clusters of rare classes (Grave et al., "Efficient softmax approximation for GPUs")."""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from ... import ops
from ..._tensor import Tensor
from .. import functional as F
from .container import ModuleList, Sequential
from .linear import Linear
from .module import Module

__all__ = ["AdaptiveLogSoftmaxWithLoss"]

_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])


class AdaptiveLogSoftmaxWithLoss(Module):
    """AdaptiveLogSoftmaxWithLoss(in_features, n_classes, cutoffs, div_value=4.0,
    head_bias=False, device=None, dtype=None).

    Classes below cutoffs[0] (the shortlist) are scored by ``head``, a Linear to
    cutoffs[0] + n_clusters outputs; the extra outputs score each cluster, whose classes
    cutoffs[i]..cutoffs[i+1]-1 get a log-probability from ``tail[i]``, a Linear to
    in_features // div_value^(i+1) features followed by one to the cluster's size.
    forward(input, target) returns (output, loss): each row's target log-probability and
    the mean negative log-likelihood.
    """

    def __init__(self, in_features: int, n_classes: int, cutoffs, div_value: float = 4.0,
                 head_bias: bool = False, device=None, dtype=None) -> None:
        super().__init__()
        cutoffs = list(cutoffs)
        if len(cutoffs) == 0:
            raise ValueError("cutoffs should be a sequence of length larger than 0")
        if (cutoffs != sorted(cutoffs) or min(cutoffs) <= 0 or max(cutoffs) > n_classes - 1
                or len(set(cutoffs)) != len(cutoffs) or any(int(c) != c for c in cutoffs)):
            raise ValueError("cutoffs should be a sequence of unique, positive integers sorted "
                             "in an increasing order, where each value is between 1 and "
                             "n_classes-1")
        self.in_features = in_features
        self.n_classes = n_classes
        self.cutoffs = cutoffs + [n_classes]
        self.div_value = div_value
        self.head_bias = head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        self.head = Linear(in_features, self.head_size, bias=head_bias, device=device,
                           dtype=dtype)
        self.tail = ModuleList()
        for i in range(self.n_clusters):
            hsz = int(in_features // (div_value ** (i + 1)))
            osz = self.cutoffs[i + 1] - self.cutoffs[i]
            self.tail.append(Sequential(
                Linear(in_features, hsz, bias=False, device=device, dtype=dtype),
                Linear(hsz, osz, bias=False, device=device, dtype=dtype)))

    def reset_parameters(self) -> None:
        self.head.reset_parameters()
        for i2h, h2o in self.tail:
            i2h.reset_parameters()
            h2o.reset_parameters()

    def forward(self, input_: Tensor, target_: Tensor) -> _ASMoutput:
        targ_dim = target_.ndim
        if targ_dim == 1:
            if input_.shape[0] != target_.shape[0]:
                raise RuntimeError("Input and target should have the same size in the batch "
                                   "dimension.")
            if input_.ndim != 2:
                raise RuntimeError(f"1D target tensor expects 2D input tensors, but found "
                                   f"inputs with size {input_.size()}")
        elif targ_dim == 0:
            if input_.ndim != 1:
                raise RuntimeError(f"0D target tensor expects 1D input tensors, but found "
                                   f"inputs with size {input_.size()}")
        else:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        batched = targ_dim > 0
        input = input_ if batched else input_.unsqueeze(0)
        target = target_ if batched else target_.unsqueeze(0)
        t = np.asarray(target.detach().cpu().numpy()).astype(np.int64)
        batch = t.shape[0]
        head_index = np.empty(batch, dtype=np.int64)
        rows, pieces = [], []
        bounds = [0] + self.cutoffs
        for i in range(len(bounds) - 1):
            sel = np.nonzero((t >= bounds[i]) & (t < bounds[i + 1]))[0]
            if sel.size == 0:
                continue
            if i == 0:
                head_index[sel] = t[sel]
                continue
            head_index[sel] = self.shortlist_size + i - 1
            idx = ops.tensor(sel, device=input.device)
            cluster_logprob = F.log_softmax(self.tail[i - 1](input.index_select(0, idx)), dim=1)
            local = ops.tensor(t[sel] - bounds[i], device=input.device).unsqueeze(1)
            rows.append(sel)
            pieces.append(cluster_logprob.gather(1, local).squeeze(1))
        used = sum(int(((t >= bounds[i]) & (t < bounds[i + 1])).sum())
                   for i in range(len(bounds) - 1))
        if used != batch:
            raise RuntimeError(f"Target values should be in [0, {self.n_classes - 1}], but "
                               f"values in range [{t.min()}, {t.max()}] were found. ")
        head_logprob = F.log_softmax(self.head(input), dim=1)
        gather = ops.tensor(head_index, device=input.device).unsqueeze(1)
        output = head_logprob.gather(1, gather).squeeze(1)
        if pieces:
            # rows in no cluster add 0; the others add their cluster's log-probability
            shortlist = np.setdiff1d(np.arange(batch), np.concatenate(rows))
            tail_rows = np.concatenate(rows + [shortlist])
            zeros = ops.zeros(shortlist.size, dtype=output.dtype, device=output.device)
            tail = ops.cat(pieces + [zeros])
            output = output + tail[ops.tensor(np.argsort(tail_rows), device=input.device)]
        loss = (-output).mean()
        if not batched:
            output = output.squeeze(0)
        return _ASMoutput(output, loss)

    def _get_full_log_prob(self, input: Tensor, head_output: Tensor) -> Tensor:
        head_logprob = F.log_softmax(head_output, dim=1)
        parts = [head_logprob[:, :self.shortlist_size]]
        for i in range(self.n_clusters):
            cluster_logprob = F.log_softmax(self.tail[i](input), dim=1)
            parts.append(cluster_logprob + head_logprob[:, self.shortlist_size + i].unsqueeze(1))
        return ops.cat(parts, dim=1)

    def log_prob(self, input: Tensor) -> Tensor:
        """log_prob(input): (N, n_classes) log-probabilities of every class."""
        return self._get_full_log_prob(input, self.head(input))

    def predict(self, input: Tensor) -> Tensor:
        """predict(input): the most likely class of each row (the full distribution is only
        computed for rows whose best head output is a cluster)."""
        head_output = self.head(input)
        output = ops.argmax(head_output, dim=1)
        outside = output >= self.shortlist_size
        if not bool(outside.any()):
            return output
        if bool(outside.all()):
            return ops.argmax(self._get_full_log_prob(input, head_output), dim=1)
        log_prob = self._get_full_log_prob(input[outside], head_output[outside])
        output[outside] = ops.argmax(log_prob, dim=1)
        return output
