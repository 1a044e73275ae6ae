//===- LinalgToBlas.cpp - the mlopt-linalg-to-blas pass -------------------===//

#include "codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::mlopt {
#define GEN_PASS_DEF_MLOPTLINALGTOBLAS
#include "codegen/Passes.h.inc"
} // namespace mlir::mlopt

using namespace mlir;

namespace {

/// memref<?x...x?xT, strided<[?, ...], offset: ?>>: accepts any view.
MemRefType anyLayout(MemRefType type) {
  int64_t rank = type.getRank();
  SmallVector<int64_t> shape(rank, ShapedType::kDynamic);
  SmallVector<int64_t> strides(rank, ShapedType::kDynamic);
  auto layout = StridedLayoutAttr::get(type.getContext(), ShapedType::kDynamic, strides);
  return MemRefType::get(shape, type.getElementType(), layout);
}

struct MloptLinalgToBlasPass : mlopt::impl::MloptLinalgToBlasBase<MloptLinalgToBlasPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<linalg::LinalgOp> targets;
    module.walk([&](linalg::LinalgOp op) {
      if (isa<linalg::MatmulOp, linalg::MatmulTransposeBOp, linalg::BatchMatmulOp,
              linalg::Conv2DNchwFchwOp>(op) &&
          op.hasPureBufferSemantics())
        targets.push_back(op);
    });
    SymbolTable symbols(module);
    for (linalg::LinalgOp op : targets) {
      auto c = cast<MemRefType>(op.getDpsInits()[0].getType());
      Type element = c.getElementType();
      if (!element.isF32() && !element.isF64())
        continue;
      bool sameTypes = llvm::all_of(op->getOperandTypes(), [&](Type t) {
        return cast<MemRefType>(t).getElementType() == element;
      });
      if (!sameTypes)
        continue;
      auto conv = dyn_cast<linalg::Conv2DNchwFchwOp>(op.getOperation());
      std::string name = std::string(conv                              ? "mlopt_rt_conv2d_"
                                     : isa<linalg::BatchMatmulOp>(op) ? "mlopt_rt_batch_matmul_"
                                                                      : "mlopt_rt_matmul_") +
                         (element.isF32() ? "f32" : "f64");
      MemRefType argType = anyLayout(c);
      OpBuilder builder(op);
      // conv2d also takes its strides and dilations (H, W) as i64.
      SmallVector<Type> argTypes(3, argType);
      SmallVector<Value> scalars;
      if (conv) {
        for (auto attr : {conv.getStrides(), conv.getDilations()})
          for (int64_t v : attr.getValues<int64_t>())
            scalars.push_back(builder.create<arith::ConstantIntOp>(op.getLoc(), v, 64));
        argTypes.append(4, builder.getI64Type());
      }
      auto callee = symbols.lookup<func::FuncOp>(name);
      if (!callee) {
        OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
        callee = b.create<func::FuncOp>(module.getLoc(), name,
                                        b.getFunctionType(argTypes, {}));
        callee.setPrivate();
        callee->setAttr("llvm.emit_c_interface", b.getUnitAttr());
        symbols.insert(callee);
      }
      SmallVector<Value> args;
      for (OpOperand &use : op->getOpOperands()) {
        Value operand = use.get();
        // matmul_transpose_b: B (by position: x @ x.T passes one value
        // twice) as a transposed view; the runtime passes such strides to
        // BLAS as a transpose flag.
        if (isa<linalg::MatmulTransposeBOp>(op) && use.getOperandNumber() == 1)
          operand = builder.create<memref::TransposeOp>(
              op.getLoc(), operand,
              AffineMapAttr::get(AffineMap::getPermutationMap(ArrayRef<unsigned>{1, 0},
                                                              op.getContext())));
        args.push_back(builder.create<memref::CastOp>(op.getLoc(), argType, operand));
      }
      args.append(scalars);
      builder.create<func::CallOp>(op.getLoc(), callee, args);
      op->erase();
    }
  }
};

} // namespace
