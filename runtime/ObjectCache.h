//===- ObjectCache.h - compiled code on disk -------------------*- C++ -*-===//
//
// One file per key under the cache directory: a header (magic, format
// version, key, payload size, checksum) and the payload. A file that is
// truncated, corrupt or written by another version is a miss, never loaded.
// Writers go through a temporary file and an atomic rename, so processes
// sharing the directory never see a partial entry. The directory is created
// 0700 and used only if this user owns it and nobody else can write it:
// cached object code is executed, so it must come from this user.
//
//===----------------------------------------------------------------------===//
#ifndef MLOPT_RUNTIME_OBJECTCACHE_H
#define MLOPT_RUNTIME_OBJECTCACHE_H

#include <cstdint>
#include <optional>
#include <string>

namespace mlopt::rt {

class ObjectCache {
public:
  /// MLOPT_CACHE_DIR, else $XDG_CACHE_HOME/mlopt, else ~/.cache/mlopt, else
  /// /tmp/mlopt-cache-<uid>.
  static std::string defaultDirectory();

  explicit ObjectCache(std::string directory) : directory(std::move(directory)) {}

  /// The payload stored under `key` (a hex digest), if present and intact.
  std::optional<std::string> load(const std::string &key) const;
  /// Stores `payload`; failures (read-only disk, ...) are silent: the cache
  /// is an optimization.
  void store(const std::string &key, const std::string &payload) const;
  /// The file that holds `key`.
  std::string pathOf(const std::string &key) const;

private:
  std::string directory;
};

/// 64-bit FNV-1a, the payload checksum.
uint64_t checksum(const std::string &data);

} // namespace mlopt::rt

#endif // MLOPT_RUNTIME_OBJECTCACHE_H
