"""dpt.func: torch.func's composable function transforms.

- ``grad``, ``grad_and_value``, ``vjp``, ``jvp``, ``linearize``, ``jacrev``, ``jacfwd`` and
  ``hessian`` (_grad.py): built on dpt's define-by-run autograd; they nest (grad of grad,
  jacrev of grad, hessian) and take pytrees (tuples, lists, dicts) of tensors.
- ``vmap`` (_vmap.py, also ``dpt.vmap``): runs func once per batch element and stacks the
  results, so it composes with everything above (per-sample gradients: vmap(grad(f))).
- ``functional_call``, ``stack_module_state`` and ``replace_all_batch_norm_modules_``
  (_functional_call.py): a module as a function of its parameters and buffers, the stacked
  state of an ensemble, and batch norms that keep no running statistics.

Forward mode is computed with the double-vjp trick; see each module for its deviations.
"""
from ._functional_call import functional_call, replace_all_batch_norm_modules_, stack_module_state
from ._grad import grad, grad_and_value, hessian, jacfwd, jacrev, jvp, linearize, vjp
from ._vmap import vmap

__all__ = ["functional_call", "grad", "grad_and_value", "hessian", "jacfwd", "jacrev", "jvp",
           "linearize", "replace_all_batch_norm_modules_", "stack_module_state", "vjp", "vmap"]
