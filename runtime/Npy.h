//===- Npy.h - NumPy .npy files --------------------------------*- C++ -*-===//
#ifndef MLOPT_RUNTIME_NPY_H
#define MLOPT_RUNTIME_NPY_H

#include "runtime/Buffer.h"

#include <string>

namespace mlopt::rt {

/// Reads a C-ordered, little-endian .npy file (format 1.x-3.x). Returns false
/// with `error` set on any malformed or unsupported file.
bool readNpy(const std::string &path, Buffer &out, std::string &error);
/// Writes `buffer` as a .npy file (format 1.0).
bool writeNpy(const std::string &path, const Buffer &buffer, std::string &error);

} // namespace mlopt::rt

#endif // MLOPT_RUNTIME_NPY_H
