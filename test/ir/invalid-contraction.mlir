// RUN: mlopt %s --split-input-file --verify-diagnostics

// Shape-rule and type-constraint errors of matmul and conv2d.

func.func @matmul_lhs_rank_1(%a: tensor<8xf32>, %b: tensor<8x4xf32>) -> tensor<4xf32> {
  // expected-error @+2 {{matmul operands must have rank >= 2, got 'tensor<8xf32>' and 'tensor<8x4xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.matmul %a, %b : tensor<8xf32>, tensor<8x4xf32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @matmul_rhs_rank_1(%a: tensor<2x8xf32>, %b: tensor<8xf32>) -> tensor<2xf32> {
  // expected-error @+2 {{matmul operands must have rank >= 2, got 'tensor<2x8xf32>' and 'tensor<8xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.matmul %a, %b : tensor<2x8xf32>, tensor<8xf32> -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @matmul_k_mismatch(%a: tensor<2x8xf32>, %b: tensor<7x4xf32>) -> tensor<2x4xf32> {
  // expected-error @+2 {{matmul contraction sizes differ: 'tensor<2x8xf32>' @ 'tensor<7x4xf32>' (8 vs 7)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.matmul %a, %b : tensor<2x8xf32>, tensor<7x4xf32> -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @matmul_k_mismatch_batched(%a: tensor<3x2x8xf16>, %b: tensor<6x4xf16>) -> tensor<3x2x4xf16> {
  // expected-error @+2 {{matmul contraction sizes differ: 'tensor<3x2x8xf16>' @ 'tensor<6x4xf16>' (8 vs 6)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.matmul %a, %b : tensor<3x2x8xf16>, tensor<6x4xf16> -> tensor<3x2x4xf16>
  return %0 : tensor<3x2x4xf16>
}

// -----

func.func @matmul_batch_mismatch(%a: tensor<3x2x8xf32>, %b: tensor<5x8x4xf32>) -> tensor<3x2x4xf32> {
  // expected-error @+2 {{matmul batch dims of 'tensor<3x2x8xf32>' and 'tensor<5x8x4xf32>' do not broadcast}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.matmul %a, %b : tensor<3x2x8xf32>, tensor<5x8x4xf32> -> tensor<3x2x4xf32>
  return %0 : tensor<3x2x4xf32>
}

// -----

// Batch dims align from the right: [2, 3] against [2] compares 3 with 2.
func.func @matmul_batch_mismatch_aligned_right(%a: tensor<2x3x2x8xf32>, %b: tensor<2x8x4xf32>) -> tensor<2x3x2x4xf32> {
  // expected-error @+2 {{matmul batch dims of 'tensor<2x3x2x8xf32>' and 'tensor<2x8x4xf32>' do not broadcast}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.matmul %a, %b : tensor<2x3x2x8xf32>, tensor<2x8x4xf32> -> tensor<2x3x2x4xf32>
  return %0 : tensor<2x3x2x4xf32>
}

// -----

// The SameOperandsAndResultElementType trait reports this before the shape rule.
func.func @matmul_element_mismatch(%a: tensor<2x8xf32>, %b: tensor<8x4xf16>) -> tensor<2x4xf32> {
  // expected-error @+1 {{'mlopt.matmul' op requires the same element type for all operands and results}}
  %0 = mlopt.matmul %a, %b : tensor<2x8xf32>, tensor<8x4xf16> -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @matmul_result_element(%a: tensor<2x8xi32>, %b: tensor<8x4xi32>) -> tensor<2x4xi64> {
  // expected-error @+1 {{'mlopt.matmul' op requires the same element type for all operands and results}}
  %0 = mlopt.matmul %a, %b : tensor<2x8xi32>, tensor<8x4xi32> -> tensor<2x4xi64>
  return %0 : tensor<2x4xi64>
}

// -----

func.func @matmul_bool(%a: tensor<2x8xi1>, %b: tensor<8x4xi1>) -> tensor<2x4xi1> {
  // expected-error @+1 {{'mlopt.matmul' op operand #0 must be ranked tensor of numeric values, but got 'tensor<2x8xi1>'}}
  %0 = mlopt.matmul %a, %b : tensor<2x8xi1>, tensor<8x4xi1> -> tensor<2x4xi1>
  return %0 : tensor<2x4xi1>
}

// -----

func.func @matmul_result_shape(%a: tensor<2x8xf32>, %b: tensor<8x4xf32>) -> tensor<2x5xf32> {
  // expected-error @+2 {{'mlopt.matmul' op inferred type(s) 'tensor<2x4xf32>' are incompatible with return type(s) of operation 'tensor<2x5xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.matmul %a, %b : tensor<2x8xf32>, tensor<8x4xf32> -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----

func.func @matmul_result_batch(%a: tensor<5x1x2x3xf32>, %b: tensor<4x3x6xf32>) -> tensor<5x1x2x6xf32> {
  // expected-error @+2 {{'mlopt.matmul' op inferred type(s) 'tensor<5x4x2x6xf32>' are incompatible with return type(s) of operation 'tensor<5x1x2x6xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.matmul %a, %b : tensor<5x1x2x3xf32>, tensor<4x3x6xf32> -> tensor<5x1x2x6xf32>
  return %0 : tensor<5x1x2x6xf32>
}

// -----

func.func @conv2d_input_rank(%x: tensor<3x32x32xf32>, %w: tensor<16x3x3x3xf32>) -> tensor<16x30x30xf32> {
  // expected-error @+2 {{conv2d expects a 4-D input (NCHW) and a 4-D weight (OIHW), got 'tensor<3x32x32xf32>' and 'tensor<16x3x3x3xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.conv2d %x, %w, stride = [1, 1], padding = [0, 0], dilation = [1, 1], groups = 1 : tensor<3x32x32xf32>, tensor<16x3x3x3xf32> -> tensor<16x30x30xf32>
  return %0 : tensor<16x30x30xf32>
}

// -----

func.func @conv2d_weight_rank(%x: tensor<1x3x32x32xf32>, %w: tensor<16x3x3xf32>) -> tensor<1x16x30x30xf32> {
  // expected-error @+2 {{conv2d expects a 4-D input (NCHW) and a 4-D weight (OIHW), got 'tensor<1x3x32x32xf32>' and 'tensor<16x3x3xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.conv2d %x, %w, stride = [1, 1], padding = [0, 0], dilation = [1, 1], groups = 1 : tensor<1x3x32x32xf32>, tensor<16x3x3xf32> -> tensor<1x16x30x30xf32>
  return %0 : tensor<1x16x30x30xf32>
}

// -----

func.func @conv2d_channels(%x: tensor<1x4x32x32xf32>, %w: tensor<16x3x3x3xf32>) -> tensor<1x16x30x30xf32> {
  // expected-error @+2 {{conv2d input 'tensor<1x4x32x32xf32>' has 4 channels but weight 'tensor<16x3x3x3xf32>' expects 3 x 1 groups}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.conv2d %x, %w, stride = [1, 1], padding = [0, 0], dilation = [1, 1], groups = 1 : tensor<1x4x32x32xf32>, tensor<16x3x3x3xf32> -> tensor<1x16x30x30xf32>
  return %0 : tensor<1x16x30x30xf32>
}

// -----

func.func @conv2d_channels_groups(%x: tensor<1x4x32x32xf32>, %w: tensor<6x2x3x3xf32>) -> tensor<1x6x30x30xf32> {
  // expected-error @+2 {{conv2d input 'tensor<1x4x32x32xf32>' has 4 channels but weight 'tensor<6x2x3x3xf32>' expects 2 x 4 groups}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.conv2d %x, %w, stride = [1, 1], padding = [0, 0], dilation = [1, 1], groups = 4 : tensor<1x4x32x32xf32>, tensor<6x2x3x3xf32> -> tensor<1x6x30x30xf32>
  return %0 : tensor<1x6x30x30xf32>
}

// -----

func.func @conv2d_groups_not_dividing_out(%x: tensor<1x4x32x32xf32>, %w: tensor<5x2x3x3xf32>) -> tensor<1x5x30x30xf32> {
  // expected-error @+2 {{conv2d weight 'tensor<5x2x3x3xf32>' has 5 output channels, not divisible by 2 groups}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.conv2d %x, %w, stride = [1, 1], padding = [0, 0], dilation = [1, 1], groups = 2 : tensor<1x4x32x32xf32>, tensor<5x2x3x3xf32> -> tensor<1x5x30x30xf32>
  return %0 : tensor<1x5x30x30xf32>
}

// -----

func.func @conv2d_groups_zero(%x: tensor<1x3x32x32xf32>, %w: tensor<16x3x3x3xf32>) -> tensor<1x16x30x30xf32> {
  // expected-error @+2 {{groups must be at least 1, got 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.conv2d %x, %w, stride = [1, 1], padding = [0, 0], dilation = [1, 1], groups = 0 : tensor<1x3x32x32xf32>, tensor<16x3x3x3xf32> -> tensor<1x16x30x30xf32>
  return %0 : tensor<1x16x30x30xf32>
}

// -----

func.func @conv2d_groups_negative(%x: tensor<1x3x32x32xf32>, %w: tensor<16x3x3x3xf32>) -> tensor<1x16x30x30xf32> {
  // expected-error @+2 {{groups must be at least 1, got -3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.conv2d %x, %w, stride = [1, 1], padding = [0, 0], dilation = [1, 1], groups = -3 : tensor<1x3x32x32xf32>, tensor<16x3x3x3xf32> -> tensor<1x16x30x30xf32>
  return %0 : tensor<1x16x30x30xf32>
}

// -----

func.func @conv2d_stride_zero(%x: tensor<1x3x32x32xf32>, %w: tensor<16x3x3x3xf32>) -> tensor<1x16x30x30xf32> {
  // expected-error @+2 {{conv2d needs stride >= 1, dilation >= 1 and padding >= 0, got 0, 1, 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.conv2d %x, %w, stride = [0, 1], padding = [0, 0], dilation = [1, 1], groups = 1 : tensor<1x3x32x32xf32>, tensor<16x3x3x3xf32> -> tensor<1x16x30x30xf32>
  return %0 : tensor<1x16x30x30xf32>
}

// -----

func.func @conv2d_stride_zero_w(%x: tensor<1x3x32x32xf32>, %w: tensor<16x3x3x3xf32>) -> tensor<1x16x30x30xf32> {
  // expected-error @+2 {{conv2d needs stride >= 1, dilation >= 1 and padding >= 0, got 0, 1, 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.conv2d %x, %w, stride = [1, 0], padding = [0, 0], dilation = [1, 1], groups = 1 : tensor<1x3x32x32xf32>, tensor<16x3x3x3xf32> -> tensor<1x16x30x30xf32>
  return %0 : tensor<1x16x30x30xf32>
}

// -----

func.func @conv2d_dilation_zero(%x: tensor<1x3x32x32xf32>, %w: tensor<16x3x3x3xf32>) -> tensor<1x16x30x30xf32> {
  // expected-error @+2 {{conv2d needs stride >= 1, dilation >= 1 and padding >= 0, got 1, 0, 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.conv2d %x, %w, stride = [1, 1], padding = [0, 0], dilation = [1, 0], groups = 1 : tensor<1x3x32x32xf32>, tensor<16x3x3x3xf32> -> tensor<1x16x30x30xf32>
  return %0 : tensor<1x16x30x30xf32>
}

// -----

func.func @conv2d_padding_negative(%x: tensor<1x3x32x32xf32>, %w: tensor<16x3x3x3xf32>) -> tensor<1x16x30x30xf32> {
  // expected-error @+2 {{conv2d needs stride >= 1, dilation >= 1 and padding >= 0, got 1, 1, -1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.conv2d %x, %w, stride = [1, 1], padding = [-1, 0], dilation = [1, 1], groups = 1 : tensor<1x3x32x32xf32>, tensor<16x3x3x3xf32> -> tensor<1x16x30x30xf32>
  return %0 : tensor<1x16x30x30xf32>
}

// -----

func.func @conv2d_kernel_larger(%x: tensor<1x3x2x2xf32>, %w: tensor<16x3x3x3xf32>) -> tensor<1x16x1x1xf32> {
  // expected-error @+2 {{conv2d kernel 'tensor<16x3x3x3xf32>' (span 3) is larger than the padded input 'tensor<1x3x2x2xf32>' (2) in spatial dim 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.conv2d %x, %w, stride = [1, 1], padding = [0, 0], dilation = [1, 1], groups = 1 : tensor<1x3x2x2xf32>, tensor<16x3x3x3xf32> -> tensor<1x16x1x1xf32>
  return %0 : tensor<1x16x1x1xf32>
}

// -----

func.func @conv2d_kernel_larger_w(%x: tensor<1x3x8x2xf32>, %w: tensor<16x3x3x3xf32>) -> tensor<1x16x6x1xf32> {
  // expected-error @+2 {{conv2d kernel 'tensor<16x3x3x3xf32>' (span 3) is larger than the padded input 'tensor<1x3x8x2xf32>' (2) in spatial dim 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.conv2d %x, %w, stride = [1, 1], padding = [0, 0], dilation = [1, 1], groups = 1 : tensor<1x3x8x2xf32>, tensor<16x3x3x3xf32> -> tensor<1x16x6x1xf32>
  return %0 : tensor<1x16x6x1xf32>
}

// -----

// Dilation 4 spreads a 3-tap kernel over 4 * 2 + 1 = 9 inputs.
func.func @conv2d_kernel_larger_dilated(%x: tensor<1x3x8x8xf32>, %w: tensor<16x3x3x3xf32>) -> tensor<1x16x1x1xf32> {
  // expected-error @+2 {{conv2d kernel 'tensor<16x3x3x3xf32>' (span 9) is larger than the padded input 'tensor<1x3x8x8xf32>' (8) in spatial dim 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.conv2d %x, %w, stride = [1, 1], padding = [0, 0], dilation = [4, 4], groups = 1 : tensor<1x3x8x8xf32>, tensor<16x3x3x3xf32> -> tensor<1x16x1x1xf32>
  return %0 : tensor<1x16x1x1xf32>
}

// -----

func.func @conv2d_stride_length(%x: tensor<1x3x32x32xf32>, %w: tensor<16x3x3x3xf32>) -> tensor<1x16x30x30xf32> {
  // expected-error @+2 {{stride, padding and dilation need 2 entries each}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.conv2d %x, %w, stride = [1], padding = [0, 0], dilation = [1, 1], groups = 1 : tensor<1x3x32x32xf32>, tensor<16x3x3x3xf32> -> tensor<1x16x30x30xf32>
  return %0 : tensor<1x16x30x30xf32>
}

// -----

func.func @conv2d_padding_length(%x: tensor<1x3x32x32xf32>, %w: tensor<16x3x3x3xf32>) -> tensor<1x16x30x30xf32> {
  // expected-error @+2 {{stride, padding and dilation need 2 entries each}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.conv2d %x, %w, stride = [1, 1], padding = [0, 0, 0], dilation = [1, 1], groups = 1 : tensor<1x3x32x32xf32>, tensor<16x3x3x3xf32> -> tensor<1x16x30x30xf32>
  return %0 : tensor<1x16x30x30xf32>
}

// -----

func.func @conv2d_dilation_length(%x: tensor<1x3x32x32xf32>, %w: tensor<16x3x3x3xf32>) -> tensor<1x16x30x30xf32> {
  // expected-error @+2 {{stride, padding and dilation need 2 entries each}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.conv2d %x, %w, stride = [1, 1], padding = [0, 0], dilation = [], groups = 1 : tensor<1x3x32x32xf32>, tensor<16x3x3x3xf32> -> tensor<1x16x30x30xf32>
  return %0 : tensor<1x16x30x30xf32>
}

// -----

func.func @conv2d_element_mismatch(%x: tensor<1x3x32x32xf32>, %w: tensor<16x3x3x3xf16>) -> tensor<1x16x30x30xf32> {
  // expected-error @+1 {{'mlopt.conv2d' op requires the same element type for all operands and results}}
  %0 = mlopt.conv2d %x, %w, stride = [1, 1], padding = [0, 0], dilation = [1, 1], groups = 1 : tensor<1x3x32x32xf32>, tensor<16x3x3x3xf16> -> tensor<1x16x30x30xf32>
  return %0 : tensor<1x16x30x30xf32>
}

// -----

func.func @conv2d_int(%x: tensor<1x3x32x32xi32>, %w: tensor<16x3x3x3xi32>) -> tensor<1x16x30x30xi32> {
  // expected-error @+1 {{'mlopt.conv2d' op operand #0 must be ranked tensor of floating-point values, but got 'tensor<1x3x32x32xi32>'}}
  %0 = mlopt.conv2d %x, %w, stride = [1, 1], padding = [0, 0], dilation = [1, 1], groups = 1 : tensor<1x3x32x32xi32>, tensor<16x3x3x3xi32> -> tensor<1x16x30x30xi32>
  return %0 : tensor<1x16x30x30xi32>
}

// -----

func.func @conv2d_result_shape(%x: tensor<1x3x32x32xf32>, %w: tensor<16x3x3x3xf32>) -> tensor<1x16x31x30xf32> {
  // expected-error @+2 {{'mlopt.conv2d' op inferred type(s) 'tensor<1x16x30x30xf32>' are incompatible with return type(s) of operation 'tensor<1x16x31x30xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.conv2d %x, %w, stride = [1, 1], padding = [0, 0], dilation = [1, 1], groups = 1 : tensor<1x3x32x32xf32>, tensor<16x3x3x3xf32> -> tensor<1x16x31x30xf32>
  return %0 : tensor<1x16x31x30xf32>
}

// -----

// (32 - 3) / 2 + 1 = 15: the division rounds down.
func.func @conv2d_result_stride(%x: tensor<2x3x32x32xf32>, %w: tensor<16x3x3x3xf32>) -> tensor<2x16x16x16xf32> {
  // expected-error @+2 {{'mlopt.conv2d' op inferred type(s) 'tensor<2x16x15x15xf32>' are incompatible with return type(s) of operation 'tensor<2x16x16x16xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.conv2d %x, %w, stride = [2, 2], padding = [0, 0], dilation = [1, 1], groups = 1 : tensor<2x3x32x32xf32>, tensor<16x3x3x3xf32> -> tensor<2x16x16x16xf32>
  return %0 : tensor<2x16x16x16xf32>
}

// -----

func.func @conv2d_missing_groups(%x: tensor<1x3x32x32xf32>, %w: tensor<16x3x3x3xf32>) -> tensor<1x16x30x30xf32> {
  // expected-error @+1 {{'mlopt.conv2d' op requires attribute 'groups'}}
  %0 = "mlopt.conv2d"(%x, %w) <{stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>}> : (tensor<1x3x32x32xf32>, tensor<16x3x3x3xf32>) -> tensor<1x16x30x30xf32>
  return %0 : tensor<1x16x30x30xf32>
}

// -----

// A kernel with no taps has no span: it is refused, not given an output one
// larger than the input.
func.func @conv2d_kernel_empty(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x0x3xf32>) -> tensor<1x4x?x?xf32> {
  // expected-error @+2 {{conv2d kernel 'tensor<4x3x0x3xf32>' is empty in spatial dim 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.conv2d %x, %w, stride = [1, 1], padding = [0, 0], dilation = [1, 1], groups = 1 : tensor<1x3x8x8xf32>, tensor<4x3x0x3xf32> -> tensor<1x4x?x?xf32>
  return %0 : tensor<1x4x?x?xf32>
}

// -----

func.func @conv2d_kernel_empty_w(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x0xf32>) -> tensor<1x4x6x?xf32> {
  // expected-error @+2 {{conv2d kernel 'tensor<4x3x3x0xf32>' is empty in spatial dim 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.conv2d %x, %w, stride = [1, 1], padding = [0, 0], dilation = [1, 1], groups = 1 : tensor<1x3x8x8xf32>, tensor<4x3x3x0xf32> -> tensor<1x4x6x?xf32>
  return %0 : tensor<1x4x6x?xf32>
}

// -----

// Sizes in parsed IR may be anywhere up to 2^63 - 1: the span
// dilation * (kernel - 1) + 1 and the padded size 2 * padding + size must
// not overflow int64.
func.func @conv2d_dilation_overflows(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x?x?xf32> {
  // expected-error @+2 {{conv2d sizes overflow int64 in spatial dim 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.conv2d %x, %w, stride = [1, 1], padding = [0, 0], dilation = [1, 9223372036854775807], groups = 1 : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32> -> tensor<1x4x?x?xf32>
  return %0 : tensor<1x4x?x?xf32>
}

// -----

// dilation * (kernel - 1) = 2^62 * 2 = 2^63 overflows.
func.func @conv2d_span_overflows(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x?x?xf32> {
  // expected-error @+2 {{conv2d sizes overflow int64 in spatial dim 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.conv2d %x, %w, stride = [1, 1], padding = [0, 0], dilation = [4611686018427387904, 1], groups = 1 : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32> -> tensor<1x4x?x?xf32>
  return %0 : tensor<1x4x?x?xf32>
}

// -----

func.func @conv2d_padding_doubled_overflows(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x?x?xf32> {
  // expected-error @+2 {{conv2d sizes overflow int64 in spatial dim 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.conv2d %x, %w, stride = [1, 1], padding = [4611686018427387904, 0], dilation = [1, 1], groups = 1 : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32> -> tensor<1x4x?x?xf32>
  return %0 : tensor<1x4x?x?xf32>
}

// -----

// 2 * padding = 2^63 - 2 fits; adding the size 8 does not.
func.func @conv2d_padded_size_overflows(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x?x?xf32> {
  // expected-error @+2 {{conv2d sizes overflow int64 in spatial dim 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = mlopt.conv2d %x, %w, stride = [1, 1], padding = [0, 4611686018427387903], dilation = [1, 1], groups = 1 : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32> -> tensor<1x4x?x?xf32>
  return %0 : tensor<1x4x?x?xf32>
}
