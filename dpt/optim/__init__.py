"""dpt.optim: optimizers (one file each) and learning-rate schedules."""
from .optimizer import Optimizer
from .sgd import SGD
from .adam import Adam
from .adamw import AdamW
from .rmsprop import RMSprop
from .adagrad import Adagrad
from .adadelta import Adadelta
from .adamax import Adamax
from .nadam import NAdam
from .radam import RAdam
from .lbfgs import LBFGS
from .asgd import ASGD
from .rprop import Rprop
from .sparse_adam import SparseAdam
from .adafactor import Adafactor
from .muon import Muon
from ._stateless import swap_in_optimizer_params_and_state
from . import lr_scheduler
from . import swa_utils

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax",
           "NAdam", "RAdam", "LBFGS", "ASGD", "Rprop", "SparseAdam", "Adafactor", "Muon",
           "swap_in_optimizer_params_and_state", "lr_scheduler",
           "swa_utils"]
