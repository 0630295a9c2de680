#include "harness/sqlite/vfs.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cstring>

#include "faultfs/prng.h"
#include "jetfault/assert.h"

namespace jetharness::sqlite {

struct FaultVfs::FileState {
  FaultVfs* owner = nullptr;
  std::string path;
  std::unique_ptr<faultfs::File> file;
  int lock = SQLITE_LOCK_NONE;
  bool delete_on_close = false;
  bool sync_dir_pending = false;  // a new journal/WAL: its first sync syncs the directory
  bool shm_mapped = false;
};

namespace {

// What sqlite3_file holds: SQLite allocates szOsFile bytes, xOpen fills them in.
struct VfsFile {
  sqlite3_file base;
  FaultVfs::FileState* state;
};

FaultVfs* Owner(sqlite3_vfs* vfs) { return static_cast<FaultVfs*>(vfs->pAppData); }
FaultVfs::FileState& State(sqlite3_file* file) { return *reinterpret_cast<VfsFile*>(file)->state; }

// A failed operation as the unix VFS reports it: `otherwise` for anything but the
// cases SQLite distinguishes.
int Code(const faultfs::Status& s, int otherwise) { return s.ok() ? SQLITE_OK : otherwise; }

int xClose(sqlite3_file* f) {
  auto* vf = reinterpret_cast<VfsFile*>(f);
  FaultVfs::FileState* st = vf->state;
  int rc = SQLITE_OK;
  if (st != nullptr) {
    auto& handles = st->owner->open_files()[st->path];
    handles.erase(std::remove(handles.begin(), handles.end(), st), handles.end());
    if (handles.empty()) st->owner->open_files().erase(st->path);
    st->file.reset();
    if (st->delete_on_close) rc = Code(st->owner->fs()->Delete(st->path), SQLITE_IOERR_DELETE);
    delete st;
  }
  vf->state = nullptr;
  f->pMethods = nullptr;
  return rc;
}

int xRead(sqlite3_file* f, void* buf, int amount, sqlite3_int64 offset) {
  JF_ASSERT_GE(amount, 0);
  auto* dst = static_cast<std::uint8_t*>(buf);
  std::size_t got = 0;
  faultfs::Status s = State(f).file->Read(static_cast<std::uint64_t>(offset),
                                          std::span<std::uint8_t>(dst, static_cast<std::size_t>(amount)), &got);
  if (!s.ok()) return SQLITE_IOERR_READ;
  JF_ASSERT_LE(got, static_cast<std::size_t>(amount));
  if (got < static_cast<std::size_t>(amount)) {
    // SQLite requires the rest zero-filled on a short read.
    std::memset(dst + got, 0, static_cast<std::size_t>(amount) - got);
    return SQLITE_IOERR_SHORT_READ;
  }
  return SQLITE_OK;
}

int xWrite(sqlite3_file* f, const void* buf, int amount, sqlite3_int64 offset) {
  JF_ASSERT_GE(amount, 0);
  faultfs::Status s = State(f).file->Write(
      static_cast<std::uint64_t>(offset),
      std::span<const std::uint8_t>(static_cast<const std::uint8_t*>(buf), static_cast<std::size_t>(amount)));
  if (s.ok()) return SQLITE_OK;
  return s.code() == faultfs::ErrorCode::kDiskFull ? SQLITE_FULL : SQLITE_IOERR_WRITE;
}

int xTruncate(sqlite3_file* f, sqlite3_int64 size) {
  return Code(State(f).file->Truncate(static_cast<std::uint64_t>(size)), SQLITE_IOERR_TRUNCATE);
}

int xSync(sqlite3_file* f, int /*flags: every sync makes data and size durable*/) {
  FaultVfs::FileState& st = State(f);
  if (!st.file->Sync().ok()) return SQLITE_IOERR_FSYNC;
  if (st.sync_dir_pending) {
    // As unix does for a journal or WAL it opened with O_CREAT: the new name must be
    // durable before SQLite overwrites database pages the journal protects.
    if (!st.owner->fs()->SyncDir(faultfs::ParentPath(st.path)).ok()) return SQLITE_IOERR_DIR_FSYNC;
    st.sync_dir_pending = false;
  }
  return SQLITE_OK;
}

int xFileSize(sqlite3_file* f, sqlite3_int64* size) {
  std::uint64_t n = 0;
  if (!State(f).file->Size(&n).ok()) return SQLITE_IOERR_FSTAT;
  *size = static_cast<sqlite3_int64>(n);
  return SQLITE_OK;
}

// Locks are per path, across every handle of this VFS instance (one process).
int HighestOtherLock(const FaultVfs::FileState& st) {
  int level = SQLITE_LOCK_NONE;
  for (const FaultVfs::FileState* other : st.owner->open_files()[st.path]) {
    if (other != &st) level = std::max(level, other->lock);
  }
  return level;
}

int xLock(sqlite3_file* f, int level) {
  FaultVfs::FileState& st = State(f);
  if (st.lock >= level) return SQLITE_OK;
  const int others = HighestOtherLock(st);
  if (level == SQLITE_LOCK_SHARED && others >= SQLITE_LOCK_PENDING) return SQLITE_BUSY;
  if (level == SQLITE_LOCK_RESERVED && others >= SQLITE_LOCK_RESERVED) return SQLITE_BUSY;
  if (level >= SQLITE_LOCK_PENDING && others >= SQLITE_LOCK_SHARED) return SQLITE_BUSY;
  st.lock = level;
  return SQLITE_OK;
}

int xUnlock(sqlite3_file* f, int level) {
  FaultVfs::FileState& st = State(f);
  JF_ASSERT_LE(level, SQLITE_LOCK_SHARED);
  st.lock = std::min(st.lock, level);
  return SQLITE_OK;
}

int xCheckReservedLock(sqlite3_file* f, int* out) {
  const FaultVfs::FileState& st = State(f);
  int level = st.lock;
  for (const FaultVfs::FileState* other : st.owner->open_files()[st.path]) level = std::max(level, other->lock);
  *out = level >= SQLITE_LOCK_RESERVED ? 1 : 0;
  return SQLITE_OK;
}

int xFileControl(sqlite3_file* f, int op, void* /*arg*/) {
  // SQLITE_OK would mean "handled": SQLITE_FCNTL_PRAGMA comes with every PRAGMA, and
  // answering OK would silently turn `PRAGMA synchronous=...` into a no-op.
  State(f).owner->NoteFileControl(op);
  return SQLITE_NOTFOUND;
}

int xSectorSize(sqlite3_file* f) { return static_cast<int>(State(f).owner->options().sector_size); }

// Nothing the crash model could break: a torn write keeps or loses whole units of
// the written range, but a reordered image may lay an older write over a newer one,
// so not even POWERSAFE_OVERWRITE.
int xDeviceCharacteristics(sqlite3_file*) { return 0; }

int xShmMap(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
  FaultVfs::FileState& st = State(f);
  FaultVfs::Shm& shm = st.owner->shm()[st.path];
  if (!st.shm_mapped) {
    st.shm_mapped = true;
    ++shm.mapped;
  }
  JF_ASSERT(shm.region_size == 0 || shm.region_size == size);
  shm.region_size = size;
  JF_ASSERT_GE(region, 0);
  if (static_cast<std::size_t>(region) >= shm.regions.size()) {
    if (extend == 0) {
      *out = nullptr;
      return SQLITE_OK;
    }
    while (shm.regions.size() <= static_cast<std::size_t>(region)) {
      shm.regions.push_back(std::make_unique<char[]>(static_cast<std::size_t>(size)));
      std::memset(shm.regions.back().get(), 0, static_cast<std::size_t>(size));
    }
  }
  *out = shm.regions[static_cast<std::size_t>(region)].get();
  return SQLITE_OK;
}

// One connection at a time uses a database in this harness: every shm lock is granted.
int xShmLock(sqlite3_file*, int offset, int n, int flags) {
  JF_ASSERT_GE(offset, 0);
  JF_ASSERT_LE(offset + n, SQLITE_SHM_NLOCK);
  JF_ASSERT(flags != 0);
  return SQLITE_OK;
}

void xShmBarrier(sqlite3_file*) { std::atomic_thread_fence(std::memory_order_seq_cst); }

int xShmUnmap(sqlite3_file* f, int /*delete_flag*/) {
  FaultVfs::FileState& st = State(f);
  if (!st.shm_mapped) return SQLITE_OK;
  st.shm_mapped = false;
  auto it = st.owner->shm().find(st.path);
  JF_ASSERT(it != st.owner->shm().end());
  // The last connection gone, the shared memory goes too (unix truncates -shm when the
  // next first connection opens it, forcing a rebuild from the WAL).
  if (--it->second.mapped == 0) st.owner->shm().erase(it);
  return SQLITE_OK;
}

const sqlite3_io_methods kIoMethods = {
    2,
    xClose,
    xRead,
    xWrite,
    xTruncate,
    xSync,
    xFileSize,
    xLock,
    xUnlock,
    xCheckReservedLock,
    xFileControl,
    xSectorSize,
    xDeviceCharacteristics,
    xShmMap,
    xShmLock,
    xShmBarrier,
    xShmUnmap,
    nullptr,
    nullptr,
};

int xOpen(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  FaultVfs* owner = Owner(vfs);
  auto* vf = reinterpret_cast<VfsFile*>(file);
  vf->base.pMethods = nullptr;  // until the open succeeded: then xClose is not called
  vf->state = nullptr;
  auto st = std::make_unique<FaultVfs::FileState>();
  st->owner = owner;
  st->path = name != nullptr ? std::string(name) : fmt::format("/.jetfault-temp-{}", owner->NextTempId());
  st->delete_on_close = (flags & SQLITE_OPEN_DELETEONCLOSE) != 0 || name == nullptr;
  faultfs::OpenOptions options;
  options.access = (flags & SQLITE_OPEN_READONLY) != 0 ? faultfs::Access::kRead : faultfs::Access::kReadWrite;
  options.share = faultfs::kShareAll;
  if ((flags & SQLITE_OPEN_CREATE) == 0) {
    options.disposition = faultfs::Disposition::kOpenExisting;
  } else {
    options.disposition = (flags & SQLITE_OPEN_EXCLUSIVE) != 0 ? faultfs::Disposition::kCreateNew
                                                               : faultfs::Disposition::kOpenAlways;
  }
  if (!owner->fs()->Open(st->path, options, &st->file).ok()) return SQLITE_CANTOPEN;
  constexpr int kJournals = SQLITE_OPEN_MAIN_JOURNAL | SQLITE_OPEN_SUPER_JOURNAL | SQLITE_OPEN_WAL;
  st->sync_dir_pending = (flags & SQLITE_OPEN_CREATE) != 0 && (flags & kJournals) != 0;
  if (out_flags != nullptr) *out_flags = flags;  // NULL for journals
  owner->open_files()[st->path].push_back(st.get());
  vf->state = st.release();
  vf->base.pMethods = &kIoMethods;
  return SQLITE_OK;
}

int xDelete(sqlite3_vfs* vfs, const char* name, int sync_dir) {
  FaultVfs* owner = Owner(vfs);
  faultfs::Status s = owner->fs()->Delete(name);
  if (!s.ok()) return s.code() == faultfs::ErrorCode::kNotFound ? SQLITE_IOERR_DELETE_NOENT : SQLITE_IOERR_DELETE;
  if (sync_dir != 0 && !owner->fs()->SyncDir(faultfs::ParentPath(name)).ok()) return SQLITE_IOERR_DIR_FSYNC;
  return SQLITE_OK;
}

int xAccess(sqlite3_vfs* vfs, const char* name, int flags, int* out) {
  bool exists = false;
  if (!Owner(vfs)->fs()->Exists(name, &exists).ok()) return SQLITE_IOERR_ACCESS;
  // SQLITE_ACCESS_READWRITE asks about a directory (temp_store_directory): any
  // existing one is writable here.
  (void)flags;
  *out = exists ? 1 : 0;
  return SQLITE_OK;
}

int xFullPathname(sqlite3_vfs* vfs, const char* name, int n_out, char* out) {
  std::string full = name[0] == '/' ? std::string(name) : "/" + std::string(name);
  if (full.size() + 1 > static_cast<std::size_t>(std::min(n_out, vfs->mxPathname + 1))) return SQLITE_CANTOPEN;
  std::memcpy(out, full.c_str(), full.size() + 1);
  return SQLITE_OK;
}

void* xDlOpen(sqlite3_vfs*, const char*) { return nullptr; }
void xDlError(sqlite3_vfs*, int n, char* out) {
  if (n > 0) std::snprintf(out, static_cast<std::size_t>(n), "extensions are not loadable here");
}
void (*xDlSym(sqlite3_vfs*, void*, const char*))(void) { return nullptr; }
void xDlClose(sqlite3_vfs*, void*) {}

int xRandomness(sqlite3_vfs* vfs, int n, char* out) {
  for (int i = 0; i < n; ++i) out[i] = static_cast<char>(Owner(vfs)->NextRandom());
  return n;
}

int xSleep(sqlite3_vfs*, int microseconds) { return microseconds; }  // never waits

// A fixed instant (2026-01-01): nothing SQLite does here may depend on the clock.
constexpr double kJulianDay = 2461041.5;
int xCurrentTime(sqlite3_vfs*, double* out) {
  *out = kJulianDay;
  return SQLITE_OK;
}
int xCurrentTimeInt64(sqlite3_vfs*, sqlite3_int64* out) {
  *out = static_cast<sqlite3_int64>(kJulianDay * 86'400'000.0);
  return SQLITE_OK;
}
int xGetLastError(sqlite3_vfs*, int, char*) { return 0; }

std::atomic<std::uint64_t> g_instances{0};

}  // namespace

FaultVfs::FaultVfs(faultfs::Vfs* fs, VfsOptions options) : fs_(fs), options_(options), random_state_(options.seed) {
  JF_ASSERT(fs != nullptr);
  JF_ASSERT_GE(options.sector_size, 512u);
  name_ = fmt::format("jetfault-{}", ++g_instances);
  vfs_.iVersion = 2;
  vfs_.szOsFile = sizeof(VfsFile);
  vfs_.mxPathname = 512;
  vfs_.zName = name_.c_str();
  vfs_.pAppData = this;
  vfs_.xOpen = xOpen;
  vfs_.xDelete = xDelete;
  vfs_.xAccess = xAccess;
  vfs_.xFullPathname = xFullPathname;
  vfs_.xDlOpen = xDlOpen;
  vfs_.xDlError = xDlError;
  vfs_.xDlSym = xDlSym;
  vfs_.xDlClose = xDlClose;
  vfs_.xRandomness = xRandomness;
  vfs_.xSleep = xSleep;
  vfs_.xCurrentTime = xCurrentTime;
  vfs_.xGetLastError = xGetLastError;
  vfs_.xCurrentTimeInt64 = xCurrentTimeInt64;
  JF_ASSERT_EQ(sqlite3_vfs_register(&vfs_, 0), SQLITE_OK);
}

FaultVfs::~FaultVfs() {
  JF_ASSERT(open_files_.empty());  // every connection on it was closed first
  sqlite3_vfs_unregister(&vfs_);
}

std::uint64_t FaultVfs::NextRandom() {
  faultfs::SplitMix64 rng(random_state_);
  random_state_ = rng.Next();
  return random_state_;
}

std::string ResultCodeLabel(int code) {
  static const std::map<int, const char*> kNames = {
      {SQLITE_OK, "SQLITE_OK"},
      {SQLITE_ERROR, "SQLITE_ERROR"},
      {SQLITE_BUSY, "SQLITE_BUSY"},
      {SQLITE_NOMEM, "SQLITE_NOMEM"},
      {SQLITE_READONLY, "SQLITE_READONLY"},
      {SQLITE_IOERR, "SQLITE_IOERR"},
      {SQLITE_CORRUPT, "SQLITE_CORRUPT"},
      {SQLITE_FULL, "SQLITE_FULL"},
      {SQLITE_CANTOPEN, "SQLITE_CANTOPEN"},
      {SQLITE_CONSTRAINT, "SQLITE_CONSTRAINT"},
      {SQLITE_NOTADB, "SQLITE_NOTADB"},
      {SQLITE_IOERR_READ, "SQLITE_IOERR_READ"},
      {SQLITE_IOERR_SHORT_READ, "SQLITE_IOERR_SHORT_READ"},
      {SQLITE_IOERR_WRITE, "SQLITE_IOERR_WRITE"},
      {SQLITE_IOERR_FSYNC, "SQLITE_IOERR_FSYNC"},
      {SQLITE_IOERR_DIR_FSYNC, "SQLITE_IOERR_DIR_FSYNC"},
      {SQLITE_IOERR_TRUNCATE, "SQLITE_IOERR_TRUNCATE"},
      {SQLITE_IOERR_FSTAT, "SQLITE_IOERR_FSTAT"},
      {SQLITE_IOERR_DELETE, "SQLITE_IOERR_DELETE"},
      {SQLITE_IOERR_ACCESS, "SQLITE_IOERR_ACCESS"},
      {SQLITE_IOERR_DELETE_NOENT, "SQLITE_IOERR_DELETE_NOENT"},
      {SQLITE_IOERR_SHMMAP, "SQLITE_IOERR_SHMMAP"},
      {SQLITE_CANTOPEN_FULLPATH, "SQLITE_CANTOPEN_FULLPATH"},
  };
  auto it = kNames.find(code);
  if (it != kNames.end()) return fmt::format("{} ({})", it->second, code);
  return fmt::format("{} ({})", sqlite3_errstr(code), code);
}

}  // namespace jetharness::sqlite
