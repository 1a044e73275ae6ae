//===- Program.h - launches over a buffer plan -----------------*- C++ -*-===//
//
// What a compiled graph is at run time: buffer slots (the plan) and an
// ordered list of launches, each reading and writing slots. Inputs fill
// their slots, each launch runs in order, and a slot is released after its
// last reader, so intermediates live only as long as needed. The CPU backend
// makes one launch per compiled function; device backends add kernels and
// library calls as further launches.
//
//===----------------------------------------------------------------------===//
#ifndef MLOPT_RUNTIME_PROGRAM_H
#define MLOPT_RUNTIME_PROGRAM_H

#include "runtime/Invoke.h"

#include <string>
#include <vector>

namespace mlopt::rt {

struct Launch {
  PackedEntry entry = nullptr;
  Signature signature;
  std::vector<int> inputSlots;  // one per signature input
  std::vector<int> outputSlots; // one per signature result
};

class Program {
public:
  int addSlot() { return numSlots++; }
  std::vector<int> inputSlots;
  std::vector<int> outputSlots;
  std::vector<Launch> launches;

  /// Checks that every slot a launch reads was written before (by an input
  /// or an earlier launch) and that outputs are written; false with `error`.
  bool verify(std::string &error) const;
  /// Runs the launches in order; false with `error` from the failing launch.
  bool run(const std::vector<Buffer> &inputs, std::vector<Buffer> &outputs,
           std::string &error) const;
  /// The largest number of slots holding a buffer at once during a run: the
  /// plan's peak, in buffers.
  int peakLiveSlots() const;

private:
  int numSlots = 0;
  /// For each launch, the slots whose last reader it is.
  std::vector<std::vector<int>> releasesAfter() const;
};

} // namespace mlopt::rt

#endif // MLOPT_RUNTIME_PROGRAM_H
