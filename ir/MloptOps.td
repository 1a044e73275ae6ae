//===- MloptOps.td - the mlopt op set --------------------------------------===//
//
// One file per op family; this root is what `add_mlir_dialect` reads.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_OPS_TD
#define MLOPT_OPS_TD

include "MloptDialect.td"
include "ElementwiseOps.td"
include "ShapeOps.td"
include "ReductionOps.td"
include "ContractionOps.td"

#endif // MLOPT_OPS_TD
