//===- ObjectCache.cpp - compiled code on disk ----------------------------===//

#include "runtime/ObjectCache.h"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace mlopt::rt {

namespace {
constexpr char kMagic[8] = {'M', 'L', 'O', 'P', 'T', 'O', 'B', 'J'};
constexpr uint32_t kFormatVersion = 1;

bool makeDirectories(const std::string &path) {
  for (size_t at = 1; at <= path.size(); ++at) {
    if (at != path.size() && path[at] != '/')
      continue;
    std::string prefix = path.substr(0, at);
    // The cache itself is private: other users cannot plant code in it.
    mode_t mode = at == path.size() ? 0700 : 0755;
    if (mkdir(prefix.c_str(), mode) != 0 && errno != EEXIST)
      return false;
  }
  return true;
}

/// Only a directory this user owns and nobody else can write is trusted.
bool isPrivateDirectory(const std::string &path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode) &&
         info.st_uid == getuid() && (info.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}
} // namespace

uint64_t checksum(const std::string &data) {
  uint64_t hash = 1469598103934665603ull;
  for (unsigned char c : data) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

std::string ObjectCache::defaultDirectory() {
  if (const char *dir = std::getenv("MLOPT_CACHE_DIR"); dir && *dir)
    return dir;
  if (const char *xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
    return std::string(xdg) + "/mlopt";
  if (const char *home = std::getenv("HOME"); home && *home)
    return std::string(home) + "/.cache/mlopt";
  return "/tmp/mlopt-cache-" + std::to_string(getuid());
}

std::string ObjectCache::pathOf(const std::string &key) const {
  return directory + "/" + key + ".o";
}

std::optional<std::string> ObjectCache::load(const std::string &key) const {
  if (!isPrivateDirectory(directory))
    return std::nullopt;
  std::ifstream file(pathOf(key), std::ios::binary);
  if (!file)
    return std::nullopt;
  std::stringstream contents;
  contents << file.rdbuf();
  std::string data = contents.str();
  size_t headerSize = sizeof(kMagic) + 4 + 4 + key.size() + 8 + 8;
  if (data.size() < headerSize || std::memcmp(data.data(), kMagic, sizeof(kMagic)) != 0)
    return std::nullopt;
  size_t at = sizeof(kMagic);
  uint32_t version, keySize;
  uint64_t payloadSize, sum;
  std::memcpy(&version, data.data() + at, 4);
  std::memcpy(&keySize, data.data() + at + 4, 4);
  at += 8;
  if (version != kFormatVersion || keySize != key.size() ||
      data.compare(at, keySize, key) != 0)
    return std::nullopt;
  at += keySize;
  std::memcpy(&payloadSize, data.data() + at, 8);
  std::memcpy(&sum, data.data() + at + 8, 8);
  at += 16;
  if (payloadSize != data.size() - at)
    return std::nullopt;
  std::string payload = data.substr(at);
  if (checksum(payload) != sum)
    return std::nullopt;
  return payload;
}

void ObjectCache::store(const std::string &key, const std::string &payload) const {
  if (!makeDirectories(directory) || !isPrivateDirectory(directory))
    return;
  static std::atomic<uint64_t> counter{0};
  std::string temporary = pathOf(key) + ".tmp." + std::to_string(getpid()) + "." +
                          std::to_string(counter++);
  {
    std::ofstream file(temporary, std::ios::binary);
    if (!file)
      return;
    uint32_t version = kFormatVersion, keySize = key.size();
    uint64_t payloadSize = payload.size(), sum = checksum(payload);
    file.write(kMagic, sizeof(kMagic));
    file.write(reinterpret_cast<const char *>(&version), 4);
    file.write(reinterpret_cast<const char *>(&keySize), 4);
    file.write(key.data(), key.size());
    file.write(reinterpret_cast<const char *>(&payloadSize), 8);
    file.write(reinterpret_cast<const char *>(&sum), 8);
    file.write(payload.data(), payload.size());
    if (!file) {
      file.close();
      std::remove(temporary.c_str());
      return;
    }
  }
  if (std::rename(temporary.c_str(), pathOf(key).c_str()) != 0)
    std::remove(temporary.c_str());
}

} // namespace mlopt::rt
