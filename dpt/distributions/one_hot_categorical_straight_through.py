"""OneHotCategoricalStraightThrough: one-hot samples with straight-through gradients."""
from __future__ import annotations

from .._tensor import Size
from .one_hot_categorical import OneHotCategorical

__all__ = ["OneHotCategoricalStraightThrough"]


class OneHotCategoricalStraightThrough(OneHotCategorical):
    """OneHotCategoricalStraightThrough(probs=None, logits=None, validate_args=None).

    rsample returns the one-hot sample in the forward pass and passes gradients to probs as
    if it were probs (Bengio et al., 2013), the straight-through estimator.
    """

    has_rsample = True

    def rsample(self, sample_shape=Size()):
        samples = self.sample(sample_shape)
        probs = self.probs
        return samples + (probs - probs.detach())
