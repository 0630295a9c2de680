// MemFs and PosixFs must agree, result code for result code and byte for byte, on any
// sequence of operations: MemFs is only a valid stand-in for real files if they do.
// PosixFs runs in a fresh directory under /tmp; MemFs path "/x" is "<tmp>/x" there.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <array>

#include "faultfs/mem_fs.h"
#include "faultfs/posix_fs.h"
#include "test_util.h"

namespace faultfs {
namespace {

using testing_util::TempDir;

// A small namespace so that operations collide often.
const std::array<const char*, 6> kPaths = {"/a", "/b", "/d", "/d/a", "/d/e", "/a/x"};
constexpr int kHandles = 4;

struct Side {
  Vfs* vfs;
  std::string root;  // prefix that maps a model path onto this side
  std::array<std::unique_ptr<File>, kHandles> handles;
  std::string Path(const char* p) const { return root + p; }
};

// One operation, decoded from a random 64-bit word (RapidCheck shrinks words towards 0,
// which shrinks operations towards "open /a").
struct Op {
  explicit Op(std::uint64_t w)
      : kind(static_cast<int>(w % 17)),
        path(kPaths[(w >> 5) % kPaths.size()]),
        path2(kPaths[(w >> 8) % kPaths.size()]),
        handle(static_cast<int>((w >> 11) % kHandles)),
        access(static_cast<Access>((w >> 13) % 3 + 1)),
        share(static_cast<std::uint8_t>((w >> 15) % 8)),
        disposition(static_cast<Disposition>((w >> 18) % 4)),
        offset((w >> 20) % 9000),
        length((w >> 34) % 700),
        fill(static_cast<std::uint8_t>(w >> 44)) {}
  int kind;
  const char* path;
  const char* path2;
  int handle;
  Access access;
  std::uint8_t share;
  Disposition disposition;
  std::uint64_t offset;
  std::uint64_t length;
  std::uint8_t fill;
};

// Runs op on one side and describes everything observable about the outcome.
std::string Run(Side& side, const Op& op) {
  std::unique_ptr<File>& h = side.handles[static_cast<std::size_t>(op.handle)];
  auto code = [](const Status& s) { return std::string(ErrorCodeName(s.code())); };
  switch (op.kind) {
    case 0:
    case 1: {
      std::unique_ptr<File> f;
      Status s = side.vfs->Open(side.Path(op.path), OpenOptions{op.access, op.share, op.disposition}, &f);
      if (s.ok()) h = std::move(f);
      return "open " + code(s);
    }
    case 2: h.reset(); return "close";
    case 3:
    case 4:
      if (!h) return "no handle";
      return "write " + code(h->Write(op.offset, std::vector<std::uint8_t>(op.length, op.fill)));
    case 5:
      if (!h) return "no handle";
      return "append " + code(h->Append(std::vector<std::uint8_t>(op.length, op.fill)));
    case 6: {
      if (!h) return "no handle";
      std::vector<std::uint8_t> buf(op.length);
      std::size_t got = 0;
      Status s = h->Read(op.offset, buf, &got);
      buf.resize(got);
      return "read " + code(s) + " " + std::string(buf.begin(), buf.end());
    }
    case 7:
      if (!h) return "no handle";
      return "truncate " + code(h->Truncate(op.offset));
    case 8: {
      if (!h) return "no handle";
      std::uint64_t size = 0;
      Status s = h->Size(&size);
      return "size " + code(s) + " " + std::to_string(size) + " sync " + code(h->Sync());
    }
    case 9: return "delete " + code(side.vfs->Delete(side.Path(op.path)));
    case 10: return "rename " + code(side.vfs->Rename(side.Path(op.path), side.Path(op.path2)));
    case 11: return "mkdir " + code(side.vfs->MakeDir(side.Path(op.path)));
    case 12: return "rmdir " + code(side.vfs->RemoveDir(side.Path(op.path)));
    case 13: {
      bool exists = false, is_dir = false;
      Status s = side.vfs->Exists(side.Path(op.path), &exists);
      Status d = side.vfs->IsDirectory(side.Path(op.path), &is_dir);
      return "exists " + code(s) + (exists ? " yes " : " no ") + code(d) + (d.ok() && is_dir ? " dir" : "");
    }
    case 14: {
      std::vector<std::string> names;
      Status s = side.vfs->ListDir(side.Path(op.path), &names);
      std::string out = "list " + code(s);
      for (const std::string& n : names) out += " " + n;
      return out;
    }
    case 15: {
      std::uint64_t size = 0;
      Status s = side.vfs->FileSize(side.Path(op.path), &size);
      return "filesize " + code(s) + " " + (s.ok() ? std::to_string(size) : "");
    }
    default: return "syncdir " + code(side.vfs->SyncDir(side.Path(op.path)));
  }
}

RC_GTEST_PROP(DifferentialProperty, MemFsAndPosixFsAgree, (const std::vector<std::uint64_t>& words)) {
  TempDir dir;
  MemFs mem;
  PosixFs posix;
  Side a{&mem, "", {}};
  Side b{&posix, dir.path(), {}};
  for (std::size_t i = 0; i < words.size(); ++i) {
    Op op(words[i]);
    std::string mem_result = Run(a, op);
    std::string posix_result = Run(b, op);
    RC_LOG() << "step " << i << ": " << mem_result << "\n";
    RC_ASSERT(mem_result == posix_result);
  }
}

}  // namespace
}  // namespace faultfs
