"""mlopt.nn: neural-network building blocks: the functional forms
(mlopt.nn.functional) and Module with the common layers and losses."""

from . import functional, init, utils  # noqa: F401
from .modules import (ELU, GELU, AdaptiveAvgPool2d, AvgPool2d, BatchNorm1d, BatchNorm2d,  # noqa: F401
                      BatchNorm3d, BCELoss, BCEWithLogitsLoss, Conv1d, Conv2d,
                      ConvTranspose2d, CrossEntropyLoss,
                      Dropout, Embedding, Flatten, GroupNorm, Identity, InstanceNorm1d,
                      InstanceNorm2d, InstanceNorm3d, L1Loss, LayerNorm, LeakyReLU, Linear,
                      LogSoftmax, MaxPool2d, Module, ModuleDict, ModuleList, MSELoss, NLLLoss,
                      Parameter, ReLU, Sequential, Sigmoid, SiLU, SmoothL1Loss, Softmax,
                      Softplus, Tanh, Upsample)
from .transformer import (MultiheadAttention, TransformerEncoder,  # noqa: F401
                          TransformerEncoderLayer)
