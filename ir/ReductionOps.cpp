//===- ReductionOps.cpp - shape rules and folds of reductions -------------===//

#include "ir/MloptOps.h"
#include "ir/OpUtils.h"

using namespace mlir;
using namespace mlir::mlopt;

namespace {
/// The operand's shape with `dims` removed, or kept as 1 with keepdim.
LogicalResult inferReduced(std::optional<Location> loc, Type operandType,
                           ArrayRef<int64_t> dims, bool keepdim, Type elementType,
                           SmallVectorImpl<Type> &types) {
  RankedTensorType in = rankedOrError(loc, operandType, "operand");
  if (!in || failed(verifyDimList(loc, dims, in.getRank(), "reduction dims")))
    return failure();
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < in.getRank(); ++d) {
    if (!llvm::is_contained(dims, d))
      shape.push_back(in.getDimSize(d));
    else if (keepdim)
      shape.push_back(1);
  }
  types.push_back(RankedTensorType::get(
      shape, elementType ? elementType : in.getElementType()));
  return success();
}
} // namespace

#define REDUCE_OP(OP)                                                          \
  LogicalResult OP::inferReturnTypes(MLIRContext *, std::optional<Location> loc,\
                                     Adaptor adaptor,                          \
                                     SmallVectorImpl<Type> &types) {           \
    if (!adaptor.getDimsAttr())                                                \
      return emitOptionalError(loc, "missing 'dims'");                         \
    return inferReduced(loc, adaptor.getOperand().getType(), adaptor.getDims(),\
                        adaptor.getKeepdim(), Type(), types);                  \
  }                                                                            \
  /* Reducing no dims is the identity. */                                      \
  OpFoldResult OP::fold(FoldAdaptor) {                                         \
    if (getDims().empty() && getOperand().getType() == getType())              \
      return getOperand();                                                     \
    return {};                                                                 \
  }
REDUCE_OP(SumOp)
REDUCE_OP(ProdOp)
REDUCE_OP(MaxOp)
REDUCE_OP(MinOp)
REDUCE_OP(AnyOp)
REDUCE_OP(AllOp)
#undef REDUCE_OP

#define ARG_REDUCE_OP(OP)                                                      \
  LogicalResult OP::inferReturnTypes(MLIRContext *context,                     \
                                     std::optional<Location> loc,              \
                                     Adaptor adaptor,                          \
                                     SmallVectorImpl<Type> &types) {           \
    if (!adaptor.getDimAttr())                                                 \
      return emitOptionalError(loc, "missing 'dim'");                          \
    int64_t dim = adaptor.getDim();                                            \
    auto in = dyn_cast<RankedTensorType>(adaptor.getOperand().getType());      \
    if (in && failed(verifyDim(loc, dim, in.getRank())))                       \
      return failure();                                                        \
    return inferReduced(loc, adaptor.getOperand().getType(), dim,              \
                        adaptor.getKeepdim(), IntegerType::get(context, 64),   \
                        types);                                                \
  }
ARG_REDUCE_OP(ArgMaxOp)
ARG_REDUCE_OP(ArgMinOp)
#undef ARG_REDUCE_OP
