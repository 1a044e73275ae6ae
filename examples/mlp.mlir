// A two-layer MLP classifier head as the tracer records it from
//   h = gelu(x @ w1.T.T + b1); logits = h @ w2 + b2; softmax(logits * temp)
// with gelu (tanh form) and softmax decomposed into primitives. Traced code
// is redundant: a transpose pair, a multiply by a constant 1.0, a repeated
// max. `mlopt --mlopt-simplify` folds and deduplicates it.
func.func @mlp(%x: tensor<?x256xf32>, %w1: tensor<256x512xf32>, %b1: tensor<512xf32>,
               %w2: tensor<512x10xf32>, %b2: tensor<10xf32>) -> tensor<?x10xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x256xf32>
  %w1t = mlopt.transpose %w1, permutation = [1, 0] : tensor<256x512xf32> -> tensor<512x256xf32>
  %w1tt = mlopt.transpose %w1t, permutation = [1, 0] : tensor<512x256xf32> -> tensor<256x512xf32>
  %mm1 = mlopt.matmul %x, %w1tt : tensor<?x256xf32>, tensor<256x512xf32> -> tensor<?x512xf32>
  %b1b = mlopt.broadcast_in_dim %b1, dims = [1] sizes(%n) : tensor<512xf32> -> tensor<?x512xf32>
  %z = mlopt.add %mm1, %b1b : tensor<?x512xf32>

  // gelu(z) = 0.5 * z * (1 + tanh(sqrt(2/pi) * (z + 0.044715 * z^3)))
  %half = mlopt.constant dense<0.5> : tensor<f32>
  %one = mlopt.constant dense<1.0> : tensor<f32>
  %k0 = mlopt.constant dense<0.797884583> : tensor<f32>
  %k1 = mlopt.constant dense<0.044715> : tensor<f32>
  %halfb = mlopt.broadcast_in_dim %half, dims = [] sizes(%n) : tensor<f32> -> tensor<?x512xf32>
  %oneb = mlopt.broadcast_in_dim %one, dims = [] sizes(%n) : tensor<f32> -> tensor<?x512xf32>
  %k0b = mlopt.broadcast_in_dim %k0, dims = [] sizes(%n) : tensor<f32> -> tensor<?x512xf32>
  %k1b = mlopt.broadcast_in_dim %k1, dims = [] sizes(%n) : tensor<f32> -> tensor<?x512xf32>
  %z2 = mlopt.mul %z, %z : tensor<?x512xf32>
  %z3 = mlopt.mul %z2, %z : tensor<?x512xf32>
  %t0 = mlopt.mul %k1b, %z3 : tensor<?x512xf32>
  %t1 = mlopt.add %z, %t0 : tensor<?x512xf32>
  %t2 = mlopt.mul %k0b, %t1 : tensor<?x512xf32>
  %t3 = mlopt.tanh %t2 : tensor<?x512xf32>
  %t4 = mlopt.add %oneb, %t3 : tensor<?x512xf32>
  %t5 = mlopt.mul %halfb, %z : tensor<?x512xf32>
  %h = mlopt.mul %t5, %t4 : tensor<?x512xf32>

  %mm2 = mlopt.matmul %h, %w2 : tensor<?x512xf32>, tensor<512x10xf32> -> tensor<?x10xf32>
  %b2b = mlopt.broadcast_in_dim %b2, dims = [1] sizes(%n) : tensor<10xf32> -> tensor<?x10xf32>
  %logits = mlopt.add %mm2, %b2b : tensor<?x10xf32>

  // A temperature of 1.0 the tracer saw as a Python float.
  %temp = mlopt.constant dense<1.0> : tensor<f32>
  %tempb = mlopt.broadcast_in_dim %temp, dims = [] sizes(%n) : tensor<f32> -> tensor<?x10xf32>
  %scaled = mlopt.mul %logits, %tempb : tensor<?x10xf32>

  // softmax over dim 1: exp(x - max) / sum(exp(x - max))
  %max = mlopt.max %scaled, dims = [1] keepdim : tensor<?x10xf32> -> tensor<?x1xf32>
  %maxb = mlopt.broadcast_in_dim %max, dims = [0, 1] sizes(%n) : tensor<?x1xf32> -> tensor<?x10xf32>
  %shifted = mlopt.sub %scaled, %maxb : tensor<?x10xf32>
  %e = mlopt.exp %shifted : tensor<?x10xf32>
  %max2 = mlopt.max %scaled, dims = [1] keepdim : tensor<?x10xf32> -> tensor<?x1xf32>
  %maxb2 = mlopt.broadcast_in_dim %max2, dims = [0, 1] sizes(%n) : tensor<?x1xf32> -> tensor<?x10xf32>
  %shifted2 = mlopt.sub %scaled, %maxb2 : tensor<?x10xf32>
  %e2 = mlopt.exp %shifted2 : tensor<?x10xf32>
  %s = mlopt.sum %e2, dims = [1] keepdim : tensor<?x10xf32> -> tensor<?x1xf32>
  %sb = mlopt.broadcast_in_dim %s, dims = [0, 1] sizes(%n) : tensor<?x1xf32> -> tensor<?x10xf32>
  %probs = mlopt.div %e, %sb : tensor<?x10xf32>
  return %probs : tensor<?x10xf32>
}
