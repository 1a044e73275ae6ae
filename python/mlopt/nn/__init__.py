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
from .transformer import (MultiheadAttention, Transformer, TransformerDecoder,  # noqa: F401
                          TransformerDecoderLayer, TransformerEncoder, TransformerEncoderLayer)
from ._more_modules import (Conv3d, ConvTranspose1d, EmbeddingBag, Fold,  # noqa: F401
                            LazyLinear, LocalResponseNorm, MultiMarginLoss, RMSNorm, RReLU,
                            Unfold, UpsamplingBilinear2d, UpsamplingNearest2d)
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell, RNNBase, RNNCellBase  # noqa: F401
from .modules import (CELU, GLU, SELU, AdaptiveAvgPool1d, AdaptiveMaxPool1d,  # noqa: F401
                      AdaptiveMaxPool2d, AlphaDropout, AvgPool1d, Bilinear, CircularPad1d,
                      CircularPad2d, CircularPad3d, ConstantPad1d, ConstantPad2d,
                      ConstantPad3d, CosineEmbeddingLoss, CosineSimilarity, Dropout1d,
                      Dropout2d, Dropout3d, FeatureAlphaDropout, GaussianNLLLoss,
                      HingeEmbeddingLoss, Hardshrink, Hardsigmoid, Hardswish, Hardtanh,
                      HuberLoss, KLDivLoss, LogSigmoid, MarginRankingLoss, MaxPool1d, Mish,
                      PairwiseDistance, ParameterDict, ParameterList, PixelShuffle,
                      PixelUnshuffle, PoissonNLLLoss, PReLU, ReflectionPad1d, ReflectionPad2d,
                      ReflectionPad3d, ReLU6, ReplicationPad1d, ReplicationPad2d,
                      ReplicationPad3d, Softmin, Softshrink, Softsign, SoftMarginLoss,
                      Tanhshrink, Threshold, TripletMarginLoss, Unflatten, ZeroPad1d,
                      ZeroPad2d, ZeroPad3d)
