// A transpose whose perm is not a permutation (the verifier refuses it).
func.func @bad(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  %y = sparse_tiny.transpose %x {perm = array<i64: 0, 0>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}
