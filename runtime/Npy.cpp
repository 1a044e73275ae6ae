//===- Npy.cpp - NumPy .npy files -----------------------------------------===//

#include "runtime/Npy.h"

#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

namespace mlopt::rt {

namespace {

/// The value of `'key': value` in the header dict, as text.
bool headerField(const std::string &header, const std::string &key, std::string &value) {
  size_t at = header.find("'" + key + "'");
  if (at == std::string::npos)
    return false;
  at = header.find(':', at);
  if (at == std::string::npos)
    return false;
  ++at;
  while (at < header.size() && header[at] == ' ')
    ++at;
  size_t end = at;
  if (at < header.size() && header[at] == '(') {
    end = header.find(')', at);
    if (end == std::string::npos)
      return false;
    ++end;
  } else if (at < header.size() && header[at] == '\'') {
    end = header.find('\'', at + 1);
    if (end == std::string::npos)
      return false;
    ++end;
  } else {
    while (end < header.size() && header[end] != ',' && header[end] != '}')
      ++end;
  }
  value = header.substr(at, end - at);
  return true;
}

bool parseShape(const std::string &text, std::vector<int64_t> &shape) {
  shape.clear();
  if (text.size() < 2 || text.front() != '(' || text.back() != ')')
    return false;
  std::string inner = text.substr(1, text.size() - 2);
  std::stringstream stream(inner);
  std::string item;
  while (std::getline(stream, item, ',')) {
    size_t first = item.find_first_not_of(' ');
    if (first == std::string::npos)
      continue; // the trailing comma of a 1-tuple
    char *end = nullptr;
    long long dim = std::strtoll(item.c_str() + first, &end, 10);
    if (dim < 0 || end == item.c_str() + first)
      return false;
    shape.push_back(dim);
  }
  return true;
}

} // namespace

bool readNpy(const std::string &path, Buffer &out, std::string &error) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    error = path + ": cannot open";
    return false;
  }
  char magic[8];
  if (!file.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0) {
    error = path + ": not a .npy file";
    return false;
  }
  uint32_t headerLength = 0;
  unsigned char lengthBytes[4] = {0, 0, 0, 0};
  int lengthSize = magic[6] == 1 ? 2 : 4;
  if (!file.read(reinterpret_cast<char *>(lengthBytes), lengthSize)) {
    error = path + ": truncated header";
    return false;
  }
  for (int i = lengthSize; i-- > 0;)
    headerLength = headerLength * 256 + lengthBytes[i];
  if (headerLength > (1u << 20)) {
    error = path + ": header too large";
    return false;
  }
  std::string header(headerLength, '\0');
  if (!file.read(header.data(), headerLength)) {
    error = path + ": truncated header";
    return false;
  }
  std::string descr, fortran, shapeText;
  if (!headerField(header, "descr", descr) || !headerField(header, "fortran_order", fortran) ||
      !headerField(header, "shape", shapeText)) {
    error = path + ": malformed header";
    return false;
  }
  if (descr.size() >= 2)
    descr = descr.substr(1, descr.size() - 2);
  std::optional<DType> dtype = fromNpyDescr(descr);
  if (!dtype) {
    error = path + ": unsupported dtype '" + descr +
            "' (f2, f4, f8, b1, i4, i8 little-endian are supported)";
    return false;
  }
  if (fortran.rfind("False", 0) != 0) {
    error = path + ": Fortran-ordered arrays are not supported";
    return false;
  }
  std::vector<int64_t> shape;
  if (!parseShape(shapeText, shape)) {
    error = path + ": malformed shape " + shapeText;
    return false;
  }
  int64_t count = 1;
  for (int64_t d : shape)
    if (__builtin_mul_overflow(count, d, &count) ||
        count > std::numeric_limits<int64_t>::max() / 8) {
      error = path + ": shape too large";
      return false;
    }
  Buffer buffer;
  try {
    buffer = Buffer::allocate(*dtype, shape);
  } catch (const std::exception &e) {
    error = path + ": cannot allocate " + shapeText + ": " + e.what();
    return false;
  }
  if (!file.read(static_cast<char *>(buffer.data), buffer.byteCount())) {
    error = path + ": file holds fewer elements than its shape says";
    return false;
  }
  out = std::move(buffer);
  return true;
}

bool writeNpy(const std::string &path, const Buffer &buffer, std::string &error) {
  Buffer data = buffer.contiguous();
  std::string shape = "(";
  for (int64_t d : data.shape)
    shape += std::to_string(d) + ", ";
  if (data.shape.size() > 1)
    shape.resize(shape.size() - 2);
  else if (data.shape.size() == 1)
    shape.resize(shape.size() - 1);
  shape += ")";
  std::string header = std::string("{'descr': '") + npyDescr(data.dtype) +
                       "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad so the data starts at a multiple of 64 bytes.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');
  std::ofstream file(path, std::ios::binary);
  if (!file) {
    error = path + ": cannot write";
    return false;
  }
  uint16_t length = static_cast<uint16_t>(header.size());
  file.write("\x93NUMPY\x01\x00", 8);
  char lengthBytes[2] = {static_cast<char>(length & 0xff), static_cast<char>(length >> 8)};
  file.write(lengthBytes, 2);
  file.write(header.data(), header.size());
  file.write(static_cast<const char *>(data.data), data.byteCount());
  if (!file) {
    error = path + ": write failed";
    return false;
  }
  return true;
}

} // namespace mlopt::rt
