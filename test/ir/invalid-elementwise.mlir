// RUN: mlopt %s --split-input-file --verify-diagnostics

// Constant values must be statically shaped tensors; a vector value is
// refused by the constant's own verifier (reached with the generic form).
func.func @constant_vector_value() -> tensor<2xf32> {
  // expected-error @+1 {{'mlopt.constant' op value must have a statically shaped tensor type, got 'vector<2xf32>'}}
  %0 = "mlopt.constant"() <{value = dense<1.0> : vector<2xf32>}> : () -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @constant_vector_custom() {
  // expected-error @+1 {{'mlopt.constant' op result #0 must be ranked tensor of mlopt element values, but got 'vector<2xf32>'}}
  %0 = mlopt.constant dense<1.0> : vector<2xf32>
  return
}

// -----

func.func @constant_i8() {
  // expected-error @+1 {{result #0 must be ranked tensor of mlopt element values, but got 'tensor<2xi8>'}}
  %0 = mlopt.constant dense<1> : tensor<2xi8>
  return
}

// -----

// A dense literal cannot have a dynamic type; the parser reports it at the
// token after the type, the next line.
func.func @constant_dynamic_type() {
  // expected-error @+2 {{elements literal type must have static shape}}
  %0 = mlopt.constant dense<1.0> : tensor<?xf32>
  return
}

// -----

func.func @constant_unranked_result() {
  // expected-error @+1 {{'mlopt.constant' op result #0 must be ranked tensor of mlopt element values, but got 'tensor<*xf32>'}}
  %0 = "mlopt.constant"() <{value = dense<1.0> : tensor<2xf32>}> : () -> tensor<*xf32>
  return
}

// -----

func.func @constant_not_elements() {
  // expected-error @+1 {{invalid kind of attribute specified}}
  %0 = mlopt.constant 1.0 : f32
  return
}

// -----

func.func @constant_missing_value() {
  // expected-error @+1 {{'mlopt.constant' op requires attribute 'value'}}
  %0 = "mlopt.constant"() : () -> tensor<2xf32>
  return
}

// -----

func.func @constant_wrong_result_shape() {
  // expected-error @+2 {{'mlopt.constant' op inferred type(s) 'tensor<2xf32>' are incompatible with return type(s) of operation 'tensor<3xf32>'}}
  // expected-error @+1 {{'mlopt.constant' op failed to infer returned types}}
  %0 = "mlopt.constant"() <{value = dense<1.0> : tensor<2xf32>}> : () -> tensor<3xf32>
  return
}

// -----

func.func @constant_wrong_result_element() {
  // expected-error @+2 {{inferred type(s) 'tensor<2xf32>' are incompatible with return type(s) of operation 'tensor<2xf64>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = "mlopt.constant"() <{value = dense<1.0> : tensor<2xf32>}> : () -> tensor<2xf64>
  return
}

// -----

// The custom form prints only the value, so the result type must equal the
// value's type exactly: a compatible but less static result would not
// survive a round trip (it would re-parse as tensor<2x3xf32>).
func.func @constant_result_less_static() -> tensor<?x3xf32> {
  // expected-error @+2 {{'mlopt.constant' op inferred type(s) 'tensor<2x3xf32>' are incompatible with return type(s) of operation 'tensor<?x3xf32>'}}
  // expected-error @+1 {{'mlopt.constant' op failed to infer returned types}}
  %0 = "mlopt.constant"() <{value = dense<1.0> : tensor<2x3xf32>}> : () -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

func.func @exp_i32(%x: tensor<4xi32>) -> tensor<4xi32> {
  // expected-error @+1 {{'mlopt.exp' op operand #0 must be ranked tensor of floating-point values, but got 'tensor<4xi32>'}}
  %0 = mlopt.exp %x : tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

func.func @log_i64(%x: tensor<4xi64>) -> tensor<4xi64> {
  // expected-error @+1 {{'mlopt.log' op operand #0 must be ranked tensor of floating-point values, but got 'tensor<4xi64>'}}
  %0 = mlopt.log %x : tensor<4xi64>
  return %0 : tensor<4xi64>
}

// -----

func.func @log1p_i32(%x: tensor<4xi32>) -> tensor<4xi32> {
  // expected-error @+1 {{'mlopt.log1p' op operand #0 must be ranked tensor of floating-point values, but got 'tensor<4xi32>'}}
  %0 = mlopt.log1p %x : tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

func.func @expm1_i1(%x: tensor<4xi1>) -> tensor<4xi1> {
  // expected-error @+1 {{'mlopt.expm1' op operand #0 must be ranked tensor of floating-point values, but got 'tensor<4xi1>'}}
  %0 = mlopt.expm1 %x : tensor<4xi1>
  return %0 : tensor<4xi1>
}

// -----

func.func @sqrt_i64(%x: tensor<4xi64>) -> tensor<4xi64> {
  // expected-error @+1 {{'mlopt.sqrt' op operand #0 must be ranked tensor of floating-point values, but got 'tensor<4xi64>'}}
  %0 = mlopt.sqrt %x : tensor<4xi64>
  return %0 : tensor<4xi64>
}

// -----

func.func @rsqrt_i32(%x: tensor<4xi32>) -> tensor<4xi32> {
  // expected-error @+1 {{'mlopt.rsqrt' op operand #0 must be ranked tensor of floating-point values, but got 'tensor<4xi32>'}}
  %0 = mlopt.rsqrt %x : tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

func.func @sin_i1(%x: tensor<4xi1>) -> tensor<4xi1> {
  // expected-error @+1 {{'mlopt.sin' op operand #0 must be ranked tensor of floating-point values, but got 'tensor<4xi1>'}}
  %0 = mlopt.sin %x : tensor<4xi1>
  return %0 : tensor<4xi1>
}

// -----

func.func @cos_i64(%x: tensor<4xi64>) -> tensor<4xi64> {
  // expected-error @+1 {{'mlopt.cos' op operand #0 must be ranked tensor of floating-point values, but got 'tensor<4xi64>'}}
  %0 = mlopt.cos %x : tensor<4xi64>
  return %0 : tensor<4xi64>
}

// -----

func.func @tanh_i32(%x: tensor<4xi32>) -> tensor<4xi32> {
  // expected-error @+1 {{'mlopt.tanh' op operand #0 must be ranked tensor of floating-point values, but got 'tensor<4xi32>'}}
  %0 = mlopt.tanh %x : tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

func.func @sigmoid_i64(%x: tensor<4xi64>) -> tensor<4xi64> {
  // expected-error @+1 {{'mlopt.sigmoid' op operand #0 must be ranked tensor of floating-point values, but got 'tensor<4xi64>'}}
  %0 = mlopt.sigmoid %x : tensor<4xi64>
  return %0 : tensor<4xi64>
}

// -----

func.func @erf_i32(%x: tensor<4xi32>) -> tensor<4xi32> {
  // expected-error @+1 {{'mlopt.erf' op operand #0 must be ranked tensor of floating-point values, but got 'tensor<4xi32>'}}
  %0 = mlopt.erf %x : tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

func.func @floor_i32(%x: tensor<4xi32>) -> tensor<4xi32> {
  // expected-error @+1 {{'mlopt.floor' op operand #0 must be ranked tensor of floating-point values, but got 'tensor<4xi32>'}}
  %0 = mlopt.floor %x : tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

func.func @ceil_i64(%x: tensor<4xi64>) -> tensor<4xi64> {
  // expected-error @+1 {{'mlopt.ceil' op operand #0 must be ranked tensor of floating-point values, but got 'tensor<4xi64>'}}
  %0 = mlopt.ceil %x : tensor<4xi64>
  return %0 : tensor<4xi64>
}

// -----

func.func @round_i1(%x: tensor<4xi1>) -> tensor<4xi1> {
  // expected-error @+1 {{'mlopt.round' op operand #0 must be ranked tensor of floating-point values, but got 'tensor<4xi1>'}}
  %0 = mlopt.round %x : tensor<4xi1>
  return %0 : tensor<4xi1>
}

// -----

func.func @neg_i1(%x: tensor<3xi1>) -> tensor<3xi1> {
  // expected-error @+1 {{'mlopt.neg' op operand #0 must be ranked tensor of numeric values, but got 'tensor<3xi1>'}}
  %0 = mlopt.neg %x : tensor<3xi1>
  return %0 : tensor<3xi1>
}

// -----

func.func @abs_i1(%x: tensor<3xi1>) -> tensor<3xi1> {
  // expected-error @+1 {{'mlopt.abs' op operand #0 must be ranked tensor of numeric values, but got 'tensor<3xi1>'}}
  %0 = mlopt.abs %x : tensor<3xi1>
  return %0 : tensor<3xi1>
}

// -----

func.func @sign_i8(%x: tensor<3xi8>) -> tensor<3xi8> {
  // expected-error @+1 {{'mlopt.sign' op operand #0 must be ranked tensor of numeric values, but got 'tensor<3xi8>'}}
  %0 = mlopt.sign %x : tensor<3xi8>
  return %0 : tensor<3xi8>
}

// -----

func.func @neg_ui32(%x: tensor<3xui32>) -> tensor<3xui32> {
  // expected-error @+1 {{'mlopt.neg' op operand #0 must be ranked tensor of numeric values, but got 'tensor<3xui32>'}}
  %0 = mlopt.neg %x : tensor<3xui32>
  return %0 : tensor<3xui32>
}

// -----

func.func @abs_f80(%x: tensor<3xf80>) -> tensor<3xf80> {
  // expected-error @+1 {{'mlopt.abs' op operand #0 must be ranked tensor of numeric values, but got 'tensor<3xf80>'}}
  %0 = mlopt.abs %x : tensor<3xf80>
  return %0 : tensor<3xf80>
}

// -----

func.func @not_f32(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'mlopt.not' op operand #0 must be ranked tensor of 1-bit signless integer or 32-bit signless integer or 64-bit signless integer values, but got 'tensor<4xf32>'}}
  %0 = mlopt.not %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @isnan_i32(%x: tensor<8xi32>) -> tensor<8xi1> {
  // expected-error @+1 {{'mlopt.isnan' op operand #0 must be ranked tensor of floating-point values, but got 'tensor<8xi32>'}}
  %0 = mlopt.isnan %x : tensor<8xi32>
  return %0 : tensor<8xi1>
}

// -----

func.func @isnan_i1(%x: tensor<8xi1>) -> tensor<8xi1> {
  // expected-error @+1 {{'mlopt.isnan' op operand #0 must be ranked tensor of floating-point values, but got 'tensor<8xi1>'}}
  %0 = mlopt.isnan %x : tensor<8xi1>
  return %0 : tensor<8xi1>
}

// -----

// The custom forms of isnan and the comparisons only take ranked tensors.
func.func @isnan_unranked_custom(%x: tensor<*xf32>) {
  // expected-error @+1 {{custom op 'mlopt.isnan' invalid kind of type specified}}
  %0 = mlopt.isnan %x : tensor<*xf32>
  return
}

// -----

func.func @compare_scalar_custom(%x: f32) {
  // expected-error @+1 {{custom op 'mlopt.lt' invalid kind of type specified}}
  %0 = mlopt.lt %x, %x : f32
  return
}

// -----

func.func @isnan_result_not_bool(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'mlopt.isnan' op result #0 must be ranked tensor of 1-bit signless integer values, but got 'tensor<4xf32>'}}
  %0 = "mlopt.isnan"(%x) : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @isnan_result_shape(%x: tensor<4xf32>) -> tensor<5xi1> {
  // expected-error @+1 {{'mlopt.isnan' op all non-scalar operands/results must have the same shape and base type}}
  %0 = "mlopt.isnan"(%x) : (tensor<4xf32>) -> tensor<5xi1>
  return %0 : tensor<5xi1>
}

// -----

// The custom form prints only the operand type, so the result type must be
// exactly the inferred one: a less static result would re-parse as
// tensor<2x3xi1>.
func.func @isnan_result_less_static(%x: tensor<2x3xf32>) -> tensor<?x?xi1> {
  // expected-error @+2 {{'mlopt.isnan' op inferred type(s) 'tensor<2x3xi1>' are incompatible with return type(s) of operation 'tensor<?x?xi1>'}}
  // expected-error @+1 {{'mlopt.isnan' op failed to infer returned types}}
  %0 = "mlopt.isnan"(%x) : (tensor<2x3xf32>) -> tensor<?x?xi1>
  return %0 : tensor<?x?xi1>
}

// -----

func.func @isnan_result_more_static(%x: tensor<?xf16>) -> tensor<8xi1> {
  // expected-error @+2 {{'mlopt.isnan' op inferred type(s) 'tensor<?xi1>' are incompatible with return type(s) of operation 'tensor<8xi1>'}}
  // expected-error @+1 {{'mlopt.isnan' op failed to infer returned types}}
  %0 = "mlopt.isnan"(%x) : (tensor<?xf16>) -> tensor<8xi1>
  return %0 : tensor<8xi1>
}

// -----

func.func @unary_unranked(%x: tensor<*xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{'mlopt.neg' op operand #0 must be ranked tensor of numeric values, but got 'tensor<*xf32>'}}
  %0 = "mlopt.neg"(%x) : (tensor<*xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @unary_unranked_custom(%x: tensor<*xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{custom op 'mlopt.exp' invalid kind of type specified}}
  %0 = mlopt.exp %x : tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @unary_vector(%x: vector<4xf32>) -> vector<4xf32> {
  // expected-error @+1 {{'mlopt.tanh' op operand #0 must be ranked tensor of floating-point values, but got 'vector<4xf32>'}}
  %0 = "mlopt.tanh"(%x) : (vector<4xf32>) -> vector<4xf32>
  return %0 : vector<4xf32>
}

// -----

func.func @unary_result_element(%x: tensor<4xf32>) -> tensor<4xf64> {
  // expected-error @+1 {{'mlopt.exp' op failed to verify that all of {operand, result} have same type}}
  %0 = "mlopt.exp"(%x) : (tensor<4xf32>) -> tensor<4xf64>
  return %0 : tensor<4xf64>
}

// -----

// Operand and result of a unary op have exactly one type (the custom form
// prints one): compatible shapes are refused in the generic form, a less
// static result ...
func.func @unary_result_less_static(%x: tensor<4xf32>) -> tensor<?xf32> {
  // expected-error @+1 {{'mlopt.neg' op failed to verify that all of {operand, result} have same type}}
  %0 = "mlopt.neg"(%x) : (tensor<4xf32>) -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

// ... and a more static one.
func.func @unary_result_more_static(%x: tensor<?x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{'mlopt.exp' op failed to verify that all of {operand, result} have same type}}
  %0 = "mlopt.exp"(%x) : (tensor<?x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @add_i1(%x: tensor<4xi1>) -> tensor<4xi1> {
  // expected-error @+1 {{'mlopt.add' op operand #0 must be ranked tensor of numeric values, but got 'tensor<4xi1>'}}
  %0 = mlopt.add %x, %x : tensor<4xi1>
  return %0 : tensor<4xi1>
}

// -----

func.func @sub_i1(%x: tensor<4xi1>) -> tensor<4xi1> {
  // expected-error @+1 {{'mlopt.sub' op operand #0 must be ranked tensor of numeric values, but got 'tensor<4xi1>'}}
  %0 = mlopt.sub %x, %x : tensor<4xi1>
  return %0 : tensor<4xi1>
}

// -----

func.func @mul_i1(%x: tensor<4xi1>) -> tensor<4xi1> {
  // expected-error @+1 {{'mlopt.mul' op operand #0 must be ranked tensor of numeric values, but got 'tensor<4xi1>'}}
  %0 = mlopt.mul %x, %x : tensor<4xi1>
  return %0 : tensor<4xi1>
}

// -----

func.func @div_i1(%x: tensor<4xi1>) -> tensor<4xi1> {
  // expected-error @+1 {{'mlopt.div' op operand #0 must be ranked tensor of numeric values, but got 'tensor<4xi1>'}}
  %0 = mlopt.div %x, %x : tensor<4xi1>
  return %0 : tensor<4xi1>
}

// -----

func.func @floor_div_i1(%x: tensor<4xi1>) -> tensor<4xi1> {
  // expected-error @+1 {{'mlopt.floor_div' op operand #0 must be ranked tensor of numeric values, but got 'tensor<4xi1>'}}
  %0 = mlopt.floor_div %x, %x : tensor<4xi1>
  return %0 : tensor<4xi1>
}

// -----

func.func @remainder_i1(%x: tensor<4xi1>) -> tensor<4xi1> {
  // expected-error @+1 {{'mlopt.remainder' op operand #0 must be ranked tensor of numeric values, but got 'tensor<4xi1>'}}
  %0 = mlopt.remainder %x, %x : tensor<4xi1>
  return %0 : tensor<4xi1>
}

// -----

func.func @pow_i1(%x: tensor<4xi1>) -> tensor<4xi1> {
  // expected-error @+1 {{'mlopt.pow' op operand #0 must be ranked tensor of numeric values, but got 'tensor<4xi1>'}}
  %0 = mlopt.pow %x, %x : tensor<4xi1>
  return %0 : tensor<4xi1>
}

// -----

func.func @maximum_i1(%x: tensor<4xi1>) -> tensor<4xi1> {
  // expected-error @+1 {{'mlopt.maximum' op operand #0 must be ranked tensor of numeric values, but got 'tensor<4xi1>'}}
  %0 = mlopt.maximum %x, %x : tensor<4xi1>
  return %0 : tensor<4xi1>
}

// -----

func.func @minimum_i1(%x: tensor<4xi1>) -> tensor<4xi1> {
  // expected-error @+1 {{'mlopt.minimum' op operand #0 must be ranked tensor of numeric values, but got 'tensor<4xi1>'}}
  %0 = mlopt.minimum %x, %x : tensor<4xi1>
  return %0 : tensor<4xi1>
}

// -----

func.func @atan2_i32(%x: tensor<4xi32>) -> tensor<4xi32> {
  // expected-error @+1 {{'mlopt.atan2' op operand #0 must be ranked tensor of floating-point values, but got 'tensor<4xi32>'}}
  %0 = mlopt.atan2 %x, %x : tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

func.func @and_f32(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'mlopt.and' op operand #0 must be ranked tensor of 1-bit signless integer or 32-bit signless integer or 64-bit signless integer values, but got 'tensor<4xf32>'}}
  %0 = mlopt.and %x, %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @or_f64(%x: tensor<4xf64>) -> tensor<4xf64> {
  // expected-error @+1 {{'mlopt.or' op operand #0 must be ranked tensor of 1-bit signless integer or 32-bit signless integer or 64-bit signless integer values, but got 'tensor<4xf64>'}}
  %0 = mlopt.or %x, %x : tensor<4xf64>
  return %0 : tensor<4xf64>
}

// -----

func.func @xor_f16(%x: tensor<4xf16>) -> tensor<4xf16> {
  // expected-error @+1 {{'mlopt.xor' op operand #0 must be ranked tensor of 1-bit signless integer or 32-bit signless integer or 64-bit signless integer values, but got 'tensor<4xf16>'}}
  %0 = mlopt.xor %x, %x : tensor<4xf16>
  return %0 : tensor<4xf16>
}

// -----

func.func @binary_element_mismatch(%x: tensor<4xf32>, %y: tensor<4xf64>) -> tensor<4xf32> {
  // expected-error @+1 {{'mlopt.add' op failed to verify that all of {lhs, rhs, result} have same type}}
  %0 = "mlopt.add"(%x, %y) : (tensor<4xf32>, tensor<4xf64>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @binary_shape_mismatch(%x: tensor<4xf32>, %y: tensor<5xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'mlopt.mul' op failed to verify that all of {lhs, rhs, result} have same type}}
  %0 = "mlopt.mul"(%x, %y) : (tensor<4xf32>, tensor<5xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// Binary operands and result have exactly one type: compatible shapes are
// refused in the generic form (the custom form prints one type).
func.func @binary_operand_less_static(%x: tensor<4xf32>, %y: tensor<?xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'mlopt.add' op failed to verify that all of {lhs, rhs, result} have same type}}
  %0 = "mlopt.add"(%x, %y) : (tensor<4xf32>, tensor<?xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @binary_result_less_static(%x: tensor<2x3xi32>) -> tensor<2x?xi32> {
  // expected-error @+1 {{'mlopt.sub' op failed to verify that all of {lhs, rhs, result} have same type}}
  %0 = "mlopt.sub"(%x, %x) : (tensor<2x3xi32>, tensor<2x3xi32>) -> tensor<2x?xi32>
  return %0 : tensor<2x?xi32>
}

// -----

func.func @binary_result_more_static(%x: tensor<?xi1>) -> tensor<4xi1> {
  // expected-error @+1 {{'mlopt.and' op failed to verify that all of {lhs, rhs, result} have same type}}
  %0 = "mlopt.and"(%x, %x) : (tensor<?xi1>, tensor<?xi1>) -> tensor<4xi1>
  return %0 : tensor<4xi1>
}

// -----

// The custom form has one type for both operands: a value of another type
// is a parse error.
func.func @binary_operand_type_custom(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-note @+1 {{prior use here}}
  %c = mlopt.constant dense<[1.0, 2.0]> : tensor<2xf32>
  // expected-error @+1 {{use of value '%c' expects different type than prior uses: 'tensor<4xf32>' vs 'tensor<2xf32>'}}
  %0 = mlopt.sub %x, %c : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @compare_operand_types(%x: tensor<4xf32>, %y: tensor<4xf64>) -> tensor<4xi1> {
  // expected-error @+1 {{'mlopt.eq' op failed to verify that all of {lhs, rhs} have same type}}
  %0 = "mlopt.eq"(%x, %y) : (tensor<4xf32>, tensor<4xf64>) -> tensor<4xi1>
  return %0 : tensor<4xi1>
}

// -----

// Comparison operands must have exactly one type, not merely compatible ones.
func.func @compare_operand_shapes(%x: tensor<4xf32>, %y: tensor<?xf32>) -> tensor<4xi1> {
  // expected-error @+1 {{'mlopt.lt' op failed to verify that all of {lhs, rhs} have same type}}
  %0 = "mlopt.lt"(%x, %y) : (tensor<4xf32>, tensor<?xf32>) -> tensor<4xi1>
  return %0 : tensor<4xi1>
}

// -----

func.func @compare_result_not_bool(%x: tensor<4xi32>) -> tensor<4xi32> {
  // expected-error @+1 {{'mlopt.ge' op result #0 must be ranked tensor of 1-bit signless integer values, but got 'tensor<4xi32>'}}
  %0 = "mlopt.ge"(%x, %x) : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

func.func @compare_result_shape(%x: tensor<4xf32>) -> tensor<5xi1> {
  // expected-error @+1 {{'mlopt.ne' op all non-scalar operands/results must have the same shape and base type}}
  %0 = "mlopt.ne"(%x, %x) : (tensor<4xf32>, tensor<4xf32>) -> tensor<5xi1>
  return %0 : tensor<5xi1>
}

// -----

// The custom form prints only the operand type, so the result type must be
// exactly the inferred one: a less static result would re-parse as
// tensor<4xi1>.
func.func @compare_result_less_static(%x: tensor<4xf32>) -> tensor<?xi1> {
  // expected-error @+2 {{'mlopt.lt' op inferred type(s) 'tensor<4xi1>' are incompatible with return type(s) of operation 'tensor<?xi1>'}}
  // expected-error @+1 {{'mlopt.lt' op failed to infer returned types}}
  %0 = "mlopt.lt"(%x, %x) : (tensor<4xf32>, tensor<4xf32>) -> tensor<?xi1>
  return %0 : tensor<?xi1>
}

// -----

// A more static result is refused too.
func.func @compare_result_more_static(%x: tensor<?x2xi64>) -> tensor<3x2xi1> {
  // expected-error @+2 {{'mlopt.ge' op inferred type(s) 'tensor<?x2xi1>' are incompatible with return type(s) of operation 'tensor<3x2xi1>'}}
  // expected-error @+1 {{'mlopt.ge' op failed to infer returned types}}
  %0 = "mlopt.ge"(%x, %x) : (tensor<?x2xi64>, tensor<?x2xi64>) -> tensor<3x2xi1>
  return %0 : tensor<3x2xi1>
}

// -----

func.func @compare_i8(%x: tensor<4xi8>) -> tensor<4xi1> {
  // expected-error @+1 {{'mlopt.gt' op operand #0 must be ranked tensor of mlopt element values, but got 'tensor<4xi8>'}}
  %0 = mlopt.gt %x, %x : tensor<4xi8>
  return %0 : tensor<4xi1>
}

// -----

func.func @compare_le_vector(%x: vector<4xf32>) -> vector<4xi1> {
  // expected-error @+1 {{'mlopt.le' op operand #0 must be ranked tensor of mlopt element values, but got 'vector<4xf32>'}}
  %0 = "mlopt.le"(%x, %x) : (vector<4xf32>, vector<4xf32>) -> vector<4xi1>
  return %0 : vector<4xi1>
}

// -----

func.func @select_cond_not_bool(%c: tensor<4xi32>, %x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'mlopt.select' op operand #0 must be ranked tensor of 1-bit signless integer values, but got 'tensor<4xi32>'}}
  %0 = mlopt.select %c, %x, %x : tensor<4xi32>, tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// The Elementwise trait catches a condition of another shape before the
// select verifier's own "condition shape ... differs" check.
func.func @select_cond_shape(%c: tensor<3xi1>, %x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'mlopt.select' op all non-scalar operands/results must have the same shape and base type}}
  %0 = mlopt.select %c, %x, %x : tensor<3xi1>, tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @select_cond_rank(%c: tensor<4x1xi1>, %x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'mlopt.select' op all non-scalar operands/results must have the same shape and base type}}
  %0 = mlopt.select %c, %x, %x : tensor<4x1xi1>, tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @select_arm_types(%c: tensor<4xi1>, %x: tensor<4xf32>, %y: tensor<4xf64>) -> tensor<4xf32> {
  // expected-error @+1 {{'mlopt.select' op failed to verify that all of {on_true, on_false, result} have same type}}
  %0 = "mlopt.select"(%c, %x, %y) : (tensor<4xi1>, tensor<4xf32>, tensor<4xf64>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @select_result_type(%c: tensor<4xi1>, %x: tensor<4xf32>) -> tensor<4xf16> {
  // expected-error @+1 {{'mlopt.select' op failed to verify that all of {on_true, on_false, result} have same type}}
  %0 = "mlopt.select"(%c, %x, %x) : (tensor<4xi1>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf16>
  return %0 : tensor<4xf16>
}

// -----

func.func @convert_shape_static(%x: tensor<4xf32>) -> tensor<5xi32> {
  // expected-error @+1 {{'mlopt.convert' op all non-scalar operands/results must have the same shape and base type}}
  %0 = mlopt.convert %x : tensor<4xf32> -> tensor<5xi32>
  return %0 : tensor<5xi32>
}

// -----

func.func @convert_rank(%x: tensor<4xf32>) -> tensor<4x1xf32> {
  // expected-error @+1 {{'mlopt.convert' op all non-scalar operands/results must have the same shape and base type}}
  %0 = mlopt.convert %x : tensor<4xf32> -> tensor<4x1xf32>
  return %0 : tensor<4x1xf32>
}

// -----

// Compatible shapes are allowed (see roundtrip-elementwise.mlir); shapes
// that differ where both are static are not, with a `?` elsewhere too.
func.func @convert_shape_dynamic_mismatch(%x: tensor<?x3xf32>) -> tensor<?x4xi32> {
  // expected-error @+1 {{'mlopt.convert' op all non-scalar operands/results must have the same shape and base type}}
  %0 = mlopt.convert %x : tensor<?x3xf32> -> tensor<?x4xi32>
  return %0 : tensor<?x4xi32>
}

// -----

func.func @convert_to_i8(%x: tensor<4xf32>) -> tensor<4xi8> {
  // expected-error @+1 {{'mlopt.convert' op result #0 must be ranked tensor of mlopt element values, but got 'tensor<4xi8>'}}
  %0 = mlopt.convert %x : tensor<4xf32> -> tensor<4xi8>
  return %0 : tensor<4xi8>
}

// -----

func.func @convert_from_ui32(%x: tensor<4xui32>) -> tensor<4xf32> {
  // expected-error @+1 {{'mlopt.convert' op operand #0 must be ranked tensor of mlopt element values, but got 'tensor<4xui32>'}}
  %0 = mlopt.convert %x : tensor<4xui32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
