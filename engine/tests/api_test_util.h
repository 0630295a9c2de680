// api_test_util.h — shared helpers for the engine's API-level tests: an instance on a
// MemFs, checked calls, and a reader of a whole table.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/test_reset.h"
#include "faultfs/mem_fs.h"
#include "jet/jet.h"

namespace jet_test {

#define ASSERT_JET(expr)                                                                            \
  do {                                                                                              \
    JET_ERR jet_err_ = (expr);                                                                      \
    ASSERT_GE(jet_err_, 0) << #expr << " -> " << JetErrorName(jet_err_) << " (" << jet_err_ << ")"; \
  } while (0)

#define EXPECT_JET_ERR(expected, expr)                                          \
  do {                                                                          \
    JET_ERR jet_err_ = (expr);                                                  \
    EXPECT_EQ(jet_err_, expected) << #expr << " -> " << JetErrorName(jet_err_); \
  } while (0)

inline const char* kDbPath = "/data/test.edb";

// An instance configured on `fs`: logs in /log, checkpoint in /sys.
inline JET_ERR CreateConfigured(faultfs::Vfs* fs, JET_INSTANCE* inst, std::uint32_t page_size = 8192,
                                unsigned long log_kib = 256, bool circular = false) {
  JET_ERR err = JetCreateInstance(inst, "test");
  if (err < 0) return err;
  JetSetSystemParameter(inst, JET_sesidNil, JET_paramVfs, reinterpret_cast<JET_API_PTR>(fs), nullptr);
  JetSetSystemParameter(inst, JET_sesidNil, JET_paramLogFilePath, 0, "/log");
  JetSetSystemParameter(inst, JET_sesidNil, JET_paramSystemPath, 0, "/sys");
  JetSetSystemParameter(inst, JET_sesidNil, JET_paramDatabasePageSize, page_size, nullptr);
  JetSetSystemParameter(inst, JET_sesidNil, JET_paramLogFileSize, log_kib, nullptr);
  // Restores into a new destination (e.g. /restored), as jetutil does; the rule without
  // it (JET_errInvalidPath) is tested in restore_seed_test.cc.
  JetSetSystemParameter(inst, JET_sesidNil, JET_paramCreatePathIfNotExist, 1, nullptr);
  return JetSetSystemParameter(inst, JET_sesidNil, JET_paramCircularLog, circular ? 1 : 0, nullptr);
}

inline std::string RetrieveString(JET_SESID ses, JET_TABLEID tab, const std::string& key, JET_ERR* err) {
  unsigned long size = 0;
  *err = JetRetrieveRecord(ses, tab, key.data(), static_cast<unsigned long>(key.size()), nullptr, 0, &size);
  if (*err < 0) return {};
  std::string value(size, '\0');
  *err = JetRetrieveRecord(ses, tab, key.data(), static_cast<unsigned long>(key.size()), value.data(), size, &size);
  return value;
}

// Every (key, value) of a table in key order, through JetMove.
inline JET_ERR ReadTable(JET_SESID ses, JET_TABLEID tab, std::map<std::string, std::string>* out) {
  out->clear();
  JET_ERR err = JetMove(ses, tab, JET_MoveFirst, 0);
  while (err >= 0) {
    unsigned long cb = 0;
    std::string key(JET_cbKeyMost, '\0');
    if ((err = JetRetrieveKey(ses, tab, key.data(), JET_cbKeyMost, &cb, 0)) < 0) return err;
    key.resize(cb);
    if ((err = JetRetrieveCurrentValue(ses, tab, nullptr, 0, &cb)) < 0) return err;
    std::string value(cb, '\0');
    if ((err = JetRetrieveCurrentValue(ses, tab, value.data(), cb, &cb)) < 0) return err;
    (*out)[key] = value;
    err = JetMove(ses, tab, JET_MoveNext, 0);
  }
  return err == JET_errNoCurrentRecord ? JET_errSuccess : err;
}

// Initialises a configured instance, begins a session and either creates kDbPath with
// table "t" or attaches and opens them: the start every engine test shares.
inline JET_ERR InitAndOpenTable(JET_INSTANCE* inst, JET_SESID* ses, JET_DBID* dbid, JET_TABLEID* tab, bool create) {
  JET_ERR err = JetInit(inst);
  if (err >= 0) err = JetBeginSession(*inst, ses, nullptr, nullptr);
  if (err < 0) return err;
  if (create) {
    if ((err = JetCreateDatabase(*ses, kDbPath, nullptr, dbid, 0)) < 0) return err;
    return JetCreateTable(*ses, *dbid, "t", 0, 0, tab);
  }
  if ((err = JetAttachDatabase(*ses, kDbPath, 0)) < 0) return err;
  if ((err = JetOpenDatabase(*ses, kDbPath, nullptr, dbid, 0)) < 0) return err;
  return JetOpenTable(*ses, *dbid, "t", nullptr, 0, 0, tab);
}

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override { jet::core::ResetProcessStateForTests(); }
  void TearDown() override { jet::core::ResetProcessStateForTests(); }
};

}  // namespace jet_test
