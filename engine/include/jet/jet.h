// jet/jet.h — the public API of the jetfault storage engine.
//
// Names, types, constants and error codes follow ESE (esent.h / jethdr.w) wherever
// ESE has them, so code written against ESE reads the same here. Where ESE's
// column-based record API would add nothing to what this project tests (restore and
// recovery), records are a binary primary key with a binary value; those calls are
// named JetInsertRecord, JetReplaceRecord, ... and are marked "jetfault" below.
//
// Every call returns a JET_ERR: 0 on success, a negative JET_err on failure, a
// positive JET_wrn for success with a warning. No call throws.
//
// All storage I/O goes through a faultfs::Vfs. By default an instance uses the
// process-wide PosixFs; set JET_paramVfs to run an instance on MemFs or FaultFs.
//
// Unlike esent.h this is a C++ header with C++ linkage (inline constexpr constants,
// std:: integer types, faultfs::Vfs*): it cannot be included from C.
#pragma once

#include <cstddef>
#include <cstdint>

namespace faultfs {
class Vfs;
}

using JET_ERR = std::int32_t;
using JET_API_PTR = std::uintptr_t;
using JET_INSTANCE = JET_API_PTR;
using JET_SESID = JET_API_PTR;
using JET_TABLEID = JET_API_PTR;
using JET_DBID = std::uint32_t;
using JET_GRBIT = std::uint32_t;
using JET_SNP = std::uint32_t;
using JET_SNT = std::uint32_t;
using JET_PCSTR = const char*;

inline constexpr JET_INSTANCE JET_instanceNil = ~JET_INSTANCE{0};
inline constexpr JET_SESID JET_sesidNil = ~JET_SESID{0};
inline constexpr JET_TABLEID JET_tableidNil = ~JET_TABLEID{0};
inline constexpr JET_DBID JET_dbidNil = ~JET_DBID{0};

// ---- error codes -------------------------------------------------------------------
#define JET_ERROR(name, value, message) inline constexpr JET_ERR name = value;
#include "jet/jet_errors.def"
#undef JET_ERROR

// "JET_errLogFileCorrupt" for -501; "JET_err?" for a code not in the table.
const char* JetErrorName(JET_ERR err);
// A one-line human-readable description of the code.
const char* JetErrorMessage(JET_ERR err);
// What the engine knows about the last error a call on this thread returned: the file,
// the generation or page, what was found ("…/edb00003.log: signLog differs from
// generation 2"). Empty when it recorded nothing. Every public call clears it on entry;
// the pointer is valid until the next call on this thread.
const char* JetGetLastErrorDetail();
// Number of codes in the table and the i-th (for generated docs and tools).
std::size_t JetErrorCount();
JET_ERR JetErrorAt(std::size_t index);

// ---- progress callbacks (docs/ESE_FACTS.md §2) -------------------------------------
inline constexpr JET_SNP JET_snpRepair = 2;
inline constexpr JET_SNP JET_snpCompact = 4;
inline constexpr JET_SNP JET_snpRestore = 8;
inline constexpr JET_SNP JET_snpBackup = 9;
inline constexpr JET_SNT JET_sntProgress = 0;
inline constexpr JET_SNT JET_sntFail = 3;
inline constexpr JET_SNT JET_sntBegin = 5;
inline constexpr JET_SNT JET_sntComplete = 6;

struct JET_SNPROG {
  unsigned long cbStruct;
  unsigned long cunitDone;
  unsigned long cunitTotal;
};

// Called as pfn(JET_sesidNil, snp, snt, JET_SNPROG*). The return value is ignored.
using JET_PFNSTATUS = JET_ERR (*)(JET_SESID sesid, JET_SNP snp, JET_SNT snt, void* pv);

// ---- system parameters (ESE's numbers) -------------------------------------------------
inline constexpr unsigned long JET_paramSystemPath = 0;    // checkpoint directory (string)
inline constexpr unsigned long JET_paramTempPath = 1;      // accepted, unused
inline constexpr unsigned long JET_paramLogFilePath = 2;   // log directory (string)
inline constexpr unsigned long JET_paramBaseName = 3;      // exactly 3 characters, default "edb"
inline constexpr unsigned long JET_paramLogFileSize = 11;  // KiB per log generation (default 1024)
// jetfault: a log generation holds at least this many database pages. One log record
// carries the image of every page one operation changes (a split: both halves and the
// parent) and never spans generations, so JetInit and JetRestoreInstance refuse a
// JET_paramLogFileSize below JET_cpgLogFileMin * JET_paramDatabasePageSize / 1024 KiB
// with JET_errInvalidParameter (the 64 KiB floor covers it up to 8 KiB pages).
inline constexpr unsigned long JET_cpgLogFileMin = 8;
inline constexpr unsigned long JET_paramCircularLog = 17;  // 0/1, default 0
// Page cache limit of each attached database, in pages. Default (and 0): 32 MiB of
// pages at JET_paramDatabasePageSize (4,096 of 8 KiB); ESE's default is physical memory.
inline constexpr unsigned long JET_paramCacheSizeMax = 23;
inline constexpr unsigned long JET_paramRecovery = 34;          // "on" (default); "off": no soft recovery, no log
inline constexpr unsigned long JET_paramDatabasePageSize = 64;  // 4096, 8192, 16384, 32768
// Read-only: the bytes of a long value one page holds at the configured page size (a
// value of n times this many bytes fills exactly n long-value pages).
inline constexpr unsigned long JET_paramLVChunkSizeMost = 163;
// 0 (default) / 1. JetRestoreInstance refuses a missing destination, log or system path
// with JET_errInvalidPath unless this is set; then it creates them (ESE's rule). JetInit
// creates the log and system paths either way.
inline constexpr unsigned long JET_paramCreatePathIfNotExist = 100;
// jetfault: a faultfs::Vfs* passed as lParam; the caller keeps it alive until JetTerm.
inline constexpr unsigned long JET_paramVfs = 0x10001;
// jetfault: JetRestoreInstance's structured events (the seed's "Event Log entries"):
// a JET_PFNEVENT passed as lParam (null: none) is called with one JSON object per step
// ({"event": "restore_begin" | "set_verified" | "database_copied" |
// "generation_replayed" | "recovered" | "result", ...}), without the instance mutex.
using JET_PFNEVENT = void (*)(const char* json_line);
inline constexpr unsigned long JET_paramRestoreEventSink = 0x10002;
// jetfault: bytes of memory JetRestoreInstance's page link tables (16 bytes a page of
// every database restored, docs/RESTORE.md "Memory") may hold, all databases together.
// Default (and 0): 8 MiB, the table of 4 GiB of 8 KiB pages. A larger table is kept in
// a scratch file <target>.jetlinks next to its database, read through a cache of this
// size, and deleted before JetRestoreInstance returns.
inline constexpr unsigned long JET_paramRestoreLinkMemoryMax = 0x10003;

// ---- grbits -----------------------------------------------------------------------------
inline constexpr JET_GRBIT JET_bitCommitLazyFlush = 0x1;       // JetCommitTransaction
inline constexpr JET_GRBIT JET_bitWaitLastLevel0Commit = 0x2;  // flush the log up to the last commit
inline constexpr JET_GRBIT JET_bitBackupIncremental = 0x1;     // JetBackupInstance
inline constexpr JET_GRBIT JET_bitBackupAtomic = 0x4;
inline constexpr JET_GRBIT JET_bitTermComplete = 0x1;           // JetTerm2
inline constexpr JET_GRBIT JET_bitTermAbrupt = 0x2;             // no clean shutdown (as if the process died)
inline constexpr JET_GRBIT JET_bitDbReadOnly = 0x1;             // attach/open: never written, updates -1809
inline constexpr JET_GRBIT JET_bitDbOverwriteExisting = 0x200;  // JetCreateDatabase

// JetMove offsets (ESE's values).
inline constexpr long JET_MoveFirst = static_cast<long>(0x80000000u);
inline constexpr long JET_MovePrevious = -1;
inline constexpr long JET_MoveNext = 1;
inline constexpr long JET_MoveLast = 0x7fffffff;

// ---- instances -------------------------------------------------------------------------
// Creates an instance and puts the process in multi-instance mode.
JET_ERR JetCreateInstance(JET_INSTANCE* pinstance, JET_PCSTR szInstanceName);
// pinstance may be null (legacy single-instance mode: the global instance).
JET_ERR JetSetSystemParameter(JET_INSTANCE* pinstance, JET_SESID sesid, unsigned long paramid, JET_API_PTR lParam,
                              JET_PCSTR szParam);
JET_ERR JetGetSystemParameter(JET_INSTANCE instance, JET_SESID sesid, unsigned long paramid, JET_API_PTR* plParam,
                              char* szParam, unsigned long cbMax);
// Initialises the instance, running soft recovery when the logs say it is needed.
// pinstance null, or pointing at JET_instanceNil, means legacy mode.
JET_ERR JetInit(JET_INSTANCE* pinstance);
JET_ERR JetTerm(JET_INSTANCE instance);
JET_ERR JetTerm2(JET_INSTANCE instance, JET_GRBIT grbit);

// ---- backup and restore ----------------------------------------------------------------
JET_ERR JetBackupInstance(JET_INSTANCE instance, JET_PCSTR szBackupPath, JET_GRBIT grbit, JET_PFNSTATUS pfnStatus);
// Restores the backup set in sz to szDest (or the databases' original paths when
// szDest is null) and recovers them; see docs/RESTORE.md for the full contract.
JET_ERR JetRestoreInstance(JET_INSTANCE instance, JET_PCSTR sz, JET_PCSTR szDest, JET_PFNSTATUS pfn);

// ---- sessions and transactions ---------------------------------------------------------
JET_ERR JetBeginSession(JET_INSTANCE instance, JET_SESID* psesid, JET_PCSTR szUserName, JET_PCSTR szPassword);
JET_ERR JetEndSession(JET_SESID sesid, JET_GRBIT grbit);
JET_ERR JetBeginTransaction(JET_SESID sesid);
JET_ERR JetCommitTransaction(JET_SESID sesid, JET_GRBIT grbit);
JET_ERR JetRollback(JET_SESID sesid, JET_GRBIT grbit);

// ---- databases -------------------------------------------------------------------------
JET_ERR JetCreateDatabase(JET_SESID sesid, JET_PCSTR szFilename, JET_PCSTR szConnect, JET_DBID* pdbid, JET_GRBIT grbit);
JET_ERR JetAttachDatabase(JET_SESID sesid, JET_PCSTR szFilename, JET_GRBIT grbit);
JET_ERR JetDetachDatabase(JET_SESID sesid, JET_PCSTR szFilename);
JET_ERR JetOpenDatabase(JET_SESID sesid, JET_PCSTR szFilename, JET_PCSTR szConnect, JET_DBID* pdbid, JET_GRBIT grbit);
JET_ERR JetCloseDatabase(JET_SESID sesid, JET_DBID dbid, JET_GRBIT grbit);

// ---- tables (jetfault: a table is one B+tree keyed by a binary primary key) -------------
JET_ERR JetCreateTable(JET_SESID sesid, JET_DBID dbid, JET_PCSTR szTableName, unsigned long lPages,
                       unsigned long lDensity, JET_TABLEID* ptableid);
JET_ERR JetOpenTable(JET_SESID sesid, JET_DBID dbid, JET_PCSTR szTableName, const void* pvParameters,
                     unsigned long cbParameters, JET_GRBIT grbit, JET_TABLEID* ptableid);
JET_ERR JetCloseTable(JET_SESID sesid, JET_TABLEID tableid);
// Names of every table in the database, '\0'-separated, in name order.
JET_ERR JetGetTableNames(JET_SESID sesid, JET_DBID dbid, char* buffer, unsigned long cbBuffer,
                         unsigned long* pcbActual);

// ---- records (jetfault) ----------------------------------------------------------------
inline constexpr unsigned long JET_cbKeyMost = 255;
// Values of any size up to 64 MiB; values larger than a page are stored as long values.
inline constexpr unsigned long JET_cbValueMost = 64u << 20;

// Fails with JET_errKeyDuplicate if the key exists.
JET_ERR JetInsertRecord(JET_SESID sesid, JET_TABLEID tableid, const void* pvKey, unsigned long cbKey,
                        const void* pvData, unsigned long cbData);
// Fails with JET_errRecordNotFound if the key does not exist.
JET_ERR JetReplaceRecord(JET_SESID sesid, JET_TABLEID tableid, const void* pvKey, unsigned long cbKey,
                         const void* pvData, unsigned long cbData);
JET_ERR JetDeleteRecord(JET_SESID sesid, JET_TABLEID tableid, const void* pvKey, unsigned long cbKey);
// Reads the value of a key. *pcbActual receives the full size; JET_errBufferTooSmall
// (with *pcbActual set) when cbData is too small. pvData may be null to ask the size.
JET_ERR JetRetrieveRecord(JET_SESID sesid, JET_TABLEID tableid, const void* pvKey, unsigned long cbKey, void* pvData,
                          unsigned long cbData, unsigned long* pcbActual);
// Positions the table's cursor (JET_MoveFirst/Next/Previous/Last) in key order.
// JET_errNoCurrentRecord past either end or on an empty table.
JET_ERR JetMove(JET_SESID sesid, JET_TABLEID tableid, long cRow, JET_GRBIT grbit);
// Key and value of the record under the cursor.
JET_ERR JetRetrieveKey(JET_SESID sesid, JET_TABLEID tableid, void* pvKey, unsigned long cbMax, unsigned long* pcbActual,
                       JET_GRBIT grbit);
JET_ERR JetRetrieveCurrentValue(JET_SESID sesid, JET_TABLEID tableid, void* pvData, unsigned long cbData,
                                unsigned long* pcbActual);
