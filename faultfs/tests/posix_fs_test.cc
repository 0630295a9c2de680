#include "faultfs/posix_fs.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_util.h"

namespace faultfs {
namespace {

using testing_util::Bytes;
using testing_util::Contents;
using testing_util::OpenRw;
using testing_util::TempDir;

OpenOptions Options(Access access, std::uint8_t share, Disposition disposition = Disposition::kOpenExisting) {
  return OpenOptions{access, share, disposition};
}

TEST(PosixFsTest, ReadWriteTruncateAndSize) {
  TempDir dir;
  PosixFs fs;
  std::unique_ptr<File> f = OpenRw(fs, dir / "a");
  ASSERT_TRUE(f->Write(3, Bytes("xyz")).ok());
  ASSERT_TRUE(f->Append(Bytes("!")).ok());
  ASSERT_TRUE(f->Sync().ok());
  EXPECT_EQ(Contents(fs, dir / "a"), std::string("\0\0\0xyz!", 7));
  ASSERT_TRUE(f->Truncate(4).ok());
  std::uint64_t size = 0;
  ASSERT_TRUE(fs.FileSize(dir / "a", &size).ok());
  EXPECT_EQ(size, 4u);
  std::unique_ptr<File> r;
  ASSERT_TRUE(fs.Open(dir / "a", Options(Access::kRead, kShareAll), &r).ok());
  EXPECT_EQ(r->Write(0, Bytes("q")).code(), ErrorCode::kAccessDenied);
}

TEST(PosixFsTest, ErrorsAreMappedNotLeaked) {
  TempDir dir;
  PosixFs fs;
  std::unique_ptr<File> f;
  EXPECT_EQ(fs.Open(dir / "missing", Options(Access::kRead, kShareAll), &f).code(), ErrorCode::kNotFound);
  EXPECT_EQ(fs.Open(dir / "no/such", Options(Access::kReadWrite, kShareAll, Disposition::kOpenAlways), &f).code(),
            ErrorCode::kNotFound);
  EXPECT_EQ(fs.Open("", Options(Access::kRead, kShareAll), &f).code(), ErrorCode::kInvalidPath);
  EXPECT_EQ(fs.Open(dir / std::string(256, 'n'), Options(Access::kRead, kShareAll), &f).code(),
            ErrorCode::kInvalidPath);
  EXPECT_EQ(fs.Open(dir.path(), Options(Access::kRead, kShareAll), &f).code(), ErrorCode::kAccessDenied);
  ASSERT_TRUE(WriteWholeFile(fs, dir / "file", Bytes("x")).ok());
  EXPECT_EQ(fs.Open(dir / "file", Options(Access::kRead, kShareAll, Disposition::kCreateNew), &f).code(),
            ErrorCode::kAlreadyExists);
  EXPECT_EQ(fs.MakeDir(dir / "file").code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(fs.RemoveDir(dir / "file").code(), ErrorCode::kAccessDenied);
  std::vector<std::string> names;
  EXPECT_EQ(fs.ListDir(dir / "file", &names).code(), ErrorCode::kAccessDenied);
  EXPECT_EQ(fs.Open(dir / "file/x", Options(Access::kRead, kShareAll), &f).code(), ErrorCode::kNotFound);
  EXPECT_EQ(fs.Delete(dir.path()).code(), ErrorCode::kAccessDenied);
  EXPECT_EQ(fs.RemoveDir(dir.path()).code(), ErrorCode::kNotEmpty);
  EXPECT_EQ(fs.Rename(dir / "missing", dir / "x").code(), ErrorCode::kNotFound);
}

TEST(PosixFsTest, DirectoriesAndRename) {
  TempDir dir;
  PosixFs fs;
  ASSERT_TRUE(MakeDirs(fs, dir / "d/e").ok());
  ASSERT_TRUE(WriteWholeFile(fs, dir / "d/new", Bytes("new")).ok());
  ASSERT_TRUE(WriteWholeFile(fs, dir / "d/cur", Bytes("old")).ok());
  ASSERT_TRUE(fs.Rename(dir / "d/new", dir / "d/cur").ok());
  ASSERT_TRUE(fs.SyncDir(dir / "d").ok());
  EXPECT_EQ(Contents(fs, dir / "d/cur"), "new");
  std::vector<std::string> names;
  ASSERT_TRUE(fs.ListDir(dir / "d", &names).ok());
  EXPECT_EQ(names, (std::vector<std::string>{"cur", "e"}));
  bool is_dir = false;
  ASSERT_TRUE(fs.IsDirectory(dir / "d/e", &is_dir).ok());
  EXPECT_TRUE(is_dir);
  ASSERT_TRUE(fs.RemoveDir(dir / "d/e").ok());
  ASSERT_TRUE(fs.Delete(dir / "d/cur").ok());
  bool exists = true;
  ASSERT_TRUE(fs.Exists(dir / "d/cur", &exists).ok());
  EXPECT_FALSE(exists);
}

// OFD locks conflict between two open file descriptions of one process, so share
// modes hold between handles of the same process without any extra table.
TEST(PosixFsTest, ShareModesHoldWithinOneProcess) {
  TempDir dir;
  PosixFs fs;
  ASSERT_TRUE(WriteWholeFile(fs, dir / "f", Bytes("x")).ok());
  std::unique_ptr<File> writer, reader, other;
  ASSERT_TRUE(fs.Open(dir / "f", Options(Access::kReadWrite, kShareRead), &writer).ok());
  EXPECT_EQ(fs.Open(dir / "f", Options(Access::kRead, kShareRead), &reader).code(), ErrorCode::kSharingViolation);
  EXPECT_TRUE(fs.Open(dir / "f", Options(Access::kRead, kShareRead | kShareWrite), &reader).ok());
  EXPECT_EQ(fs.Open(dir / "f", Options(Access::kWrite, kShareAll), &other).code(), ErrorCode::kSharingViolation);
  EXPECT_EQ(fs.Delete(dir / "f").code(), ErrorCode::kSharingViolation);
  EXPECT_EQ(fs.Rename(dir / "f", dir / "g").code(), ErrorCode::kSharingViolation);
  // kCreateAlways must not truncate a file it is not allowed to open.
  EXPECT_EQ(fs.Open(dir / "f", Options(Access::kWrite, kShareAll, Disposition::kCreateAlways), &other).code(),
            ErrorCode::kSharingViolation);
  EXPECT_EQ(Contents(fs, dir / "f"), "x");
  writer.reset();
  reader.reset();
  EXPECT_TRUE(fs.Open(dir / "f", Options(Access::kWrite, kShareNone), &other).ok());
}

TEST(PosixFsTest, RenameOverAnOpenTargetNeedsShareDelete) {
  TempDir dir;
  PosixFs fs;
  ASSERT_TRUE(WriteWholeFile(fs, dir / "a", Bytes("a")).ok());
  ASSERT_TRUE(WriteWholeFile(fs, dir / "b", Bytes("b")).ok());
  std::unique_ptr<File> target;
  ASSERT_TRUE(fs.Open(dir / "b", Options(Access::kRead, kShareRead | kShareWrite), &target).ok());
  EXPECT_EQ(fs.Rename(dir / "a", dir / "b").code(), ErrorCode::kSharingViolation);
  target.reset();
  ASSERT_TRUE(fs.Open(dir / "b", Options(Access::kRead, kShareAll), &target).ok());
  EXPECT_TRUE(fs.Rename(dir / "a", dir / "b").ok());
}

// A child process holds the file open with kShareNone; the parent's open must fail
// until the child dies (OFD locks vanish with the process).
TEST(PosixFsTest, ShareModesHoldAcrossProcesses) {
  TempDir dir;
  PosixFs fs;
  const std::string path = dir / "db.edb";
  ASSERT_TRUE(WriteWholeFile(fs, path, Bytes("db")).ok());
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(ready[0]);
    PosixFs child_fs;
    std::unique_ptr<File> held;
    char result = child_fs.Open(path, Options(Access::kReadWrite, kShareNone), &held).ok() ? 'y' : 'n';
    (void)::write(ready[1], &result, 1);
    for (;;) ::pause();  // hold the handle until killed
  }
  ::close(ready[1]);
  char result = 0;
  ASSERT_EQ(::read(ready[0], &result, 1), 1);
  ::close(ready[0]);
  ASSERT_EQ(result, 'y') << "child could not open the file";

  std::unique_ptr<File> f;
  EXPECT_EQ(fs.Open(path, Options(Access::kRead, kShareAll), &f).code(), ErrorCode::kSharingViolation);
  EXPECT_EQ(fs.Delete(path).code(), ErrorCode::kSharingViolation);

  ASSERT_EQ(::kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_TRUE(fs.Open(path, Options(Access::kRead, kShareAll), &f).ok());
}

// IsSymlink looks at the entry itself (lstat), not at what it points to.
TEST(PosixFsTest, IsSymlinkDoesNotFollowTheLink) {
  TempDir dir;
  PosixFs fs;
  OpenRw(fs, dir / "file");
  ASSERT_EQ(::symlink((dir / "file").c_str(), (dir / "link").c_str()), 0);
  ASSERT_EQ(::symlink((dir / "missing").c_str(), (dir / "dangling").c_str()), 0);
  bool is_link = true;
  ASSERT_TRUE(fs.IsSymlink(dir / "file", &is_link).ok());
  EXPECT_FALSE(is_link);
  ASSERT_TRUE(fs.IsSymlink(dir / "link", &is_link).ok());
  EXPECT_TRUE(is_link);
  is_link = false;
  ASSERT_TRUE(fs.IsSymlink(dir / "dangling", &is_link).ok());
  EXPECT_TRUE(is_link) << "a dangling link is still a link";
  ASSERT_TRUE(fs.IsSymlink(dir.path(), &is_link).ok());
  EXPECT_FALSE(is_link);
  EXPECT_EQ(fs.IsSymlink(dir / "nothing", &is_link).code(), ErrorCode::kNotFound);
}

// follow_links = false refuses a link as the last component in the open itself.
TEST(PosixFsTest, OpenWithoutFollowingLinksRefusesALink) {
  TempDir dir;
  PosixFs fs;
  OpenRw(fs, dir / "file");
  ASSERT_EQ(::symlink((dir / "file").c_str(), (dir / "link").c_str()), 0);
  OpenOptions no_follow = Options(Access::kRead, kShareAll);
  no_follow.follow_links = false;
  std::unique_ptr<File> f;
  EXPECT_EQ(fs.Open(dir / "link", no_follow, &f).code(), ErrorCode::kInvalidPath);
  EXPECT_TRUE(fs.Open(dir / "file", no_follow, &f).ok());
  f.reset();
  EXPECT_TRUE(fs.Open(dir / "link", Options(Access::kRead, kShareAll), &f).ok()) << "followed by default";
  f.reset();
  no_follow.access = Access::kReadWrite;
  no_follow.disposition = Disposition::kCreateAlways;
  EXPECT_EQ(fs.Open(dir / "link", no_follow, &f).code(), ErrorCode::kInvalidPath) << "never written through";
}

TEST(PosixFsTest, DefaultPosixFsIsOneInstance) { EXPECT_EQ(&DefaultPosixFs(), &DefaultPosixFs()); }

}  // namespace
}  // namespace faultfs
