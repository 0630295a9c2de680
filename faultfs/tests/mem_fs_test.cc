#include "faultfs/mem_fs.h"

#include <gtest/gtest.h>

#include <thread>

#include "test_util.h"

namespace faultfs {
namespace {

using testing_util::Bytes;
using testing_util::Contents;
using testing_util::OpenRw;

TEST(MemFsTest, WriteReadAndSparseZeros) {
  MemFs fs;
  std::unique_ptr<File> f = OpenRw(fs, "/a");
  ASSERT_TRUE(f->Write(5000, Bytes("xyz")).ok());
  std::uint64_t size = 0;
  ASSERT_TRUE(f->Size(&size).ok());
  EXPECT_EQ(size, 5003u);
  std::string all = Contents(fs, "/a");
  EXPECT_EQ(all.substr(0, 5000), std::string(5000, '\0'));
  EXPECT_EQ(all.substr(5000), "xyz");
  ASSERT_TRUE(f->Append(Bytes("!")).ok());
  EXPECT_EQ(Contents(fs, "/a").substr(5000), "xyz!");
}

TEST(MemFsTest, ShrinkThenGrowReadsZeros) {
  MemFs fs;
  std::unique_ptr<File> f = OpenRw(fs, "/a");
  ASSERT_TRUE(f->Write(0, Bytes("abcdef")).ok());
  ASSERT_TRUE(f->Truncate(2).ok());
  ASSERT_TRUE(f->Truncate(6).ok());
  EXPECT_EQ(Contents(fs, "/a"), std::string("ab\0\0\0\0", 6));
}

TEST(MemFsTest, ReadOnlyHandleCannotWrite) {
  MemFs fs;
  OpenRw(fs, "/a");
  std::unique_ptr<File> f;
  ASSERT_TRUE(fs.Open("/a", OpenOptions{Access::kRead, kShareAll, Disposition::kOpenExisting}, &f).ok());
  EXPECT_EQ(f->Write(0, Bytes("x")).code(), ErrorCode::kAccessDenied);
  EXPECT_EQ(f->Truncate(0).code(), ErrorCode::kAccessDenied);
}

TEST(MemFsTest, PathValidation) {
  MemFs fs;
  std::unique_ptr<File> f;
  OpenOptions create{Access::kReadWrite, kShareAll, Disposition::kOpenAlways};
  EXPECT_EQ(fs.Open("", create, &f).code(), ErrorCode::kInvalidPath);
  EXPECT_EQ(fs.Open("relative", create, &f).code(), ErrorCode::kInvalidPath);
  EXPECT_EQ(fs.Open(std::string("/a\0b", 4), create, &f).code(), ErrorCode::kInvalidPath);
  EXPECT_EQ(fs.Open("/" + std::string(256, 'x'), create, &f).code(), ErrorCode::kInvalidPath);
  EXPECT_TRUE(fs.Open("/" + std::string(255, 'x'), create, &f).ok());
  EXPECT_EQ(fs.Open("/missing/a", create, &f).code(), ErrorCode::kNotFound);
  EXPECT_EQ(fs.Open("/", create, &f).code(), ErrorCode::kAccessDenied);
}

TEST(MemFsTest, DirectoryOperations) {
  MemFs fs;
  ASSERT_TRUE(fs.MakeDir("/d").ok());
  EXPECT_EQ(fs.MakeDir("/d").code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(fs.MakeDir("/x/y").code(), ErrorCode::kNotFound);
  OpenRw(fs, "/d/b");
  OpenRw(fs, "/d/a");
  std::vector<std::string> names;
  ASSERT_TRUE(fs.ListDir("/d", &names).ok());
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(fs.RemoveDir("/d").code(), ErrorCode::kNotEmpty);
  EXPECT_EQ(fs.Delete("/d").code(), ErrorCode::kAccessDenied);
  EXPECT_EQ(fs.RemoveDir("/d/a").code(), ErrorCode::kAccessDenied);
  ASSERT_TRUE(fs.Delete("/d/a").ok());
  ASSERT_TRUE(fs.Rename("/d/b", "/c").ok());
  ASSERT_TRUE(fs.RemoveDir("/d").ok());
  bool exists = true;
  ASSERT_TRUE(fs.Exists("/d", &exists).ok());
  EXPECT_FALSE(exists);
  ASSERT_TRUE(fs.Exists("/c", &exists).ok());
  EXPECT_TRUE(exists);
}

TEST(MemFsTest, ShareModesFollowWindowsRules) {
  MemFs fs;
  OpenRw(fs, "/f");
  std::unique_ptr<File> writer, reader, other;
  ASSERT_TRUE(fs.Open("/f", OpenOptions{Access::kReadWrite, kShareRead, Disposition::kOpenExisting}, &writer).ok());
  // A reader is allowed by the writer's kShareRead, but must itself share write.
  EXPECT_EQ(fs.Open("/f", OpenOptions{Access::kRead, kShareRead, Disposition::kOpenExisting}, &reader).code(),
            ErrorCode::kSharingViolation);
  EXPECT_TRUE(
      fs.Open("/f", OpenOptions{Access::kRead, kShareRead | kShareWrite, Disposition::kOpenExisting}, &reader).ok());
  EXPECT_EQ(fs.Open("/f", OpenOptions{Access::kWrite, kShareAll, Disposition::kOpenExisting}, &other).code(),
            ErrorCode::kSharingViolation);
  EXPECT_EQ(fs.Delete("/f").code(), ErrorCode::kSharingViolation);
  EXPECT_EQ(fs.Rename("/f", "/g").code(), ErrorCode::kSharingViolation);
  writer.reset();
  reader.reset();
  EXPECT_TRUE(fs.Open("/f", OpenOptions{Access::kWrite, kShareNone, Disposition::kOpenExisting}, &other).ok());
}

TEST(MemFsTest, DeleteOfFileOpenWithShareDeleteKeepsHandleUsable) {
  MemFs fs;
  std::unique_ptr<File> f = OpenRw(fs, "/f");
  ASSERT_TRUE(f->Write(0, Bytes("data")).ok());
  ASSERT_TRUE(fs.Delete("/f").ok());
  std::uint8_t buf[4];
  std::size_t got = 0;
  ASSERT_TRUE(f->Read(0, buf, &got).ok());
  EXPECT_EQ(got, 4u);
  EXPECT_EQ(std::string(buf, buf + 4), "data");
}

// /f holds "synced" durably (file, name and data), then "+volatile" unsynced after it.
std::unique_ptr<File> SyncedThenVolatile(MemFs& fs) {
  std::unique_ptr<File> f = OpenRw(fs, "/f");
  EXPECT_TRUE(fs.SyncDir("/").ok());
  EXPECT_TRUE(f->Write(0, Bytes("synced")).ok());
  EXPECT_TRUE(f->Sync().ok());
  EXPECT_TRUE(f->Write(6, Bytes("+volatile")).ok());
  return f;
}

TEST(MemFsTest, UnsyncedWritesAreDroppedSyncedSurvive) {
  MemFs fs;
  std::unique_ptr<File> f = SyncedThenVolatile(fs);
  ASSERT_EQ(fs.PendingWrites().size(), 1u);
  EXPECT_EQ(fs.PendingWrites()[0].offset, 6u);
  EXPECT_EQ(fs.PendingWrites()[0].length, 9u);

  EXPECT_EQ(Contents(*fs.CrashImage(CrashPolicy::DropAll()), "/f"), "synced");
  EXPECT_EQ(Contents(*fs.CrashImage(CrashPolicy::KeepAll()), "/f"), "synced+volatile");
  // The image is fully durable: crashing it again changes nothing.
  auto image = fs.CrashImage(CrashPolicy::KeepAll());
  EXPECT_TRUE(image->PendingWrites().empty());
  EXPECT_EQ(Contents(*image->CrashImage(CrashPolicy::DropAll()), "/f"), "synced+volatile");
}

// Images are equal by what they hold, whatever history built them: a crash anywhere
// between two syncs loses the same writes; sparse blocks equal written zeros; one
// byte, one name or a directory where a file was makes them differ.
TEST(MemFsTest, SameImageComparesWhatTheImagesHold) {
  MemFs fs;
  std::unique_ptr<File> f = SyncedThenVolatile(fs);
  auto early = fs.CrashImage(CrashPolicy::DropAll());
  ASSERT_TRUE(f->Write(9000, Bytes("more")).ok());
  auto late = fs.CrashImage(CrashPolicy::DropAll());
  EXPECT_TRUE(early->SameImage(*late));
  EXPECT_EQ(early->ImageHash(), late->ImageHash());
  auto kept = fs.CrashImage(CrashPolicy::KeepAll());
  EXPECT_FALSE(early->SameImage(*kept));
  EXPECT_NE(early->ImageHash(), kept->ImageHash());

  // The same bytes written separately (other blocks), or a hole read as zeros.
  MemFs a, b;
  ASSERT_TRUE(OpenRw(a, "/z")->Truncate(5000).ok());
  ASSERT_TRUE(OpenRw(b, "/z")->Write(0, std::vector<std::uint8_t>(5000, 0)).ok());
  auto image_a = a.CrashImage(CrashPolicy::KeepAll());
  auto image_b = b.CrashImage(CrashPolicy::KeepAll());
  EXPECT_TRUE(image_a->SameImage(*image_b));
  EXPECT_EQ(image_a->ImageHash(), image_b->ImageHash());

  ASSERT_TRUE(OpenRw(b, "/z")->Write(4999, Bytes("x")).ok());
  EXPECT_FALSE(image_a->SameImage(*b.CrashImage(CrashPolicy::KeepAll())));
  auto renamed = a.Clone();
  ASSERT_TRUE(renamed->Rename("/z", "/y").ok());
  EXPECT_FALSE(image_a->SameImage(*renamed->CrashImage(CrashPolicy::KeepAll())));
  MemFs dir;
  ASSERT_TRUE(dir.MakeDir("/z").ok());
  EXPECT_FALSE(image_a->SameImage(*dir.CrashImage(CrashPolicy::KeepAll())));
}

TEST(MemFsTest, NewFileNeedsDirectorySync) {
  MemFs fs;
  ASSERT_TRUE(fs.MakeDir("/d").ok());
  ASSERT_TRUE(fs.SyncDir("/").ok());
  std::unique_ptr<File> f = OpenRw(fs, "/d/f");
  ASSERT_TRUE(f->Write(0, Bytes("x")).ok());
  ASSERT_TRUE(f->Sync().ok());
  bool exists = true;
  ASSERT_TRUE(fs.CrashImage(CrashPolicy::DropAll())->Exists("/d/f", &exists).ok());
  EXPECT_FALSE(exists) << "file data synced but its name never was";
  ASSERT_EQ(fs.PendingDirOps().size(), 1u);
  EXPECT_EQ(fs.PendingDirOps()[0].description, "create /d/f");
  ASSERT_TRUE(fs.SyncDir("/d").ok());
  EXPECT_TRUE(fs.PendingDirOps().empty());
  EXPECT_EQ(Contents(*fs.CrashImage(CrashPolicy::DropAll()), "/d/f"), "x");
}

TEST(MemFsTest, UnsyncedRenameKeepsOldNameWhenDropped) {
  MemFs fs;
  ASSERT_TRUE(WriteWholeFile(fs, "/tmp", Bytes("new")).ok());
  ASSERT_TRUE(WriteWholeFile(fs, "/cur", Bytes("old")).ok());
  ASSERT_TRUE(fs.SyncDir("/").ok());
  ASSERT_TRUE(fs.Rename("/tmp", "/cur").ok());
  auto dropped = fs.CrashImage(CrashPolicy::DropAll());
  EXPECT_EQ(Contents(*dropped, "/cur"), "old");
  EXPECT_EQ(Contents(*dropped, "/tmp"), "new");
  auto kept = fs.CrashImage(CrashPolicy::KeepAll());
  EXPECT_EQ(Contents(*kept, "/cur"), "new");
  bool exists = true;
  ASSERT_TRUE(kept->Exists("/tmp", &exists).ok());
  EXPECT_FALSE(exists);
}

TEST(MemFsTest, TornWriteKeepsWholeAtomicUnits) {
  MemFs fs;
  std::unique_ptr<File> f = OpenRw(fs, "/f");
  ASSERT_TRUE(f->Write(0, std::vector<std::uint8_t>(4096, 'o')).ok());
  ASSERT_TRUE(f->Sync().ok());
  ASSERT_TRUE(fs.SyncDir("/").ok());
  ASSERT_TRUE(f->Write(0, std::vector<std::uint8_t>(4096, 'n')).ok());
  std::uint64_t sequence = fs.PendingWrites().at(0).sequence;
  bool saw_mixed = false;
  for (std::uint64_t seed = 0; seed < 16; ++seed) {
    CrashPolicy policy;
    policy.seed = seed;
    policy.atomic_unit = 512;
    policy.write_overrides[sequence] = Fate::kTear;
    std::string image = Contents(*fs.CrashImage(policy), "/f");
    ASSERT_EQ(image.size(), 4096u);
    for (std::size_t unit = 0; unit < 8; ++unit) {
      std::string piece = image.substr(unit * 512, 512);
      EXPECT_TRUE(piece == std::string(512, 'o') || piece == std::string(512, 'n')) << "seed " << seed;
    }
    saw_mixed |= image.find('o') != std::string::npos && image.find('n') != std::string::npos;
    EXPECT_EQ(image, Contents(*fs.CrashImage(policy), "/f")) << "same policy, same image";
  }
  EXPECT_TRUE(saw_mixed);
}

TEST(MemFsTest, CloneIsIndependent) {
  MemFs fs;
  std::unique_ptr<File> f = OpenRw(fs, "/f");
  ASSERT_TRUE(f->Write(0, Bytes("before")).ok());
  auto clone = fs.Clone();
  ASSERT_TRUE(f->Write(0, Bytes("AFTER!")).ok());
  EXPECT_EQ(Contents(*clone, "/f"), "before");
  EXPECT_EQ(Contents(fs, "/f"), "AFTER!");
  EXPECT_EQ(clone->PendingWrites().size(), 1u);
  // The clone has no open handles: an exclusive open succeeds there.
  std::unique_ptr<File> g;
  EXPECT_TRUE(clone->Open("/f", OpenOptions{Access::kReadWrite, kShareNone, Disposition::kOpenExisting}, &g).ok());
}

TEST(MemFsTest, LostUnsyncedWritesNeverBecomeDurable) {
  MemFs fs;
  std::unique_ptr<File> f = OpenRw(fs, "/f");
  ASSERT_TRUE(fs.SyncDir("/").ok());
  ASSERT_TRUE(f->Write(0, Bytes("lost")).ok());
  EXPECT_EQ(fs.LoseUnsyncedWrites(*f), 1u);
  EXPECT_EQ(Contents(fs, "/f"), "lost") << "the page cache still shows the data";
  ASSERT_TRUE(f->Sync().ok());
  EXPECT_EQ(Contents(*fs.CrashImage(CrashPolicy::KeepAll()), "/f"), "");
}

TEST(MemFsTest, CorruptStoredChangesBothStates) {
  MemFs fs;
  ASSERT_TRUE(WriteWholeFile(fs, "/f", Bytes("hello")).ok());
  ASSERT_TRUE(fs.SyncDir("/").ok());
  ASSERT_TRUE(fs.CorruptStored("/f", 1, Bytes("EL")).ok());
  EXPECT_EQ(Contents(fs, "/f"), "hELlo");
  EXPECT_EQ(Contents(*fs.CrashImage(CrashPolicy::DropAll()), "/f"), "hELlo");
}

TEST(MemFsTest, ReorderCanLetAnOlderWriteWin) {
  MemFs fs;
  std::unique_ptr<File> f = OpenRw(fs, "/f");
  ASSERT_TRUE(fs.SyncDir("/").ok());
  ASSERT_TRUE(f->Write(0, Bytes("first")).ok());
  ASSERT_TRUE(f->Write(0, Bytes("secnd")).ok());
  bool saw_older_win = false;
  for (std::uint64_t seed = 0; seed < 16; ++seed) {
    CrashPolicy policy;
    policy.seed = seed;
    policy.reorder = true;
    std::string image = Contents(*fs.CrashImage(policy), "/f");
    EXPECT_TRUE(image == "first" || image == "secnd");
    saw_older_win |= image == "first";
  }
  EXPECT_TRUE(saw_older_win);
}

// One mutex guards everything: concurrent writers, readers, syncs and crash images
// neither corrupt each other nor deadlock (run under the sanitizer build too).
TEST(MemFsTest, ConcurrentUseIsSafe) {
  MemFs fs;
  ASSERT_TRUE(fs.MakeDir("/t").ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&fs, t] {
      std::unique_ptr<File> f = OpenRw(fs, "/t/" + std::to_string(t));
      for (int i = 0; i < 200; ++i) {
        EXPECT_TRUE(f->Append(std::vector<std::uint8_t>(100, static_cast<std::uint8_t>('a' + t))).ok());
        if (i % 50 == 0) {
          EXPECT_TRUE(f->Sync().ok());
          EXPECT_TRUE(fs.SyncDir("/t").ok());
          (void)fs.CrashImage(CrashPolicy::Random(static_cast<std::uint64_t>(i)));
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int t = 0; t < 4; ++t) {
    EXPECT_EQ(Contents(fs, "/t/" + std::to_string(t)), std::string(20000, static_cast<char>('a' + t)));
  }
}

}  // namespace
}  // namespace faultfs
