// log/log_files.h — generation files on storage: reading a header, creating a new
// generation crash-safely. Internal to log/ (the writer, ListGenerations and backup
// share these so that one function decides each thing).
#pragma once

#include <cstdint>
#include <string>

#include "faultfs/vfs.h"
#include "format/log_header.h"
#include "jet/jet.h"
#include "log/log.h"

namespace jet::log {

// Reads and decodes the header of a generation file and checks the file size
// against csecLGFile (JET_errLogFileSizeMismatch). *blank (optional) is set when the
// file is shorter than a header or its header bytes are all zero: a file whose
// creation never completed, reported as JET_errLogFileCorrupt.
JET_ERR ReadLogFileHeader(faultfs::Vfs& vfs, const std::string& path, format::LogFileHeader* header,
                          bool* blank = nullptr);

GenerationInfo MakeGenerationInfo(const format::LogFileHeader& header, const std::string& path);

// Creates generation header.generation as the current log of dir:
//   1. edbtmp.log: created, preallocated to csec_file sectors, header written, synced;
//   2. an existing edb.log is renamed to its archived name (its generation is read
//      from its header; a blank edb.log is simply replaced) and dir is synced, so that
//      step 3 can never overtake it;
//   3. edbtmp.log is renamed to edb.log and dir is synced.
// A crash between any two steps leaves a directory ListGenerations accepts: edbtmp.log
// never holds records, and edb.log is either the old or the new generation.
// JET_errInvalidLogSequence when edb.log already holds header.generation or later.
JET_ERR InstallGeneration(faultfs::Vfs& vfs, const std::string& dir, const std::string& base,
                          const format::LogFileHeader& header);

}  // namespace jet::log
