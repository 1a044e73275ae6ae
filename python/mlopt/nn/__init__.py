"""mlopt.nn: neural-network building blocks: the functional forms
(mlopt.nn.functional) and Module with the common layers and losses."""

from . import functional  # noqa: F401
from .modules import (GELU, AvgPool2d, Conv2d, CrossEntropyLoss, Dropout,  # noqa: F401
                      Embedding, Flatten, Identity, LayerNorm, Linear, LogSoftmax, MaxPool2d,
                      Module, ModuleList, MSELoss, Parameter, ReLU, Sequential, Sigmoid, SiLU,
                      Softmax, Tanh)
