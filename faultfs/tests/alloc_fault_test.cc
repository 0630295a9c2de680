#include "faultfs/alloc_fault.h"

#include <gtest/gtest.h>

#include <thread>

namespace faultfs {
namespace {

TEST(AllocFaultTest, WithoutAnInjectorEverythingIsAllowed) {
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(AllocationAllowed("page"));
}

TEST(AllocFaultTest, FailsOnlyTheNthMatchingCall) {
  AllocFaultInjector injector("log.*", 1, /*persistent=*/false);
  EXPECT_TRUE(AllocationAllowed("page.buffer"));  // does not match
  EXPECT_TRUE(AllocationAllowed("log.buffer"));   // match 0
  EXPECT_FALSE(AllocationAllowed("log.record"));  // match 1: fails
  EXPECT_TRUE(AllocationAllowed("log.buffer"));   // match 2
  EXPECT_EQ(injector.calls(), 4u);
  EXPECT_EQ(injector.failures(), 1u);
  EXPECT_EQ(injector.sites_seen(), (std::vector<std::string>{"page.buffer", "log.buffer", "log.record"}));
}

TEST(AllocFaultTest, PersistentFailsEveryLaterMatch) {
  AllocFaultInjector injector("*", 2, /*persistent=*/true);
  EXPECT_TRUE(AllocationAllowed("a"));
  EXPECT_TRUE(AllocationAllowed("b"));
  EXPECT_FALSE(AllocationAllowed("c"));
  EXPECT_FALSE(AllocationAllowed("d"));
  EXPECT_EQ(injector.failures(), 2u);
}

TEST(AllocFaultTest, InjectorsNestAndUninstall) {
  {
    AllocFaultInjector outer("*", 0, /*persistent=*/true);
    {
      AllocFaultInjector inner("never", 0, /*persistent=*/false);
      EXPECT_TRUE(AllocationAllowed("x")) << "the innermost injector decides";
    }
    EXPECT_FALSE(AllocationAllowed("x")) << "the outer one is back";
  }
  EXPECT_TRUE(AllocationAllowed("x")) << "none installed";
}

TEST(AllocFaultTest, InjectorIsPerThread) {
  AllocFaultInjector injector("*", 0, /*persistent=*/true);
  bool other_thread_allowed = false;
  std::thread t([&] { other_thread_allowed = AllocationAllowed("x"); });
  t.join();
  EXPECT_TRUE(other_thread_allowed);
  EXPECT_FALSE(AllocationAllowed("x"));
}

// Counting then failing each site in turn: the campaign pattern the harness uses.
TEST(AllocFaultTest, EnumerateThenFailEachCall) {
  auto work = [] {
    int failures = 0;
    for (const char* site : {"a", "b", "c"}) failures += AllocationAllowed(site) ? 0 : 1;
    return failures;
  };
  std::uint64_t total = 0;
  {
    AllocFaultInjector counter("*", UINT64_MAX, false);
    EXPECT_EQ(work(), 0);
    total = counter.calls();
  }
  ASSERT_EQ(total, 3u);
  for (std::uint64_t n = 0; n < total; ++n) {
    AllocFaultInjector injector("*", n, false);
    EXPECT_EQ(work(), 1) << "n=" << n;
  }
}

}  // namespace
}  // namespace faultfs
