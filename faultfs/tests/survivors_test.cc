#include "faultfs/survivors.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace faultfs {
namespace {

using testing_util::Bytes;
using testing_util::Contents;
using testing_util::OpenRw;

std::vector<std::string> Names(const std::vector<NamedCrashPolicy>& policies) {
  std::vector<std::string> names;
  for (const NamedCrashPolicy& p : policies) names.push_back(p.name);
  return names;
}

TEST(SurvivorsTest, NothingPendingGivesOneImage) {
  MemFs fs;
  EXPECT_EQ(Names(SurvivorPolicies(fs, SurvivorOptions{})), (std::vector<std::string>{"keep-all"}));
}

TEST(SurvivorsTest, EnumeratesTheStandardImages) {
  MemFs fs;
  std::unique_ptr<File> f = OpenRw(fs, "/f");  // dir op 1
  ASSERT_TRUE(f->Write(0, Bytes("a")).ok());   // write 2
  ASSERT_TRUE(f->Write(1, Bytes("b")).ok());   // write 3
  SurvivorOptions options;
  options.random_subsets = 2;
  std::vector<NamedCrashPolicy> policies = SurvivorPolicies(fs, options);
  EXPECT_EQ(Names(policies), (std::vector<std::string>{"keep-all", "drop-all", "drop-write-2", "drop-write-3",
                                                       "drop-dirop-1", "tear-2", "tear-3", "random-0", "random-1"}));
  EXPECT_EQ(Contents(*fs.CrashImage(policies[0].policy), "/f"), "ab");
  EXPECT_EQ(Contents(*fs.CrashImage(policies[2].policy), "/f"), std::string("\0b", 2));
  bool exists = true;
  ASSERT_TRUE(fs.CrashImage(policies[1].policy)->Exists("/f", &exists).ok());
  EXPECT_FALSE(exists);

  options.max_images = 3;
  EXPECT_EQ(SurvivorPolicies(fs, options).size(), 3u);
}

}  // namespace
}  // namespace faultfs
