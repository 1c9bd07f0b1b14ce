#include "parallel/flag_agreement.h"

#include <algorithm>
#include <map>
#include <sstream>

#include "core/error.h"

namespace ascent::parallel {
namespace {

constexpr char kSep = '\x1f';  // between name and value
constexpr char kEnd = '\x1e';  // after each flag

std::string serialize(const FlagList& flags) {
  FlagList sorted = flags;
  std::sort(sorted.begin(), sorted.end());
  std::string out;
  for (const auto& [name, value] : sorted) out += name + kSep + value + kEnd;
  return out;
}

std::map<std::string, std::string> deserialize(const std::string& s) {
  std::map<std::string, std::string> out;
  size_t pos = 0;
  while (pos < s.size()) {
    const size_t sep = s.find(kSep, pos), end = s.find(kEnd, pos);
    out[s.substr(pos, sep - pos)] = s.substr(sep + 1, end - sep - 1);
    pos = end + 1;
  }
  return out;
}

std::string flag_name(const std::string& name) {
  return name.rfind("-", 0) == 0 ? name : "--" + name;
}

// "--lr 0.002 (rank 0: 0.001), --seed missing (rank 0: 5)": how this rank differs from rank 0.
std::string differences(const std::map<std::string, std::string>& mine,
                        const std::map<std::string, std::string>& ref) {
  std::vector<std::string> parts;
  for (const auto& [name, value] : ref) {
    auto it = mine.find(name);
    if (it == mine.end()) {
      parts.push_back(flag_name(name) + " missing (rank 0: " + value + ")");
    } else if (it->second != value) {
      parts.push_back(flag_name(name) + " " + it->second + " (rank 0: " + value + ")");
    }
  }
  for (const auto& [name, value] : mine)
    if (!ref.count(name)) parts.push_back(flag_name(name) + " " + value + " (rank 0: missing)");
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? ", " : "") + parts[i];
  return out;
}

}  // namespace

uint64_t hash_flags(const FlagList& flags) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char ch : serialize(flags)) {
    h ^= ch;
    h *= 1099511628211ull;
  }
  return h;
}

void check_flag_agreement(const Comm& comm, const FlagList& flags) {
  const int n = comm.size();
  const int64_t mine = static_cast<int64_t>(hash_flags(flags));
  std::vector<int64_t> hashes(n);
  comm.all_gather(&mine, 1, hashes.data());
  if (std::all_of(hashes.begin(), hashes.end(), [&](int64_t h) { return h == hashes[0]; })) return;

  // Name the differences: each rank compares itself with rank 0, then everyone gathers the lines.
  std::string ref = comm.rank() == 0 ? serialize(flags) : std::string();
  comm.broadcast(ref, 0);
  std::string line = hashes[comm.rank()] == hashes[0]
                         ? std::string()
                         : differences(deserialize(serialize(flags)), deserialize(ref));
  const int64_t len = static_cast<int64_t>(line.size());
  std::vector<int64_t> lens(n);
  comm.all_gather(&len, 1, lens.data());
  int64_t total = 0;
  for (int64_t l : lens) total += l;
  std::string all(static_cast<size_t>(total), '\0');
  comm.all_gather(reinterpret_cast<const uint8_t*>(line.data()),
                  reinterpret_cast<uint8_t*>(all.data()), lens);

  std::ostringstream os;
  os << "[parallel] flags differ across ranks (every rank must get the same arguments):";
  int64_t off = 0;
  for (int r = 0; r < n; ++r) {
    if (lens[r] > 0) os << "\n  rank " << r << ": " << all.substr(off, lens[r]);
    off += lens[r];
  }
  throw Error(os.str());
}

}  // namespace ascent::parallel
