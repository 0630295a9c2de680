// The libfuse3 server of `jetfault mount` (fuse_mount.h). Built only when CMake finds
// libfuse3; fuse_server_none.cc stands in otherwise.
//
// Why these settings:
//  * single-threaded loop: requests are served one at a time in arrival order, so the
//    FaultFs operation numbers (and so `arm K`, fault plans with nth=) are the same
//    from run to run for a single-threaded client;
//  * direct_io, no kernel cache, zero attribute/entry timeouts, no writeback cache:
//    every read(2) and write(2) becomes a request here (nothing sits in the kernel's
//    page cache, which is what the durability model stands in for) and fsync(2) /
//    fdatasync(2) reach File::Sync, fsync of a directory Vfs::SyncDir;
//  * hard_remove: an unlinked file stays usable through its open handles, as on
//    Linux, instead of being renamed to .fuse_hidden*;
//  * auto_unmount: fusermount3 keeps a watcher that unmounts when this process dies,
//    even by SIGKILL, so a crashed server never leaves a stale mount.
// Metadata queries (getattr, lookup) read the MemFs directly: the kernel issues them
// at its own discretion, so numbering them would make operation numbers vary.
#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#define FUSE_USE_VERSION 35
#include <fuse3/fuse.h>
#include <fuse3/fuse_lowlevel.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <thread>

#include "faultfs/fault_fs.h"
#include "faultfs/mem_fs.h"
#include "faultfs/posix_fs.h"
#include "faultfs/survivors.h"
#include "harness/engine/rooted_fs.h"
#include "harness/fuse/fuse_mount.h"

namespace jetharness::fuse {

bool BuiltWithFuse() { return true; }

namespace {

using faultfs::ErrorCode;
using faultfs::Status;

int Errno(const Status& s) {
  switch (s.code()) {
    case ErrorCode::kOk: return 0;
    case ErrorCode::kNotFound: return ENOENT;
    case ErrorCode::kSharingViolation: return EBUSY;
    case ErrorCode::kAccessDenied: return EACCES;
    case ErrorCode::kIoError: return EIO;
    case ErrorCode::kDiskFull: return ENOSPC;
    case ErrorCode::kInvalidPath: return EINVAL;
    case ErrorCode::kAlreadyExists: return EEXIST;
    case ErrorCode::kNotEmpty: return ENOTEMPTY;
    case ErrorCode::kCrashed: return EIO;
  }
  return EIO;
}

struct Handle {
  std::unique_ptr<faultfs::File> file;  // null for the control file
  bool append = false;
  std::string dir;      // a directory handle: its path (readdir and fsyncdir get none)
  std::string command;  // control file: the bytes written so far
  std::string answer;   // control file: what a read returns
};

class Server {
 public:
  Server(std::unique_ptr<faultfs::MemFs> mem, faultfs::FaultPlan plan, std::uint64_t seed, std::string dir)
      : mem_(std::move(mem)),
        fs_(mem_.get(), std::move(plan)),
        seed_(seed),
        dir_(std::move(dir)),
        start_(std::time(nullptr)) {
    fs_.set_keep_trace(false);
  }

  static Server& Get() { return *static_cast<Server*>(fuse_get_context()->private_data); }

  // Before each numbered operation: the power cut of an `arm` fires exactly here.
  bool Down() {
    if (armed_ && !fs_.crashed() && fs_.op_count() >= armed_->op) {
      Armed a = *armed_;
      armed_.reset();
      std::string answer = PowerCut(a.policy, a.image);
      std::fprintf(stderr, "jetfault mount: power cut before operation %llu: %s\n",
                   static_cast<unsigned long long>(a.op), answer.c_str());
    }
    return fs_.crashed();
  }
  bool crashed() const { return fs_.crashed(); }

  int GetAttr(const char* path, struct stat* st, fuse_file_info* fi) {
    std::memset(st, 0, sizeof(*st));
    st->st_uid = getuid();
    st->st_gid = getgid();
    st->st_atime = st->st_mtime = st->st_ctime = start_;
    st->st_blksize = 4096;
    Handle* h = path == nullptr ? Find(fi) : nullptr;
    if (h != nullptr && !h->dir.empty()) path = h->dir.c_str();
    if (IsControl(path) || (h != nullptr && !h->file && h->dir.empty())) {
      st->st_mode = S_IFREG | 0600;
      st->st_nlink = 1;
      return 0;
    }
    // The root stays resolvable after a cut, so the control file can still be reached.
    if (path != nullptr && std::strcmp(path, "/") == 0) {
      st->st_mode = S_IFDIR | 0755;
      st->st_nlink = 2;
      return 0;
    }
    if (crashed()) return -EIO;
    std::uint64_t size = 0;
    if (path == nullptr) {
      if (h == nullptr) return -EBADF;
      if (Down()) return -EIO;
      if (Status s = h->file->Size(&size); !s.ok()) return -Errno(s);
    } else {
      bool is_dir = false;
      if (Status s = mem_->IsDirectory(path, &is_dir); !s.ok()) return -Errno(s);
      if (is_dir) {
        st->st_mode = S_IFDIR | 0755;
        st->st_nlink = 2;
        return 0;
      }
      if (Status s = mem_->FileSize(path, &size); !s.ok()) return -Errno(s);
    }
    st->st_mode = S_IFREG | 0644;
    st->st_nlink = 1;
    st->st_size = static_cast<off_t>(size);
    st->st_blocks = static_cast<blkcnt_t>((size + 511) / 512);
    return 0;
  }

  int Open(const char* path, fuse_file_info* fi, bool create) {
    if (IsControl(path)) {
      if (create && (fi->flags & O_EXCL) != 0) return -EEXIST;
      return Keep(Handle{}, fi);
    }
    if (Down()) return -EIO;
    faultfs::OpenOptions options;
    const int mode = fi->flags & O_ACCMODE;
    options.access = mode == O_RDONLY   ? faultfs::Access::kRead
                     : mode == O_WRONLY ? faultfs::Access::kWrite
                                        : faultfs::Access::kReadWrite;
    // POSIX programs know no share modes: every handle lets every other one in.
    options.share = faultfs::kShareAll;
    const bool trunc = (fi->flags & O_TRUNC) != 0 && mode != O_RDONLY;
    if (!create) {
      options.disposition = faultfs::Disposition::kOpenExisting;
    } else if ((fi->flags & O_EXCL) != 0) {
      options.disposition = faultfs::Disposition::kCreateNew;
    } else {
      options.disposition = trunc ? faultfs::Disposition::kCreateAlways : faultfs::Disposition::kOpenAlways;
    }
    Handle h;
    if (Status s = fs_.Open(path, options, &h.file); !s.ok()) return -Errno(s);
    if (trunc && !create) {
      if (Down()) return -EIO;
      if (Status s = h.file->Truncate(0); !s.ok()) return -Errno(s);
    }
    h.append = (fi->flags & O_APPEND) != 0;
    return Keep(std::move(h), fi);
  }

  int Read(char* buf, size_t size, off_t offset, fuse_file_info* fi) {
    Handle* h = Find(fi);
    if (h == nullptr) return -EBADF;
    if (!h->dir.empty()) return -EISDIR;
    if (!h->file) {
      const std::size_t at = std::min<std::size_t>(static_cast<std::size_t>(offset), h->answer.size());
      const std::size_t n = std::min(size, h->answer.size() - at);
      std::memcpy(buf, h->answer.data() + at, n);
      return static_cast<int>(n);
    }
    if (Down()) return -EIO;
    std::size_t got = 0;
    Status s = h->file->Read(static_cast<std::uint64_t>(offset),
                             std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(buf), size), &got);
    return s.ok() ? static_cast<int>(got) : -Errno(s);
  }

  int Write(const char* buf, size_t size, off_t offset, fuse_file_info* fi) {
    Handle* h = Find(fi);
    if (h == nullptr) return -EBADF;
    if (!h->file && h->dir.empty()) {
      in_control_ = true;
      current_fh_ = fi->fh;
      const int r = ControlWrite(*h, std::string(buf, size));
      in_control_ = false;
      return r;
    }
    if (Down()) return -EIO;
    std::span<const std::uint8_t> data(reinterpret_cast<const std::uint8_t*>(buf), size);
    Status s = h->append ? h->file->Append(data) : h->file->Write(static_cast<std::uint64_t>(offset), data);
    return s.ok() ? static_cast<int>(size) : -Errno(s);
  }

  int Fsync(fuse_file_info* fi) {
    Handle* h = Find(fi);
    if (h == nullptr || !h->dir.empty()) return -EBADF;
    if (!h->file) return 0;
    if (Down()) return -EIO;
    return -Errno(h->file->Sync());
  }

  int Release(fuse_file_info* fi) {
    handles_.erase(fi->fh);
    if (end_on_release_ && *end_on_release_ == fi->fh) EndLoop();
    return 0;
  }

  int Truncate(const char* path, off_t size, fuse_file_info* fi) {
    if (IsControl(path)) return 0;
    if (Down()) return -EIO;
    if (Handle* h = Find(fi); h != nullptr && h->file)
      return -Errno(h->file->Truncate(static_cast<std::uint64_t>(size)));
    if (path == nullptr) return -EBADF;
    faultfs::OpenOptions options{faultfs::Access::kWrite, faultfs::kShareAll, faultfs::Disposition::kOpenExisting};
    std::unique_ptr<faultfs::File> file;
    if (Status s = fs_.Open(path, options, &file); !s.ok()) return -Errno(s);
    if (Down()) return -EIO;
    return -Errno(file->Truncate(static_cast<std::uint64_t>(size)));
  }

  int OpenDir(const char* path, fuse_file_info* fi) {
    if (crashed()) return -EIO;
    bool is_dir = false;
    if (Status s = mem_->IsDirectory(path, &is_dir); !s.ok()) return -Errno(s);
    if (!is_dir) return -ENOTDIR;
    Handle h;
    h.dir = path;
    return Keep(std::move(h), fi);
  }

  int ReadDir(void* buf, fuse_fill_dir_t filler, fuse_file_info* fi) {
    Handle* h = Find(fi);
    if (h == nullptr || h->dir.empty()) return -EBADF;
    if (Down()) return -EIO;
    std::vector<std::string> names;
    if (Status s = fs_.ListDir(h->dir, &names); !s.ok()) return -Errno(s);
    filler(buf, ".", nullptr, 0, static_cast<fuse_fill_dir_flags>(0));
    filler(buf, "..", nullptr, 0, static_cast<fuse_fill_dir_flags>(0));
    for (const std::string& name : names) filler(buf, name.c_str(), nullptr, 0, static_cast<fuse_fill_dir_flags>(0));
    return 0;
  }

  int DirOp(const char* path, const char* path2, faultfs::Status (faultfs::Vfs::*op)(const std::string&)) {
    if (IsControl(path) || IsControl(path2)) return -EACCES;
    if (Down()) return -EIO;
    return -Errno((fs_.*op)(path));
  }

  int Rename(const char* from, const char* to, unsigned int flags) {
    if (IsControl(from) || IsControl(to)) return -EACCES;
    if (flags & RENAME_EXCHANGE) return -EINVAL;
    if (flags & RENAME_NOREPLACE) {
      bool exists = false;
      if (Status s = mem_->Exists(to, &exists); s.ok() && exists) return -EEXIST;
    }
    if (Down()) return -EIO;
    return -Errno(fs_.Rename(from, to));
  }

  int FsyncDir(fuse_file_info* fi) {
    Handle* h = Find(fi);
    if (h == nullptr || h->dir.empty()) return -EBADF;
    if (Down()) return -EIO;
    return -Errno(fs_.SyncDir(h->dir));
  }

  // Runs when the loop has ended: the wake-up thread must not outlive it.
  void LoopEnded() {
    loop_ended_ = true;
    if (waker_.joinable()) waker_.join();
  }

 private:
  struct Armed {
    std::uint64_t op = 0;
    std::string policy, image;
  };

  static bool IsControl(const char* path) {
    return path != nullptr && path[0] == '/' && std::strcmp(path + 1, kControlName) == 0;
  }
  Handle* Find(fuse_file_info* fi) {
    if (fi == nullptr) return nullptr;
    auto it = handles_.find(fi->fh);
    return it == handles_.end() ? nullptr : &it->second;
  }
  int Keep(Handle h, fuse_file_info* fi) {
    fi->fh = next_handle_++;
    fi->direct_io = 1;
    handles_.emplace(fi->fh, std::move(h));
    return 0;
  }

  int ControlWrite(Handle& h, const std::string& bytes) {
    h.command += bytes;
    const std::size_t end = h.command.find('\n');
    if (end == std::string::npos) return static_cast<int>(bytes.size());
    std::string line = h.command.substr(0, end);
    h.command.erase(0, end + 1);
    h.answer = Command(line);
    // After a crash command the loop ends once the asker closed the control file (it
    // reads the answer first); a cut armed in another operation ends it at once.
    if (end_requested_ && !end_on_release_) end_on_release_ = current_fh_;
    return h.answer.rfind("ok", 0) == 0 ? static_cast<int>(bytes.size()) : -EINVAL;
  }

  std::string Command(const std::string& line) {
    std::istringstream in(line);
    std::string verb;
    in >> verb;
    if (verb == "status") {
      return fmt::format("ok ops={} crashed={} pending_writes={} pending_dirops={}\n", fs_.op_count(),
                         fs_.crashed() ? 1 : 0, mem_->PendingWrites().size(), mem_->PendingDirOps().size());
    }
    std::uint64_t at = 0;
    if (verb == "arm" && !(in >> at)) return "error: arm wants K POLICY IMAGE\n";
    std::string policy, image;
    if ((verb != "crash" && verb != "arm") || !(in >> policy >> image)) {
      return "error: unknown command (crash POLICY IMAGE | arm K POLICY IMAGE | status)\n";
    }
    if (fs_.crashed()) {
      // A cut armed earlier has fired; the filesystem kept answering EIO (so the program
      // saw its I/O fail instead of the directory under the mount) until this request.
      end_requested_ = true;
      return "ok the power was already cut: " + cut_answer_;
    }
    if (std::string why = CheckImageDir(image); !why.empty()) return "error: " + why + "\n";
    if (verb == "arm") {
      // Which operations are pending is only known at the cut: the name is checked then.
      if (!IsPolicyName(policy)) return "error: " + UnknownPolicy(policy) + "\n";
      armed_ = Armed{at, policy, image};
      return fmt::format("ok armed at operation {} (now {})\n", at, fs_.op_count());
    }
    if (!FindPolicy(policy)) return "error: " + UnknownPolicy(policy) + "\n";
    return PowerCut(policy, image);
  }

  std::string CheckImageDir(const std::string& image) const {
    namespace stdfs = std::filesystem;
    if (image.empty() || image[0] != '/') return "the image directory must be an absolute path: " + image;
    bool inside = false;
    const std::string c = ResolveOutsideMount(image, &inside);
    if (inside) return "the image directory must be outside the mount: " + image;
    if (c.empty()) return "the image directory's path has a symbolic link loop: " + image;
    std::error_code ec;
    const stdfs::path canon(c);
    if (stdfs::exists(canon, ec) && !(stdfs::is_directory(canon, ec) && stdfs::is_empty(canon, ec))) {
      return "the image directory must be empty or absent: " + image;
    }
    return "";
  }

  // The path with every symbolic link resolved (a realpath that tolerates missing
  // components), or *inside set as soon as it reaches the mount. It must never look
  // inside the mount: this thread is the one that would have to answer (a stat under
  // the mount point waits for it forever). So it walks one component at a time from
  // the root, lstat-ing only what is outside, and stops at the mount point itself. ""
  // after 40 links (a loop).
  std::string ResolveOutsideMount(const std::string& path, bool* inside) const {
    namespace stdfs = std::filesystem;
    std::vector<std::string> todo;  // the components still to walk, last first
    auto push = [&todo](const std::string& p) {
      std::vector<std::string> parts;
      for (const stdfs::path& part : stdfs::path(p).relative_path()) parts.push_back(part.string());
      todo.insert(todo.end(), parts.rbegin(), parts.rend());
    };
    push(path);
    std::string cur = "/";  // resolved: no link, not inside the mount
    int links = 0;
    bool missing = false;  // a component is absent: the rest is lexical
    while (!todo.empty()) {
      const std::string part = todo.back();
      todo.pop_back();
      if (part.empty() || part == ".") continue;
      if (part == "..") {
        cur = stdfs::path(cur).parent_path().string();
        missing = false;
        continue;
      }
      const std::string next = cur == "/" ? "/" + part : cur + "/" + part;
      if (next == dir_) {
        // Only `..` leaves the mount point again (to its parent, `cur`).
        while (!todo.empty() && (todo.back().empty() || todo.back() == ".")) todo.pop_back();
        if (todo.empty() || todo.back() != "..") {
          *inside = true;
          return next;
        }
        todo.pop_back();
        continue;
      }
      struct stat st;
      if (missing || lstat(next.c_str(), &st) != 0) {
        missing = true;
        cur = next;
        continue;
      }
      if (S_ISLNK(st.st_mode)) {
        if (++links > 40) return "";
        std::error_code ec;
        const stdfs::path target = stdfs::read_symlink(next, ec);
        if (ec) return "";
        if (target.is_absolute()) cur = "/";
        push(target.string());
        continue;
      }
      cur = next;
    }
    // A path under another mount of the same directory would be missed; the mount
    // point is canonical (RunMount), so is `cur`: equal paths name the same place.
    *inside = cur == dir_ || cur.rfind(dir_ + "/", 0) == 0;
    return cur;
  }

  static bool IsPolicyName(const std::string& name) {
    if (name == "keep-all" || name == "drop-all") return true;
    for (const char* prefix : {"drop-write-", "drop-dirop-", "tear-", "random-"}) {
      const std::string p = prefix;
      if (name.size() > p.size() && name.rfind(p, 0) == 0 &&
          name.find_first_not_of("0123456789", p.size()) == std::string::npos) {
        return true;
      }
    }
    return false;
  }
  std::optional<faultfs::CrashPolicy> FindPolicy(const std::string& name) const {
    if (name == "keep-all") return faultfs::CrashPolicy::KeepAll();
    if (name == "drop-all") return faultfs::CrashPolicy::DropAll();
    for (const faultfs::NamedCrashPolicy& p : Policies()) {
      if (p.name == name) return p.policy;
    }
    // With nothing pending every policy gives the same image (SurvivorPolicies then
    // lists keep-all alone).
    if (IsPolicyName(name) && mem_->PendingWrites().empty() && mem_->PendingDirOps().empty()) {
      return faultfs::CrashPolicy::KeepAll();
    }
    return std::nullopt;
  }
  std::vector<faultfs::NamedCrashPolicy> Policies() const {
    faultfs::SurvivorOptions options;
    options.seed = seed_;
    options.max_images = SIZE_MAX;
    return faultfs::SurvivorPolicies(*mem_, options);
  }
  std::string UnknownPolicy(const std::string& name) const {
    std::string known;
    std::size_t n = 0;
    for (const faultfs::NamedCrashPolicy& p : Policies()) {
      if (n++ < 12) known += " " + p.name;
    }
    return fmt::format("no survivor policy '{}' for this crash; there are {}:{}{}", name, n, known,
                       n > 12 ? " ..." : "");
  }

  // The power loss: nothing more reaches the disk, the image the policy allows is
  // written out, and the loop is told to end (the unmount follows it).
  std::string PowerCut(const std::string& policy_name, const std::string& image_dir) {
    const std::uint64_t ops = fs_.op_count();
    fs_.CrashNow();
    const std::optional<faultfs::CrashPolicy> policy = FindPolicy(policy_name);
    Status s = policy ? faultfs::MakeDirs(faultfs::DefaultPosixFs(), image_dir)
                      : Status::Error(ErrorCode::kNotFound, UnknownPolicy(policy_name));
    if (s.ok()) {
      std::unique_ptr<faultfs::MemFs> image = mem_->CrashImage(*policy);
      RootedFs out(&faultfs::DefaultPosixFs(), image_dir);
      s = CopyTree(*image, out, "/");
    }
    std::string answer = s.ok() ? fmt::format("ok power cut after {} operations; the image {} allows written to {}\n",
                                              ops, policy_name, image_dir)
                                : fmt::format("error: writing the image to {}: {}\n", image_dir, s.ToString());
    // An armed cut keeps the mount answering EIO: unmounting now would let the running
    // program go on in the directory under the mount. The next crash request ends it.
    if (in_control_) end_requested_ = true;
    cut_answer_ = answer;
    return answer;
  }

  // fuse_session_exit only takes effect when the loop wakes for the next request;
  // a signal (libfuse's handler, installed by RunMount) interrupts its read.
  void EndLoop() {
    fuse_session_exit(fuse_get_session(fuse_get_context()->fuse));
    if (waker_.joinable()) return;
    const pthread_t loop = pthread_self();
    waker_ = std::thread([this, loop] {
      for (int i = 0; i < 50 && !loop_ended_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      if (!loop_ended_) pthread_kill(loop, SIGHUP);
    });
  }

  std::unique_ptr<faultfs::MemFs> mem_;
  faultfs::FaultFs fs_;
  const std::uint64_t seed_;
  const std::string dir_;
  const std::time_t start_;
  std::map<std::uint64_t, Handle> handles_;
  std::uint64_t next_handle_ = 1;
  std::optional<Armed> armed_;
  bool in_control_ = false;  // a control command is running (its write not answered yet)
  std::uint64_t current_fh_ = 0;
  bool end_requested_ = false;
  std::string cut_answer_;  // what the power cut answered (told again to a later crash request)
  std::optional<std::uint64_t> end_on_release_;
  std::atomic<bool> loop_ended_{false};
  std::thread waker_;
};

void* Init(fuse_conn_info* conn, fuse_config* cfg) {
  cfg->direct_io = 1;
  cfg->kernel_cache = 0;
  cfg->auto_cache = 0;
  cfg->attr_timeout = 0;
  cfg->entry_timeout = 0;
  cfg->negative_timeout = 0;
  cfg->hard_remove = 1;
  cfg->nullpath_ok = 1;
  cfg->use_ino = 0;
  conn->want &= ~static_cast<unsigned>(FUSE_CAP_WRITEBACK_CACHE);
  return fuse_get_context()->private_data;
}

fuse_operations Operations() {
  fuse_operations ops{};
  ops.init = Init;
  ops.getattr = [](const char* p, struct stat* st, fuse_file_info* fi) { return Server::Get().GetAttr(p, st, fi); };
  ops.open = [](const char* p, fuse_file_info* fi) { return Server::Get().Open(p, fi, false); };
  ops.create = [](const char* p, mode_t, fuse_file_info* fi) { return Server::Get().Open(p, fi, true); };
  ops.read = [](const char*, char* b, size_t n, off_t o, fuse_file_info* fi) {
    return Server::Get().Read(b, n, o, fi);
  };
  ops.write = [](const char*, const char* b, size_t n, off_t o, fuse_file_info* fi) {
    return Server::Get().Write(b, n, o, fi);
  };
  ops.flush = [](const char*, fuse_file_info*) { return 0; };
  ops.fsync = [](const char*, int, fuse_file_info* fi) { return Server::Get().Fsync(fi); };
  ops.release = [](const char*, fuse_file_info* fi) { return Server::Get().Release(fi); };
  ops.truncate = [](const char* p, off_t n, fuse_file_info* fi) { return Server::Get().Truncate(p, n, fi); };
  // nullpath_ok: file and directory handle operations get no path, only the handle.
  ops.opendir = [](const char* p, fuse_file_info* fi) { return Server::Get().OpenDir(p, fi); };
  ops.releasedir = [](const char*, fuse_file_info* fi) { return Server::Get().Release(fi); };
  ops.readdir = [](const char*, void* buf, fuse_fill_dir_t filler, off_t, fuse_file_info* fi, fuse_readdir_flags) {
    return Server::Get().ReadDir(buf, filler, fi);
  };
  ops.fsyncdir = [](const char*, int, fuse_file_info* fi) { return Server::Get().FsyncDir(fi); };
  ops.unlink = [](const char* p) { return Server::Get().DirOp(p, nullptr, &faultfs::Vfs::Delete); };
  ops.mkdir = [](const char* p, mode_t) { return Server::Get().DirOp(p, nullptr, &faultfs::Vfs::MakeDir); };
  ops.rmdir = [](const char* p) { return Server::Get().DirOp(p, nullptr, &faultfs::Vfs::RemoveDir); };
  ops.rename = [](const char* f, const char* t, unsigned int flags) { return Server::Get().Rename(f, t, flags); };
  // The model has no modes, owners or times: accepted and forgotten.
  ops.chmod = [](const char*, mode_t, fuse_file_info*) { return Server::Get().crashed() ? -EIO : 0; };
  ops.chown = [](const char*, uid_t, gid_t, fuse_file_info*) { return Server::Get().crashed() ? -EIO : 0; };
  ops.utimens = [](const char*, const timespec*, fuse_file_info*) { return Server::Get().crashed() ? -EIO : 0; };
  ops.statfs = [](const char*, struct statvfs* st) {
    std::memset(st, 0, sizeof(*st));
    st->f_bsize = st->f_frsize = 4096;
    st->f_blocks = st->f_bfree = st->f_bavail = 1ULL << 28;  // 1 TiB: the model's file size limit
    st->f_files = st->f_ffree = 1ULL << 20;
    st->f_namemax = 255;
    return Server::Get().crashed() ? -EIO : 0;
  };
  return ops;
}

std::unique_ptr<faultfs::MemFs> LoadImage(const std::string& dir, std::string* error) {
  auto mem = std::make_unique<faultfs::MemFs>();
  RootedFs from(&faultfs::DefaultPosixFs(), dir);
  if (Status s = CopyTree(from, *mem, "/"); !s.ok()) {
    *error = s.ToString();
    return nullptr;
  }
  // Everything of an image is durable: a second crash must not lose it.
  return mem->CrashImage(faultfs::CrashPolicy::KeepAll());
}

}  // namespace

int RunMount(const MountOptions& options) {
  faultfs::FaultPlan plan;
  if (!options.plan_file.empty()) {
    std::ifstream in(options.plan_file, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    std::string error;
    if (!in || !faultfs::ParseFaultPlan(text.str(), &plan, &error)) {
      std::fprintf(stderr, "jetfault mount: %s: %s\n", options.plan_file.c_str(), in ? error.c_str() : "cannot read");
      return 2;
    }
  }
  if (options.plan_file.empty()) plan.seed = options.seed;
  std::unique_ptr<faultfs::MemFs> mem = std::make_unique<faultfs::MemFs>();
  if (!options.from_image.empty()) {
    std::string error;
    mem = LoadImage(options.from_image, &error);
    if (!mem) {
      std::fprintf(stderr, "jetfault mount: reading the image %s: %s\n", options.from_image.c_str(), error.c_str());
      return 1;
    }
  }
  if (std::string why = FuseUnavailableReason(); !why.empty()) {
    std::fprintf(stderr, "jetfault mount: %s\n", why.c_str());
    return 1;
  }
  // Resolved before mounting: once mounted, a stat of it is a request to this thread.
  std::error_code ec;
  std::string dir = std::filesystem::weakly_canonical(std::filesystem::absolute(options.dir, ec), ec).string();
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  Server server(std::move(mem), plan, options.seed, dir);
  std::vector<std::string> argv_text = {"jetfault", "-o",
                                        "auto_unmount,fsname=jetfault,subtype=jetfault,default_permissions"};
  std::vector<char*> argv;
  for (std::string& a : argv_text) argv.push_back(a.data());
  fuse_args args = FUSE_ARGS_INIT(static_cast<int>(argv.size()), argv.data());
  const fuse_operations ops = Operations();
  struct fuse* f = fuse_new(&args, &ops, sizeof(ops), &server);
  if (f == nullptr) {
    std::fprintf(stderr, "jetfault mount: fuse_new failed\n");
    return 1;
  }
  if (fuse_mount(f, dir.c_str()) != 0) {
    std::fprintf(stderr, "jetfault mount: cannot mount on %s\n", dir.c_str());
    fuse_destroy(f);
    return 1;
  }
  fuse_session* se = fuse_get_session(f);
  int status = 0;
  if (fuse_set_signal_handlers(se) != 0) {
    status = 1;
  } else {
    if (options.foreground) {
      std::printf("mounted %s\n", dir.c_str());
      std::fflush(stdout);
    }
    if (fuse_daemonize(options.foreground ? 1 : 0) != 0) status = 1;
    if (status == 0 && fuse_loop(f) < 0) status = 1;
    server.LoopEnded();
    fuse_remove_signal_handlers(se);
  }
  fuse_unmount(f);
  fuse_destroy(f);
  fuse_opt_free_args(&args);
  return status;
}

}  // namespace jetharness::fuse
