"""mlopt.nn: neural-network building blocks: the functional forms
(mlopt.nn.functional) and Module with the common layers and losses."""

from . import functional  # noqa: F401
from .modules import (GELU, CrossEntropyLoss, Dropout, Embedding, Flatten,  # noqa: F401
                      Identity, LayerNorm, Linear, LogSoftmax, Module, ModuleList, MSELoss,
                      Parameter, ReLU, Sequential, Sigmoid, SiLU, Softmax, Tanh)
