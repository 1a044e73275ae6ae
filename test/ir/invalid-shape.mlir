// RUN: mlopt %s --split-input-file --verify-diagnostics

// Verifier and shape-rule errors of broadcast_in_dim, reshape, transpose,
// slice, concat, pad, gather, index_select, scatter_add and iota.
//
// Ops with a result-type rule report the rule's message and then "failed to
// infer returned types"; a declared type that is incompatible with the
// rule's gets "inferred type(s) ... are incompatible".

func.func @broadcast_dims_count(%x: tensor<4xf32>) -> tensor<3x4xf32> {
  // expected-error @+1 {{'mlopt.broadcast_in_dim' op has 2 broadcast dims for an operand of rank 1}}
  %0 = mlopt.broadcast_in_dim %x, dims = [0, 1] : tensor<4xf32> -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

func.func @broadcast_dims_count_scalar(%x: tensor<f32>) -> tensor<3xf32> {
  // expected-error @+1 {{'mlopt.broadcast_in_dim' op has 1 broadcast dims for an operand of rank 0}}
  %0 = mlopt.broadcast_in_dim %x, dims = [0] : tensor<f32> -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @broadcast_dims_not_increasing(%x: tensor<4x1xf32>) -> tensor<4x3x2xf32> {
  // expected-error @+1 {{broadcast dims must be strictly increasing}}
  %0 = mlopt.broadcast_in_dim %x, dims = [1, 0] : tensor<4x1xf32> -> tensor<4x3x2xf32>
  return %0 : tensor<4x3x2xf32>
}

// -----

func.func @broadcast_dims_duplicate(%x: tensor<4x1xf32>) -> tensor<4x3x2xf32> {
  // expected-error @+1 {{broadcast dims must be strictly increasing}}
  %0 = mlopt.broadcast_in_dim %x, dims = [0, 0] : tensor<4x1xf32> -> tensor<4x3x2xf32>
  return %0 : tensor<4x3x2xf32>
}

// -----

func.func @broadcast_dims_out_of_range(%x: tensor<4xf32>) -> tensor<3x4xf32> {
  // expected-error @+1 {{broadcast dims entry 2 is out of range for rank 2}}
  %0 = mlopt.broadcast_in_dim %x, dims = [2] : tensor<4xf32> -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

func.func @broadcast_dims_negative(%x: tensor<4xf32>) -> tensor<3x4xf32> {
  // expected-error @+1 {{broadcast dims entry -1 is out of range for rank 2}}
  %0 = mlopt.broadcast_in_dim %x, dims = [-1] : tensor<4xf32> -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

func.func @broadcast_size_mismatch(%x: tensor<4xf32>) -> tensor<3x5xf32> {
  // expected-error @+1 {{'mlopt.broadcast_in_dim' op cannot broadcast 'tensor<4xf32>' to 'tensor<3x5xf32>': operand dim 0 has size 4 but result dim 1 has size 5}}
  %0 = mlopt.broadcast_in_dim %x, dims = [1] : tensor<4xf32> -> tensor<3x5xf32>
  return %0 : tensor<3x5xf32>
}

// -----

func.func @broadcast_size_mismatch_2d(%x: tensor<4x2xi64>) -> tensor<4x3xi64> {
  // expected-error @+1 {{operand dim 1 has size 2 but result dim 1 has size 3}}
  %0 = mlopt.broadcast_in_dim %x, dims = [0, 1] : tensor<4x2xi64> -> tensor<4x3xi64>
  return %0 : tensor<4x3xi64>
}

// -----

func.func @broadcast_missing_size(%x: tensor<4xf32>) -> tensor<?x4xf32> {
  // expected-error @+1 {{'mlopt.broadcast_in_dim' op needs one size operand per dynamic result dim: 1 for 'tensor<?x4xf32>', got 0}}
  %0 = mlopt.broadcast_in_dim %x, dims = [1] : tensor<4xf32> -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

func.func @broadcast_extra_size(%x: tensor<4xf32>, %n: index) -> tensor<3x4xf32> {
  // expected-error @+1 {{'mlopt.broadcast_in_dim' op needs one size operand per dynamic result dim: 0 for 'tensor<3x4xf32>', got 1}}
  %0 = mlopt.broadcast_in_dim %x, dims = [1] sizes(%n) : tensor<4xf32> -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

func.func @broadcast_too_few_sizes(%x: tensor<4xf32>, %n: index) -> tensor<?x?x4xf32> {
  // expected-error @+1 {{needs one size operand per dynamic result dim: 2 for 'tensor<?x?x4xf32>', got 1}}
  %0 = mlopt.broadcast_in_dim %x, dims = [2] sizes(%n) : tensor<4xf32> -> tensor<?x?x4xf32>
  return %0 : tensor<?x?x4xf32>
}

// -----

func.func @broadcast_element_type(%x: tensor<4xf32>) -> tensor<3x4xf64> {
  // expected-error @+1 {{'mlopt.broadcast_in_dim' op changes the element type: 'tensor<4xf32>' -> 'tensor<3x4xf64>'}}
  %0 = mlopt.broadcast_in_dim %x, dims = [1] : tensor<4xf32> -> tensor<3x4xf64>
  return %0 : tensor<3x4xf64>
}

// -----

func.func @broadcast_size_not_index(%x: tensor<4xf32>, %n: i64) -> tensor<?x4xf32> {
  // expected-error @+1 {{'mlopt.broadcast_in_dim' op operand #1 must be variadic of index, but got 'i64'}}
  %0 = "mlopt.broadcast_in_dim"(%x, %n) <{broadcast_dimensions = array<i64: 1>}> : (tensor<4xf32>, i64) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

func.func @reshape_count(%x: tensor<2x3xf32>) -> tensor<7xf32> {
  // expected-error @+1 {{'mlopt.reshape' op cannot reshape 'tensor<2x3xf32>' (6 elements) to 'tensor<7xf32>' (7 elements)}}
  %0 = mlopt.reshape %x : tensor<2x3xf32> -> tensor<7xf32>
  return %0 : tensor<7xf32>
}

// -----

func.func @reshape_count_to_scalar(%x: tensor<2xi32>) -> tensor<i32> {
  // expected-error @+1 {{cannot reshape 'tensor<2xi32>' (2 elements) to 'tensor<i32>' (1 elements)}}
  %0 = mlopt.reshape %x : tensor<2xi32> -> tensor<i32>
  return %0 : tensor<i32>
}

// -----

func.func @reshape_missing_size(%x: tensor<?x3xf32>) -> tensor<?xf32> {
  // expected-error @+1 {{'mlopt.reshape' op needs one size operand per dynamic result dim: 1 for 'tensor<?xf32>', got 0}}
  %0 = mlopt.reshape %x : tensor<?x3xf32> -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

func.func @reshape_extra_size(%x: tensor<2x3xf32>, %n: index) -> tensor<6xf32> {
  // expected-error @+1 {{'mlopt.reshape' op needs one size operand per dynamic result dim: 0 for 'tensor<6xf32>', got 1}}
  %0 = mlopt.reshape %x sizes(%n) : tensor<2x3xf32> -> tensor<6xf32>
  return %0 : tensor<6xf32>
}

// -----

func.func @reshape_element_type(%x: tensor<2x3xf32>) -> tensor<6xf16> {
  // expected-error @+1 {{'mlopt.reshape' op changes the element type: 'tensor<2x3xf32>' -> 'tensor<6xf16>'}}
  %0 = mlopt.reshape %x : tensor<2x3xf32> -> tensor<6xf16>
  return %0 : tensor<6xf16>
}

// -----

func.func @transpose_perm_length(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  // expected-error @+2 {{permutation has 3 entries for an operand of rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.transpose %x, permutation = [1, 0, 2] : tensor<2x3xf32> -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

// The generic form reaches the same rule.
func.func @transpose_perm_duplicate(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  // expected-error @+2 {{permutation [1, 1] is not a permutation of 0..1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = "mlopt.transpose"(%x) <{permutation = array<i64: 1, 1>}> : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

func.func @transpose_perm_out_of_range(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  // expected-error @+2 {{permutation [1, 2] is not a permutation of 0..1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.transpose %x, permutation = [1, 2] : tensor<2x3xf32> -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

func.func @transpose_perm_negative(%x: tensor<2x3x4xf32>) -> tensor<3x2x4xf32> {
  // expected-error @+2 {{permutation [1, -1, 2] is not a permutation of 0..2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.transpose %x, permutation = [1, -1, 2] : tensor<2x3x4xf32> -> tensor<3x2x4xf32>
  return %0 : tensor<3x2x4xf32>
}

// -----

// The declared result type must be compatible with the rule's.
func.func @transpose_result_shape(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+2 {{'mlopt.transpose' op inferred type(s) 'tensor<3x2xf32>' are incompatible with return type(s) of operation 'tensor<2x3xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.transpose %x, permutation = [1, 0] : tensor<2x3xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @transpose_result_shape_generic(%x: tensor<4x8xf32>) -> tensor<4x?xf32> {
  // expected-error @+2 {{inferred type(s) 'tensor<8x4xf32>' are incompatible with return type(s) of operation 'tensor<4x?xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = "mlopt.transpose"(%x) <{permutation = array<i64: 1, 0>}> : (tensor<4x8xf32>) -> tensor<4x?xf32>
  return %0 : tensor<4x?xf32>
}

// -----

func.func @transpose_result_element(%x: tensor<2x3xf32>) -> tensor<3x2xf16> {
  // expected-error @+2 {{inferred type(s) 'tensor<3x2xf32>' are incompatible with return type(s) of operation 'tensor<3x2xf16>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.transpose %x, permutation = [1, 0] : tensor<2x3xf32> -> tensor<3x2xf16>
  return %0 : tensor<3x2xf16>
}

// -----

func.func @transpose_result_rank(%x: tensor<2x3xf32>) -> tensor<3x2x1xf32> {
  // expected-error @+2 {{inferred type(s) 'tensor<3x2xf32>' are incompatible with return type(s) of operation 'tensor<3x2x1xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.transpose %x, permutation = [1, 0] : tensor<2x3xf32> -> tensor<3x2x1xf32>
  return %0 : tensor<3x2x1xf32>
}

// -----

func.func @transpose_missing_permutation(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  // expected-error @+1 {{'mlopt.transpose' op requires attribute 'permutation'}}
  %0 = "mlopt.transpose"(%x) : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

func.func @slice_start_length(%x: tensor<4x8xf32>) -> tensor<4x4xf32> {
  // expected-error @+2 {{start, limit and step need 2 entries each for operand 'tensor<4x8xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.slice %x, start = [0], limit = [4, 8], step = [1, 2] : tensor<4x8xf32> -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

func.func @slice_limit_length(%x: tensor<4x8xf32>) -> tensor<4x4xf32> {
  // expected-error @+2 {{start, limit and step need 2 entries each for operand 'tensor<4x8xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.slice %x, start = [0, 0], limit = [4, 8, 1], step = [1, 2] : tensor<4x8xf32> -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

func.func @slice_step_length(%x: tensor<4x8xf32>) -> tensor<4x4xf32> {
  // expected-error @+2 {{start, limit and step need 2 entries each for operand 'tensor<4x8xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.slice %x, start = [0, 0], limit = [4, 8], step = [] : tensor<4x8xf32> -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

func.func @slice_step_zero(%x: tensor<4x8xf32>) -> tensor<4x4xf32> {
  // expected-error @+2 {{step 0 in dim 1 must be at least 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.slice %x, start = [0, 0], limit = [4, 8], step = [1, 0] : tensor<4x8xf32> -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

func.func @slice_step_negative(%x: tensor<4x8xf32>) -> tensor<4x4xf32> {
  // expected-error @+2 {{step -1 in dim 0 must be at least 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.slice %x, start = [3, 0], limit = [4, 8], step = [-1, 2] : tensor<4x8xf32> -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

func.func @slice_start_after_limit(%x: tensor<4x8xf32>) -> tensor<4x4xf32> {
  // expected-error @+2 {{slice [5:3] in dim 1 is out of bounds for 'tensor<4x8xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.slice %x, start = [0, 5], limit = [4, 3], step = [1, 1] : tensor<4x8xf32> -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

func.func @slice_limit_past_size(%x: tensor<4x8xf32>) -> tensor<4x5xf32> {
  // expected-error @+2 {{slice [0:9] in dim 1 is out of bounds for 'tensor<4x8xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.slice %x, start = [0, 0], limit = [4, 9], step = [1, 2] : tensor<4x8xf32> -> tensor<4x5xf32>
  return %0 : tensor<4x5xf32>
}

// -----

func.func @slice_negative_start(%x: tensor<4x8xf32>) -> tensor<4x4xf32> {
  // expected-error @+2 {{slice [-1:3] in dim 0 is out of bounds for 'tensor<4x8xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.slice %x, start = [-1, 0], limit = [3, 8], step = [1, 2] : tensor<4x8xf32> -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

// Bounds against a dynamic size are unknown, but a negative start is not.
func.func @slice_negative_start_dynamic(%x: tensor<?xf32>) -> tensor<3xf32> {
  // expected-error @+2 {{slice [-2:1] in dim 0 is out of bounds for 'tensor<?xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.slice %x, start = [-2], limit = [1], step = [1] : tensor<?xf32> -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @slice_result_shape(%x: tensor<4x8xf32>) -> tensor<4x3xf32> {
  // expected-error @+2 {{'mlopt.slice' op inferred type(s) 'tensor<4x4xf32>' are incompatible with return type(s) of operation 'tensor<4x3xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.slice %x, start = [0, 0], limit = [4, 8], step = [1, 2] : tensor<4x8xf32> -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

func.func @concat_rank_mismatch(%x: tensor<2x3xf32>, %y: tensor<3xf32>) -> tensor<?x3xf32> {
  // expected-error @+2 {{cannot concatenate 'tensor<2x3xf32>' and 'tensor<3xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.concat %x, %y dim = 0 : tensor<2x3xf32>, tensor<3xf32> -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

func.func @concat_dim_mismatch(%x: tensor<2x3xf32>, %y: tensor<2x4xf32>) -> tensor<4x3xf32> {
  // expected-error @+2 {{cannot concatenate 'tensor<2x3xf32>' and 'tensor<2x4xf32>' along dim 0: dim 1 differs}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.concat %x, %y dim = 0 : tensor<2x3xf32>, tensor<2x4xf32> -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

func.func @concat_dim_mismatch_third(%x: tensor<2x3xi64>, %y: tensor<?x3xi64>, %z: tensor<1x5xi64>) -> tensor<?x3xi64> {
  // expected-error @+2 {{cannot concatenate 'tensor<2x3xi64>' and 'tensor<1x5xi64>' along dim 0: dim 1 differs}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.concat %x, %y, %z dim = 0 : tensor<2x3xi64>, tensor<?x3xi64>, tensor<1x5xi64> -> tensor<?x3xi64>
  return %0 : tensor<?x3xi64>
}

// -----

func.func @concat_dim_out_of_range(%x: tensor<2x3xf32>, %y: tensor<2x3xf32>) -> tensor<4x3xf32> {
  // expected-error @+2 {{dim 2 is out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.concat %x, %y dim = 2 : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

func.func @concat_dim_negative(%x: tensor<2x3xf32>, %y: tensor<2x3xf32>) -> tensor<4x3xf32> {
  // expected-error @+2 {{dim -1 is out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.concat %x, %y dim = -1 : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

func.func @concat_element_mismatch(%x: tensor<2x3xf32>, %y: tensor<2x3xf64>) -> tensor<4x3xf32> {
  // expected-error @+1 {{'mlopt.concat' op requires the same element type for all operands and results}}
  %0 = mlopt.concat %x, %y dim = 0 : tensor<2x3xf32>, tensor<2x3xf64> -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

func.func @concat_result_element(%x: tensor<2x3xf32>, %y: tensor<2x3xf32>) -> tensor<4x3xbf16> {
  // expected-error @+1 {{'mlopt.concat' op requires the same element type for all operands and results}}
  %0 = mlopt.concat %x, %y dim = 0 : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<4x3xbf16>
  return %0 : tensor<4x3xbf16>
}

// -----

func.func @concat_no_inputs() -> tensor<4x3xf32> {
  // expected-error @+1 {{'mlopt.concat' op expected 1 or more operands, but found 0}}
  %0 = "mlopt.concat"() <{dim = 0 : i64}> : () -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

func.func @concat_result_shape(%x: tensor<2x3xf32>, %y: tensor<2x3xf32>) -> tensor<5x3xf32> {
  // expected-error @+2 {{'mlopt.concat' op inferred type(s) 'tensor<4x3xf32>' are incompatible with return type(s) of operation 'tensor<5x3xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.concat %x, %y dim = 0 : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<5x3xf32>
  return %0 : tensor<5x3xf32>
}

// -----

func.func @pad_negative_low(%x: tensor<4x5xf32>, %z: tensor<f32>) -> tensor<4x8xf32> {
  // expected-error @+2 {{padding amounts must be non-negative, got -1 and 2 in dim 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.pad %x, %z, low = [0, -1], high = [0, 2] : tensor<4x5xf32>, tensor<f32> -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @pad_negative_high(%x: tensor<4x5xf32>, %z: tensor<f32>) -> tensor<2x5xf32> {
  // expected-error @+2 {{padding amounts must be non-negative, got 0 and -2 in dim 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.pad %x, %z, low = [0, 0], high = [-2, 0] : tensor<4x5xf32>, tensor<f32> -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----

func.func @pad_low_length(%x: tensor<4x5xf32>, %z: tensor<f32>) -> tensor<4x8xf32> {
  // expected-error @+2 {{low and high need 2 entries each for operand 'tensor<4x5xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.pad %x, %z, low = [0], high = [0, 2] : tensor<4x5xf32>, tensor<f32> -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @pad_high_length(%x: tensor<4x5xf32>, %z: tensor<f32>) -> tensor<4x8xf32> {
  // expected-error @+2 {{low and high need 2 entries each for operand 'tensor<4x5xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.pad %x, %z, low = [0, 1], high = [0, 2, 0] : tensor<4x5xf32>, tensor<f32> -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @pad_value_not_0d(%x: tensor<4x5xf32>, %z: tensor<1xf32>) -> tensor<4x8xf32> {
  // expected-error @+2 {{padding value must be a 0-d tensor of 'f32', got 'tensor<1xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.pad %x, %z, low = [0, 1], high = [0, 2] : tensor<4x5xf32>, tensor<1xf32> -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @pad_value_element(%x: tensor<4x5xf32>, %z: tensor<f64>) -> tensor<4x8xf32> {
  // expected-error @+2 {{padding value must be a 0-d tensor of 'f32', got 'tensor<f64>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.pad %x, %z, low = [0, 1], high = [0, 2] : tensor<4x5xf32>, tensor<f64> -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @pad_result_shape(%x: tensor<4x5xf32>, %z: tensor<f32>) -> tensor<4x9xf32> {
  // expected-error @+2 {{'mlopt.pad' op inferred type(s) 'tensor<4x8xf32>' are incompatible with return type(s) of operation 'tensor<4x9xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.pad %x, %z, low = [0, 1], high = [0, 2] : tensor<4x5xf32>, tensor<f32> -> tensor<4x9xf32>
  return %0 : tensor<4x9xf32>
}

// -----

func.func @gather_rank_mismatch(%x: tensor<4x10xf32>, %i: tensor<4xi64>) -> tensor<4xf32> {
  // expected-error @+2 {{index 'tensor<4xi64>' must have the rank of input 'tensor<4x10xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.gather %x, %i, dim = 1 : tensor<4x10xf32>, tensor<4xi64> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @gather_index_larger(%x: tensor<4x10xf32>, %i: tensor<5x1xi64>) -> tensor<5x1xf32> {
  // expected-error @+2 {{index 'tensor<5x1xi64>' is larger than input 'tensor<4x10xf32>' in dim 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.gather %x, %i, dim = 1 : tensor<4x10xf32>, tensor<5x1xi64> -> tensor<5x1xf32>
  return %0 : tensor<5x1xf32>
}

// -----

func.func @gather_dim_out_of_range(%x: tensor<4x10xf32>, %i: tensor<4x1xi64>) -> tensor<4x1xf32> {
  // expected-error @+2 {{dim 2 is out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.gather %x, %i, dim = 2 : tensor<4x10xf32>, tensor<4x1xi64> -> tensor<4x1xf32>
  return %0 : tensor<4x1xf32>
}

// -----

func.func @gather_dim_negative(%x: tensor<4x10xf32>, %i: tensor<4x1xi64>) -> tensor<4x1xf32> {
  // expected-error @+2 {{dim -1 is out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.gather %x, %i, dim = -1 : tensor<4x10xf32>, tensor<4x1xi64> -> tensor<4x1xf32>
  return %0 : tensor<4x1xf32>
}

// -----

func.func @gather_float_index(%x: tensor<4x10xf32>, %i: tensor<4x1xf32>) -> tensor<4x1xf32> {
  // expected-error @+1 {{'mlopt.gather' op operand #1 must be ranked tensor of 32-bit signless integer or 64-bit signless integer values, but got 'tensor<4x1xf32>'}}
  %0 = mlopt.gather %x, %i, dim = 1 : tensor<4x10xf32>, tensor<4x1xf32> -> tensor<4x1xf32>
  return %0 : tensor<4x1xf32>
}

// -----

func.func @gather_result_element(%x: tensor<4x10xf32>, %i: tensor<4x1xi64>) -> tensor<4x1xf64> {
  // expected-error @+2 {{'mlopt.gather' op inferred type(s) 'tensor<4x1xf32>' are incompatible with return type(s) of operation 'tensor<4x1xf64>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.gather %x, %i, dim = 1 : tensor<4x10xf32>, tensor<4x1xi64> -> tensor<4x1xf64>
  return %0 : tensor<4x1xf64>
}

// -----

func.func @index_select_not_1d(%x: tensor<100x8xf32>, %i: tensor<2x3xi64>) -> tensor<6x8xf32> {
  // expected-error @+2 {{index must be 1-D, got 'tensor<2x3xi64>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.index_select %x, %i, dim = 0 : tensor<100x8xf32>, tensor<2x3xi64> -> tensor<6x8xf32>
  return %0 : tensor<6x8xf32>
}

// -----

func.func @index_select_0d(%x: tensor<100x8xf32>, %i: tensor<i32>) -> tensor<8xf32> {
  // expected-error @+2 {{index must be 1-D, got 'tensor<i32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.index_select %x, %i, dim = 0 : tensor<100x8xf32>, tensor<i32> -> tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

func.func @index_select_dim_out_of_range(%x: tensor<100x8xf32>, %i: tensor<3xi64>) -> tensor<3x8xf32> {
  // expected-error @+2 {{dim 2 is out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.index_select %x, %i, dim = 2 : tensor<100x8xf32>, tensor<3xi64> -> tensor<3x8xf32>
  return %0 : tensor<3x8xf32>
}

// -----

func.func @index_select_dim_negative(%x: tensor<100x8xf32>, %i: tensor<3xi64>) -> tensor<3x8xf32> {
  // expected-error @+2 {{dim -2 is out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.index_select %x, %i, dim = -2 : tensor<100x8xf32>, tensor<3xi64> -> tensor<3x8xf32>
  return %0 : tensor<3x8xf32>
}

// -----

func.func @index_select_bool_index(%x: tensor<100x8xf32>, %i: tensor<3xi1>) -> tensor<3x8xf32> {
  // expected-error @+1 {{'mlopt.index_select' op operand #1 must be ranked tensor of 32-bit signless integer or 64-bit signless integer values, but got 'tensor<3xi1>'}}
  %0 = mlopt.index_select %x, %i, dim = 0 : tensor<100x8xf32>, tensor<3xi1> -> tensor<3x8xf32>
  return %0 : tensor<3x8xf32>
}

// -----

func.func @index_select_result_shape(%x: tensor<100x8xf32>, %i: tensor<3xi64>) -> tensor<4x8xf32> {
  // expected-error @+2 {{'mlopt.index_select' op inferred type(s) 'tensor<3x8xf32>' are incompatible with return type(s) of operation 'tensor<4x8xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.index_select %x, %i, dim = 0 : tensor<100x8xf32>, tensor<3xi64> -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @scatter_add_index_rank(%a: tensor<10x4xf32>, %i: tensor<3xi64>, %s: tensor<3x4xf32>) -> tensor<10x4xf32> {
  // expected-error @+2 {{input 'tensor<10x4xf32>', index 'tensor<3xi64>' and src 'tensor<3x4xf32>' must have one rank}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.scatter_add %a, %i, %s, dim = 0 : tensor<10x4xf32>, tensor<3xi64>, tensor<3x4xf32> -> tensor<10x4xf32>
  return %0 : tensor<10x4xf32>
}

// -----

func.func @scatter_add_src_rank(%a: tensor<10x4xf32>, %i: tensor<3x4xi64>, %s: tensor<3xf32>) -> tensor<10x4xf32> {
  // expected-error @+2 {{input 'tensor<10x4xf32>', index 'tensor<3x4xi64>' and src 'tensor<3xf32>' must have one rank}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.scatter_add %a, %i, %s, dim = 0 : tensor<10x4xf32>, tensor<3x4xi64>, tensor<3xf32> -> tensor<10x4xf32>
  return %0 : tensor<10x4xf32>
}

// -----

func.func @scatter_add_src_element(%a: tensor<10x4xf32>, %i: tensor<3x4xi64>, %s: tensor<3x4xf64>) -> tensor<10x4xf32> {
  // expected-error @+2 {{src 'tensor<3x4xf64>' must have the element type of input 'tensor<10x4xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.scatter_add %a, %i, %s, dim = 0 : tensor<10x4xf32>, tensor<3x4xi64>, tensor<3x4xf64> -> tensor<10x4xf32>
  return %0 : tensor<10x4xf32>
}

// -----

func.func @scatter_add_dim_out_of_range(%a: tensor<10x4xf32>, %i: tensor<3x4xi64>, %s: tensor<3x4xf32>) -> tensor<10x4xf32> {
  // expected-error @+2 {{dim 2 is out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.scatter_add %a, %i, %s, dim = 2 : tensor<10x4xf32>, tensor<3x4xi64>, tensor<3x4xf32> -> tensor<10x4xf32>
  return %0 : tensor<10x4xf32>
}

// -----

func.func @scatter_add_dim_negative(%a: tensor<10x4xf32>, %i: tensor<3x4xi64>, %s: tensor<3x4xf32>) -> tensor<10x4xf32> {
  // expected-error @+2 {{dim -1 is out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.scatter_add %a, %i, %s, dim = -1 : tensor<10x4xf32>, tensor<3x4xi64>, tensor<3x4xf32> -> tensor<10x4xf32>
  return %0 : tensor<10x4xf32>
}

// -----

// index may not be larger than src in any dim, the scatter dim included.
func.func @scatter_add_index_larger_than_src(%a: tensor<10x4xf32>, %i: tensor<3x4xi64>, %s: tensor<2x4xf32>) -> tensor<10x4xf32> {
  // expected-error @+2 {{index 'tensor<3x4xi64>' is larger than src 'tensor<2x4xf32>' in dim 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.scatter_add %a, %i, %s, dim = 0 : tensor<10x4xf32>, tensor<3x4xi64>, tensor<2x4xf32> -> tensor<10x4xf32>
  return %0 : tensor<10x4xf32>
}

// -----

func.func @scatter_add_index_larger_than_input(%a: tensor<10x4xf32>, %i: tensor<3x5xi64>, %s: tensor<3x5xf32>) -> tensor<10x4xf32> {
  // expected-error @+2 {{index 'tensor<3x5xi64>' is larger than input 'tensor<10x4xf32>' in dim 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.scatter_add %a, %i, %s, dim = 0 : tensor<10x4xf32>, tensor<3x5xi64>, tensor<3x5xf32> -> tensor<10x4xf32>
  return %0 : tensor<10x4xf32>
}

// -----

func.func @scatter_add_bool(%a: tensor<10x4xi1>, %i: tensor<3x4xi64>, %s: tensor<3x4xi1>) -> tensor<10x4xi1> {
  // expected-error @+1 {{'mlopt.scatter_add' op operand #0 must be ranked tensor of numeric values, but got 'tensor<10x4xi1>'}}
  %0 = mlopt.scatter_add %a, %i, %s, dim = 0 : tensor<10x4xi1>, tensor<3x4xi64>, tensor<3x4xi1> -> tensor<10x4xi1>
  return %0 : tensor<10x4xi1>
}

// -----

func.func @scatter_add_float_index(%a: tensor<10x4xf32>, %i: tensor<3x4xf32>, %s: tensor<3x4xf32>) -> tensor<10x4xf32> {
  // expected-error @+1 {{'mlopt.scatter_add' op operand #1 must be ranked tensor of 32-bit signless integer or 64-bit signless integer values, but got 'tensor<3x4xf32>'}}
  %0 = mlopt.scatter_add %a, %i, %s, dim = 0 : tensor<10x4xf32>, tensor<3x4xf32>, tensor<3x4xf32> -> tensor<10x4xf32>
  return %0 : tensor<10x4xf32>
}

// -----

func.func @scatter_add_result_shape(%a: tensor<10x4xf32>, %i: tensor<3x4xi64>, %s: tensor<3x4xf32>) -> tensor<11x4xf32> {
  // expected-error @+2 {{'mlopt.scatter_add' op inferred type(s) 'tensor<10x4xf32>' are incompatible with return type(s) of operation 'tensor<11x4xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.scatter_add %a, %i, %s, dim = 0 : tensor<10x4xf32>, tensor<3x4xi64>, tensor<3x4xf32> -> tensor<11x4xf32>
  return %0 : tensor<11x4xf32>
}

// -----

func.func @iota_dim_out_of_range() -> tensor<16xi64> {
  // expected-error @+1 {{dim 1 is out of range for rank 1}}
  %0 = mlopt.iota dim = 1 : tensor<16xi64>
  return %0 : tensor<16xi64>
}

// -----

func.func @iota_dim_negative() -> tensor<4xi64> {
  // expected-error @+1 {{dim -1 is out of range for rank 1}}
  %0 = mlopt.iota dim = -1 : tensor<4xi64>
  return %0 : tensor<4xi64>
}

// -----

func.func @iota_scalar() -> tensor<i32> {
  // expected-error @+1 {{dim 0 is out of range for rank 0}}
  %0 = mlopt.iota dim = 0 : tensor<i32>
  return %0 : tensor<i32>
}

// -----

func.func @iota_missing_size() -> tensor<4x?xf32> {
  // expected-error @+1 {{'mlopt.iota' op needs one size operand per dynamic result dim: 1 for 'tensor<4x?xf32>', got 0}}
  %0 = mlopt.iota dim = 1 : tensor<4x?xf32>
  return %0 : tensor<4x?xf32>
}

// -----

func.func @iota_extra_size(%n: index) -> tensor<4x4xf32> {
  // expected-error @+1 {{'mlopt.iota' op needs one size operand per dynamic result dim: 0 for 'tensor<4x4xf32>', got 1}}
  %0 = mlopt.iota dim = 1 sizes(%n) : tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

func.func @iota_bool() -> tensor<4xi1> {
  // expected-error @+1 {{'mlopt.iota' op result #0 must be ranked tensor of numeric values, but got 'tensor<4xi1>'}}
  %0 = mlopt.iota dim = 0 : tensor<4xi1>
  return %0 : tensor<4xi1>
}

// -----

//===----------------------------------------------------------------------===//
// Sizes in parsed IR may be anywhere up to 2^63 - 1: shape rules must not
// overflow int64.
//===----------------------------------------------------------------------===//

// The slice size is computed from limit - start, not limit - start + step - 1
// (which overflows here): (2^63 - 1) / 2 rounded up is 2^62.
func.func @slice_size_large_limit(%x: tensor<?xf32>) -> tensor<1xf32> {
  // expected-error @+2 {{'mlopt.slice' op inferred type(s) 'tensor<4611686018427387904xf32>' are incompatible with return type(s) of operation 'tensor<1xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.slice %x, start = [0], limit = [9223372036854775807], step = [2] : tensor<?xf32> -> tensor<1xf32>
  return %0 : tensor<1xf32>
}

// -----

// A step of 2^63 - 1 takes one element of 5.
func.func @slice_size_large_step(%x: tensor<8xf32>) -> tensor<2xf32> {
  // expected-error @+2 {{'mlopt.slice' op inferred type(s) 'tensor<1xf32>' are incompatible with return type(s) of operation 'tensor<2xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.slice %x, start = [0], limit = [5], step = [9223372036854775807] : tensor<8xf32> -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @pad_low_overflows(%x: tensor<4x5xf32>, %z: tensor<f32>) -> tensor<4x?xf32> {
  // expected-error @+2 {{padded size of dim 1 overflows int64}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.pad %x, %z, low = [0, 9223372036854775807], high = [0, 0] : tensor<4x5xf32>, tensor<f32> -> tensor<4x?xf32>
  return %0 : tensor<4x?xf32>
}

// -----

// 4 + (2^63 - 6) fits; adding high = 2 does not.
func.func @pad_high_overflows(%x: tensor<4x5xf32>, %z: tensor<f32>) -> tensor<?x5xf32> {
  // expected-error @+2 {{padded size of dim 0 overflows int64}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.pad %x, %z, low = [9223372036854775802, 0], high = [2, 0] : tensor<4x5xf32>, tensor<f32> -> tensor<?x5xf32>
  return %0 : tensor<?x5xf32>
}

// -----

func.func @concat_size_overflows(%x: tensor<9223372036854775807xf32>, %y: tensor<1xf32>) -> tensor<?xf32> {
  // expected-error @+2 {{concatenated size overflows int64}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.concat %x, %y dim = 0 : tensor<9223372036854775807xf32>, tensor<1xf32> -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

// The overflow may come from a later input.
func.func @concat_size_overflows_third(%x: tensor<2x4611686018427387904xi64>, %y: tensor<2x?xi64>, %z: tensor<2x4611686018427387904xi64>) -> tensor<2x?xi64> {
  // expected-error @+2 {{concatenated size overflows int64}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.concat %x, %z, %y dim = 1 : tensor<2x4611686018427387904xi64>, tensor<2x4611686018427387904xi64>, tensor<2x?xi64> -> tensor<2x?xi64>
  return %0 : tensor<2x?xi64>
}

// -----

// 2^32 * 2^32 elements do not fit in int64: the count is not "unknown".
func.func @reshape_operand_too_large(%x: tensor<4294967296x4294967296xf32>) -> tensor<1xf32> {
  // expected-error @+1 {{'mlopt.reshape' op has more than 2^63 elements: 'tensor<4294967296x4294967296xf32>' -> 'tensor<1xf32>'}}
  %0 = mlopt.reshape %x : tensor<4294967296x4294967296xf32> -> tensor<1xf32>
  return %0 : tensor<1xf32>
}

// -----

// A `?` dim may be 0, so a static part whose count overflows is no error by
// itself; only a static shape on the other side makes it one.
func.func @reshape_result_too_large(%x: tensor<6xi32>, %n: index) -> tensor<3037000500x3037000500x?xi32> {
  // expected-error @+1 {{'mlopt.reshape' op has more than 2^63 elements: 'tensor<6xi32>' -> 'tensor<3037000500x3037000500x?xi32>'}}
  %0 = mlopt.reshape %x sizes(%n) : tensor<6xi32> -> tensor<3037000500x3037000500x?xi32>
  return %0 : tensor<3037000500x3037000500x?xi32>
}
