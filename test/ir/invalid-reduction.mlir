// RUN: mlopt %s --split-input-file --verify-diagnostics

// Shape-rule and type-constraint errors of the reductions and of
// argmax / argmin (whose single dim gets its own "dim N is out of range"
// message, as concat, gather and iota do).

func.func @sum_dim_out_of_range(%x: tensor<4x8xf32>) -> tensor<4xf32> {
  // expected-error @+2 {{reduction dims entry 2 is out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.sum %x, dims = [2] : tensor<4x8xf32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @prod_dim_negative(%x: tensor<4x8xi32>) -> tensor<4xi32> {
  // expected-error @+2 {{reduction dims entry -1 is out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.prod %x, dims = [-1] : tensor<4x8xi32> -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

func.func @max_dims_not_increasing(%x: tensor<4x8xf32>) -> tensor<f32> {
  // expected-error @+2 {{reduction dims must be strictly increasing}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.max %x, dims = [1, 0] : tensor<4x8xf32> -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @min_dims_duplicate(%x: tensor<4x8xf32>) -> tensor<4xf32> {
  // expected-error @+2 {{reduction dims must be strictly increasing}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.min %x, dims = [1, 1] : tensor<4x8xf32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @any_dim_out_of_range_keepdim(%x: tensor<4x8xi1>) -> tensor<1x8xi1> {
  // expected-error @+2 {{reduction dims entry 5 is out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.any %x, dims = [0, 5] keepdim : tensor<4x8xi1> -> tensor<1x8xi1>
  return %0 : tensor<1x8xi1>
}

// -----

func.func @all_scalar(%x: tensor<i1>) -> tensor<i1> {
  // expected-error @+2 {{reduction dims entry 0 is out of range for rank 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.all %x, dims = [0] : tensor<i1> -> tensor<i1>
  return %0 : tensor<i1>
}

// -----

func.func @sum_result_shape(%x: tensor<4x8xf32>) -> tensor<8xf32> {
  // expected-error @+2 {{'mlopt.sum' op inferred type(s) 'tensor<4xf32>' are incompatible with return type(s) of operation 'tensor<8xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.sum %x, dims = [1] : tensor<4x8xf32> -> tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

// keepdim keeps the reduced dim as size 1.
func.func @sum_keepdim_result_shape(%x: tensor<4x8xf32>) -> tensor<4xf32> {
  // expected-error @+2 {{'mlopt.sum' op inferred type(s) 'tensor<4x1xf32>' are incompatible with return type(s) of operation 'tensor<4xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.sum %x, dims = [1] keepdim : tensor<4x8xf32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @max_result_rank(%x: tensor<4x8xf32>) -> tensor<4x1xf32> {
  // expected-error @+2 {{'mlopt.max' op inferred type(s) 'tensor<4xf32>' are incompatible with return type(s) of operation 'tensor<4x1xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.max %x, dims = [1] : tensor<4x8xf32> -> tensor<4x1xf32>
  return %0 : tensor<4x1xf32>
}

// -----

func.func @sum_result_element(%x: tensor<4x8xf32>) -> tensor<4xf64> {
  // expected-error @+1 {{'mlopt.sum' op requires the same element type for all operands and results}}
  %0 = mlopt.sum %x, dims = [1] : tensor<4x8xf32> -> tensor<4xf64>
  return %0 : tensor<4xf64>
}

// -----

func.func @sum_bool(%x: tensor<4x8xi1>) -> tensor<4xi1> {
  // expected-error @+1 {{'mlopt.sum' op operand #0 must be ranked tensor of numeric values, but got 'tensor<4x8xi1>'}}
  %0 = mlopt.sum %x, dims = [1] : tensor<4x8xi1> -> tensor<4xi1>
  return %0 : tensor<4xi1>
}

// -----

func.func @prod_bool(%x: tensor<4xi1>) -> tensor<i1> {
  // expected-error @+1 {{'mlopt.prod' op operand #0 must be ranked tensor of numeric values, but got 'tensor<4xi1>'}}
  %0 = mlopt.prod %x, dims = [0] : tensor<4xi1> -> tensor<i1>
  return %0 : tensor<i1>
}

// -----

func.func @max_i8(%x: tensor<4xi8>) -> tensor<i8> {
  // expected-error @+1 {{'mlopt.max' op operand #0 must be ranked tensor of numeric values, but got 'tensor<4xi8>'}}
  %0 = mlopt.max %x, dims = [0] : tensor<4xi8> -> tensor<i8>
  return %0 : tensor<i8>
}

// -----

func.func @any_float(%x: tensor<4x8xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'mlopt.any' op operand #0 must be ranked tensor of 1-bit signless integer values, but got 'tensor<4x8xf32>'}}
  %0 = mlopt.any %x, dims = [1] : tensor<4x8xf32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @all_int(%x: tensor<4x8xi32>) -> tensor<4xi32> {
  // expected-error @+1 {{'mlopt.all' op operand #0 must be ranked tensor of 1-bit signless integer values, but got 'tensor<4x8xi32>'}}
  %0 = mlopt.all %x, dims = [1] : tensor<4x8xi32> -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

func.func @sum_missing_dims(%x: tensor<4x8xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'mlopt.sum' op requires attribute 'dims'}}
  %0 = "mlopt.sum"(%x) : (tensor<4x8xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @argmax_dim_out_of_range(%x: tensor<4x8xf32>) -> tensor<4xi64> {
  // expected-error @+2 {{dim 2 is out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.argmax %x, dim = 2 : tensor<4x8xf32> -> tensor<4xi64>
  return %0 : tensor<4xi64>
}

// -----

func.func @argmin_dim_negative(%x: tensor<4x8xf32>) -> tensor<4xi64> {
  // expected-error @+2 {{dim -1 is out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.argmin %x, dim = -1 : tensor<4x8xf32> -> tensor<4xi64>
  return %0 : tensor<4xi64>
}

// -----

func.func @argmax_scalar(%x: tensor<f32>) -> tensor<i64> {
  // expected-error @+2 {{dim 0 is out of range for rank 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.argmax %x, dim = 0 : tensor<f32> -> tensor<i64>
  return %0 : tensor<i64>
}

// -----

func.func @argmax_result_i32(%x: tensor<4x8xf32>) -> tensor<4xi32> {
  // expected-error @+1 {{'mlopt.argmax' op result #0 must be ranked tensor of 64-bit signless integer values, but got 'tensor<4xi32>'}}
  %0 = mlopt.argmax %x, dim = 1 : tensor<4x8xf32> -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

func.func @argmin_bool(%x: tensor<4x8xi1>) -> tensor<4xi64> {
  // expected-error @+1 {{'mlopt.argmin' op operand #0 must be ranked tensor of numeric values, but got 'tensor<4x8xi1>'}}
  %0 = mlopt.argmin %x, dim = 1 : tensor<4x8xi1> -> tensor<4xi64>
  return %0 : tensor<4xi64>
}

// -----

func.func @argmax_result_shape(%x: tensor<4x8xf32>) -> tensor<4x1xi64> {
  // expected-error @+2 {{'mlopt.argmax' op inferred type(s) 'tensor<4xi64>' are incompatible with return type(s) of operation 'tensor<4x1xi64>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.argmax %x, dim = 1 : tensor<4x8xf32> -> tensor<4x1xi64>
  return %0 : tensor<4x1xi64>
}

// -----

func.func @argmin_keepdim_result_shape(%x: tensor<4x8xf32>) -> tensor<8xi64> {
  // expected-error @+2 {{'mlopt.argmin' op inferred type(s) 'tensor<1x8xi64>' are incompatible with return type(s) of operation 'tensor<8xi64>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.argmin %x, dim = 0 keepdim : tensor<4x8xf32> -> tensor<8xi64>
  return %0 : tensor<8xi64>
}

// -----

func.func @argmax_missing_dim(%x: tensor<4x8xf32>) -> tensor<4xi64> {
  // expected-error @+1 {{'mlopt.argmax' op requires attribute 'dim'}}
  %0 = "mlopt.argmax"(%x) : (tensor<4x8xf32>) -> tensor<4xi64>
  return %0 : tensor<4xi64>
}
