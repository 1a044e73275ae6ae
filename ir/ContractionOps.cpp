//===- ContractionOps.cpp - shape rules of matmul and conv2d --------------===//

#include "ir/MloptOps.h"
#include "ir/OpUtils.h"

using namespace mlir;
using namespace mlir::mlopt;

namespace {
/// NumPy broadcasting of one pair of batch dims; false if incompatible.
bool broadcastDim(int64_t a, int64_t b, int64_t &out) {
  if (a == 1) {
    out = b;
  } else if (b == 1 || a == b) {
    out = a;
  } else if (ShapedType::isDynamic(a)) {
    out = b;
  } else if (ShapedType::isDynamic(b)) {
    out = a;
  } else {
    return false;
  }
  return true;
}
} // namespace

LogicalResult MatmulOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  RankedTensorType lhs = rankedOrError(loc, adaptor.getLhs().getType(), "lhs");
  RankedTensorType rhs = rankedOrError(loc, adaptor.getRhs().getType(), "rhs");
  if (!lhs || !rhs)
    return failure();
  if (lhs.getRank() < 2 || rhs.getRank() < 2)
    return emitOptionalError(loc, "matmul operands must have rank >= 2, got ",
                             lhs, " and ", rhs);
  if (lhs.getElementType() != rhs.getElementType())
    return emitOptionalError(loc, "matmul operands ", lhs, " and ", rhs,
                             " have different element types");
  int64_t k1 = lhs.getShape().back(), k2 = rhs.getDimSize(rhs.getRank() - 2);
  if (!ShapedType::isDynamic(k1) && !ShapedType::isDynamic(k2) && k1 != k2)
    return emitOptionalError(loc, "matmul contraction sizes differ: ", lhs,
                             " @ ", rhs, " (", k1, " vs ", k2, ")");
  ArrayRef<int64_t> lb = lhs.getShape().drop_back(2), rb = rhs.getShape().drop_back(2);
  size_t batchRank = std::max(lb.size(), rb.size());
  SmallVector<int64_t> shape(batchRank);
  for (size_t i = 0; i < batchRank; ++i) {
    // Align from the right; a missing dim acts as 1.
    int64_t a = i < batchRank - lb.size() ? 1 : lb[i - (batchRank - lb.size())];
    int64_t b = i < batchRank - rb.size() ? 1 : rb[i - (batchRank - rb.size())];
    if (!broadcastDim(a, b, shape[i]))
      return emitOptionalError(loc, "matmul batch dims of ", lhs, " and ", rhs,
                               " do not broadcast");
  }
  shape.push_back(lhs.getDimSize(lhs.getRank() - 2));
  shape.push_back(rhs.getShape().back());
  types.push_back(lhs.clone(shape));
  return success();
}

LogicalResult Conv2DOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  RankedTensorType input = rankedOrError(loc, adaptor.getInput().getType(), "input");
  RankedTensorType weight = rankedOrError(loc, adaptor.getWeight().getType(), "weight");
  if (!input || !weight || !adaptor.getStrideAttr() || !adaptor.getPaddingAttr() ||
      !adaptor.getDilationAttr() || !adaptor.getGroupsAttr())
    return failure();
  if (input.getRank() != 4 || weight.getRank() != 4)
    return emitOptionalError(loc, "conv2d expects a 4-D input (NCHW) and a 4-D "
                                  "weight (OIHW), got ", input, " and ", weight);
  if (input.getElementType() != weight.getElementType())
    return emitOptionalError(loc, "conv2d input ", input, " and weight ", weight,
                             " have different element types");
  ArrayRef<int64_t> stride = adaptor.getStride(), padding = adaptor.getPadding(),
                    dilation = adaptor.getDilation();
  if (stride.size() != 2 || padding.size() != 2 || dilation.size() != 2)
    return emitOptionalError(loc, "stride, padding and dilation need 2 entries each");
  int64_t groups = adaptor.getGroups();
  if (groups < 1)
    return emitOptionalError(loc, "groups must be at least 1, got ", groups);
  int64_t channels = input.getDimSize(1), outChannels = weight.getDimSize(0),
          weightChannels = weight.getDimSize(1);
  std::optional<int64_t> expectedChannels = checkedMul(weightChannels, groups);
  if (!ShapedType::isDynamic(channels) && !ShapedType::isDynamic(weightChannels) &&
      (!expectedChannels || channels != *expectedChannels))
    return emitOptionalError(loc, "conv2d input ", input, " has ", channels,
                             " channels but weight ", weight, " expects ",
                             weightChannels, " x ", groups, " groups");
  if (!ShapedType::isDynamic(outChannels) && outChannels % groups != 0)
    return emitOptionalError(loc, "conv2d weight ", weight, " has ", outChannels,
                             " output channels, not divisible by ", groups,
                             " groups");
  SmallVector<int64_t> shape = {input.getDimSize(0), outChannels};
  for (int i = 0; i < 2; ++i) {
    if (stride[i] < 1 || dilation[i] < 1 || padding[i] < 0)
      return emitOptionalError(loc, "conv2d needs stride >= 1, dilation >= 1 and "
                                    "padding >= 0, got ",
                               stride[i], ", ", dilation[i], ", ", padding[i]);
    int64_t size = input.getDimSize(2 + i), kernel = weight.getDimSize(2 + i);
    if (ShapedType::isDynamic(size) || ShapedType::isDynamic(kernel)) {
      shape.push_back(ShapedType::kDynamic);
      continue;
    }
    if (kernel < 1)
      return emitOptionalError(loc, "conv2d kernel ", weight, " is empty in spatial dim ", i);
    std::optional<int64_t> span = checkedMul(dilation[i], kernel - 1);
    if (span)
      span = checkedAdd(*span, 1);
    std::optional<int64_t> padded = checkedMul(padding[i], 2);
    if (padded)
      padded = checkedAdd(*padded, size);
    if (!span || !padded)
      return emitOptionalError(loc, "conv2d sizes overflow int64 in spatial dim ", i);
    if (*span > *padded)
      return emitOptionalError(loc, "conv2d kernel ", weight, " (span ", *span,
                               ") is larger than the padded input ", input,
                               " (", *padded, ") in spatial dim ", i);
    shape.push_back((*padded - *span) / stride[i] + 1);
  }
  types.push_back(input.clone(shape));
  return success();
}
