// RUN: mlopt %s --split-input-file --mlopt-lower-to-cuda --mlopt-print-cuda --verify-diagnostics -o /dev/null

// CUDA programs are specialized on shapes: a dynamic dim is a located error.
// expected-error @+1 {{CUDA backend: inputs need static shapes (got memref<?x4xf32>)}}
func.func @dynamic(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = mlopt.exp %x : tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}
