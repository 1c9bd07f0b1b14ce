#include "checkpoint/save_dir.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>

#include "checkpoint/safetensors.h"
#include "core/error.h"
#include "core/failpoint.h"
#include "core/log.h"

namespace fs = std::filesystem;

namespace ascent {
namespace {

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Parses iter_<digits>[.tmp|.old|.del.<tag>]; false for any other name.
bool parse_entry(const std::string& name, SaveDirEntry& e) {
  if (name.rfind("iter_", 0) != 0) return false;
  const size_t dot = name.find('.');
  const std::string digits = name.substr(5, dot == std::string::npos ? std::string::npos : dot - 5);
  if (!all_digits(digits) || digits.size() > 15) return false;
  e.iteration = std::stoll(digits);
  if (dot == std::string::npos) {
    e.kind = SaveDirEntry::Kind::kCommitted;
    return true;
  }
  const std::string kind = name.substr(dot + 1, 4);
  e.tag = name.size() > dot + 5 ? name.substr(dot + 5) : "";
  if (e.tag.empty()) return false;
  if (kind == "tmp.")
    e.kind = SaveDirEntry::Kind::kTemporary;
  else if (kind == "old.")
    e.kind = SaveDirEntry::Kind::kReplaced;
  else if (kind == "del.")
    e.kind = SaveDirEntry::Kind::kDeleting;
  else
    return false;
  return true;
}

void rename_or_throw(const fs::path& from, const fs::path& to) {
  if (std::rename(from.c_str(), to.c_str()) != 0)
    throw error("[checkpoint] rename ", from.string(), " -> ", to.string(), ": ",
                std::strerror(errno));
}

// A tag whose writer is gone: a pid that is no process or a zombie, or this process (at start-up
// it has not begun to save; containers reuse pids).
void fsync_directory(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

bool writer_gone(const std::string& tag) {
  if (!all_digits(tag) || tag.size() > 9) return false;  // not ours to judge
  const pid_t pid = static_cast<pid_t>(std::stol(tag));
  if (pid == ::getpid()) return true;
  if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
  // A zombie has finished too (its parent, in a container often a PID 1 that does not reap,
  // has not collected it yet).
  std::ifstream stat("/proc/" + tag + "/stat");
  std::string line;
  std::getline(stat, line);
  const size_t paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() &&
         (line[paren + 2] == 'Z' || line[paren + 2] == 'X');
}

std::string megabytes(const fs::path& dir) {
  std::error_code ec;
  uintmax_t bytes = 0;
  for (const auto& f : fs::recursive_directory_iterator(dir, ec))
    if (f.is_regular_file(ec)) bytes += f.file_size(ec);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / 1e6);
  return buf;
}

}  // namespace

std::string checkpoint_dir_name(int64_t iteration) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "iter_%07lld", static_cast<long long>(iteration));
  return buf;
}

std::vector<SaveDirEntry> list_save_dir(const std::string& save_dir) {
  std::vector<SaveDirEntry> out;
  std::error_code ec;
  if (!fs::is_directory(save_dir, ec)) return out;
  for (const auto& d : fs::directory_iterator(save_dir, ec)) {
    SaveDirEntry e;
    if (d.is_directory(ec) && parse_entry(d.path().filename().string(), e)) {
      e.path = d.path();
      out.push_back(std::move(e));
    }
  }
  std::sort(out.begin(), out.end(), [](const SaveDirEntry& a, const SaveDirEntry& b) {
    return a.iteration != b.iteration ? a.iteration < b.iteration : a.path < b.path;
  });
  return out;
}

bool has_manifest(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / "manifest.json", ec);
}

std::optional<int64_t> read_marker(const std::string& save_dir) {
  const fs::path marker = fs::path(save_dir) / kLatestMarker;
  if (!fs::exists(marker)) return std::nullopt;
  std::ifstream in(marker);
  long long it = -1;
  if (!(in >> it) || it < 0)
    throw error("[checkpoint] ", marker.string(), ": not an iteration number");
  return it;
}

void write_marker(const std::string& save_dir, int64_t iteration) {
  const std::string text = std::to_string(iteration) + "\n";
  safetensors::write_file_atomic((fs::path(save_dir) / kLatestMarker).string(),
                                 {reinterpret_cast<const uint8_t*>(text.data()), text.size()});
}

void checkpoint_step(const char* point, const fs::path& target) {
  if (const int e = failpoint::hit(point))
    throw error("[checkpoint] ", target.string(), ": ", std::strerror(e),
                " (injected by ASCENT_FAILPOINT at ", point, ")");
}

std::string install_checkpoint_dir(const fs::path& tmp, const fs::path& final_dir,
                                   const std::string& tag) {
  if (!fs::exists(final_dir)) {
    checkpoint_step("checkpoint.rename_tmp", final_dir);
    rename_or_throw(tmp, final_dir);
    return "";
  }
  int e = failpoint::hit("checkpoint.exchange");
  if (e == 0) {
    if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, final_dir.c_str(), RENAME_EXCHANGE) == 0)
      return tmp.string();  // tmp now holds the replaced copy
    e = errno;
  }
  if (e != EINVAL && e != ENOSYS && e != ENOTSUP)
    throw error("[checkpoint] exchange ", tmp.string(), " <-> ", final_dir.string(), ": ",
                std::strerror(e));
  // No atomic exchange here: between the two renames iter_N is missing and its previous copy
  // is iter_N.old.{tag}, where loading and start-up recovery look for it.
  const fs::path old = final_dir.string() + ".old." + tag;
  checkpoint_step("checkpoint.rename_old", old);
  rename_or_throw(final_dir, old);
  checkpoint_step("checkpoint.rename_tmp_after_old", final_dir);
  rename_or_throw(tmp, final_dir);
  return old.string();
}

std::vector<std::string> recover_save_dir(const std::string& save_dir) {
  std::vector<std::string> lines;
  const std::vector<SaveDirEntry> entries = list_save_dir(save_dir);
  std::set<int64_t> restored;
  auto committed = [&](int64_t it) {
    return restored.count(it) ||
           std::any_of(entries.begin(), entries.end(), [&](const SaveDirEntry& c) {
             return c.kind == SaveDirEntry::Kind::kCommitted && c.iteration == it &&
                    has_manifest(c.path);
           });
  };
  for (const SaveDirEntry& e : entries) {
    if (e.kind == SaveDirEntry::Kind::kCommitted || !writer_gone(e.tag)) continue;
    const std::string name = e.path.filename().string();
    if (e.kind == SaveDirEntry::Kind::kReplaced && !committed(e.iteration) &&
        has_manifest(e.path)) {
      const fs::path to = fs::path(save_dir) / checkpoint_dir_name(e.iteration);
      std::error_code ec;
      fs::remove_all(to, ec);  // an iter_N without manifest.json: never a complete copy
      rename_or_throw(e.path, to);
      restored.insert(e.iteration);
      lines.push_back("restored " + name + " to " + to.filename().string() +
                      " (an interrupted re-save had left the only complete copy of iteration " +
                      std::to_string(e.iteration) + " there)");
      continue;
    }
    const std::string size = megabytes(e.path);
    fs::remove_all(e.path);
    lines.push_back("removed " + name + " (" + size + ", left by writer " + e.tag +
                    ", which is gone)");
  }
  if (!restored.empty()) fsync_directory(save_dir);
  for (const std::string& l : lines) ASCENT_LOG_WARN("[checkpoint] {}: {}", save_dir, l);
  return lines;
}

std::vector<std::string> prune_checkpoints(const std::string& save_dir, int64_t keep_last) {
  std::vector<std::string> deleted;
  const std::optional<int64_t> marker = read_marker(save_dir);
  if (keep_last <= 0 || !marker) return deleted;
  std::vector<SaveDirEntry> complete;  // up to and including the marker's, newest first
  for (const SaveDirEntry& e : list_save_dir(save_dir))
    if (e.kind == SaveDirEntry::Kind::kCommitted && e.iteration <= *marker && has_manifest(e.path))
      complete.insert(complete.begin(), e);
  const std::string tag = std::to_string(::getpid());
  for (size_t i = static_cast<size_t>(keep_last); i < complete.size(); ++i) {
    const SaveDirEntry& e = complete[i];
    if (e.iteration == *marker) continue;
    // Renamed first, so a kill mid-removal leaves a .del directory, never a partial iter_N.
    const fs::path doomed = e.path.string() + ".del." + tag;
    checkpoint_step("checkpoint.prune", e.path);
    rename_or_throw(e.path, doomed);
    fs::remove_all(doomed);
    deleted.push_back(e.path.filename().string());
  }
  std::string names;
  for (const std::string& d : deleted) names += (names.empty() ? "" : ", ") + d;
  if (!deleted.empty())
    ASCENT_LOG_INFO(" --keep-last-checkpoints {}: deleted {}", keep_last, names);
  return deleted;
}

}  // namespace ascent
