//===- Program.cpp - launches over a buffer plan --------------------------===//

#include "runtime/Program.h"

#include <algorithm>

namespace mlopt::rt {

bool Program::verify(std::string &error) const {
  std::vector<bool> written(numSlots, false);
  auto check = [&](int slot) { return slot >= 0 && slot < numSlots; };
  for (int slot : inputSlots) {
    if (!check(slot)) {
      error = "input slot " + std::to_string(slot) + " does not exist";
      return false;
    }
    written[slot] = true;
  }
  for (size_t i = 0; i < launches.size(); ++i) {
    const Launch &l = launches[i];
    if (l.inputSlots.size() != l.signature.inputs.size() ||
        l.outputSlots.size() != l.signature.results.size()) {
      error = "launch " + std::to_string(i) + " does not match its signature";
      return false;
    }
    for (int slot : l.inputSlots)
      if (!check(slot) || !written[slot]) {
        error = "launch " + std::to_string(i) + " reads slot " + std::to_string(slot) +
                " before anything writes it";
        return false;
      }
    for (int slot : l.outputSlots) {
      if (!check(slot)) {
        error = "launch " + std::to_string(i) + " writes a slot that does not exist";
        return false;
      }
      written[slot] = true;
    }
  }
  for (int slot : outputSlots)
    if (!check(slot) || !written[slot]) {
      error = "output slot " + std::to_string(slot) + " is never written";
      return false;
    }
  return true;
}

std::vector<std::vector<int>> Program::releasesAfter() const {
  std::vector<int> lastUse(numSlots, -1);
  for (size_t i = 0; i < launches.size(); ++i)
    for (int slot : launches[i].inputSlots)
      lastUse[slot] = static_cast<int>(i);
  for (int slot : outputSlots)
    lastUse[slot] = static_cast<int>(launches.size()); // kept to the end
  std::vector<std::vector<int>> releases(launches.size());
  for (int slot = 0; slot < numSlots; ++slot)
    if (lastUse[slot] >= 0 && lastUse[slot] < static_cast<int>(launches.size()))
      releases[lastUse[slot]].push_back(slot);
  return releases;
}

bool Program::run(const std::vector<Buffer> &inputs, std::vector<Buffer> &outputs,
                  std::string &error) const {
  if (inputs.size() != inputSlots.size()) {
    error = "expected " + std::to_string(inputSlots.size()) + " inputs, got " +
            std::to_string(inputs.size());
    return false;
  }
  std::vector<Buffer> slots(numSlots);
  for (size_t i = 0; i < inputs.size(); ++i)
    slots[inputSlots[i]] = inputs[i];
  // One launch (the CPU backend's programs): nothing to free before the end.
  std::vector<std::vector<int>> releases;
  if (launches.size() > 1)
    releases = releasesAfter();
  for (size_t i = 0; i < launches.size(); ++i) {
    const Launch &l = launches[i];
    std::vector<Buffer> args, results;
    args.reserve(l.inputSlots.size());
    for (int slot : l.inputSlots)
      args.push_back(slots[slot]);
    if (!invoke(l.entry, l.signature, args, results, error)) {
      error = "launch " + std::to_string(i) + ": " + error;
      return false;
    }
    for (size_t r = 0; r < results.size(); ++r)
      slots[l.outputSlots[r]] = std::move(results[r]);
    if (!releases.empty())
      for (int slot : releases[i])
        slots[slot] = Buffer(); // last reader done: free it now
  }
  outputs.clear();
  for (int slot : outputSlots)
    outputs.push_back(slots[slot]);
  return true;
}

int Program::peakLiveSlots() const {
  std::vector<bool> live(numSlots, false);
  for (int slot : inputSlots)
    live[slot] = true;
  auto count = [&] { return static_cast<int>(std::count(live.begin(), live.end(), true)); };
  int peak = count();
  std::vector<std::vector<int>> releases = releasesAfter();
  for (size_t i = 0; i < launches.size(); ++i) {
    for (int slot : launches[i].outputSlots)
      live[slot] = true;
    peak = std::max(peak, count());
    for (int slot : releases[i])
      live[slot] = false;
  }
  return peak;
}

} // namespace mlopt::rt
