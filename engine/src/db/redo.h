// db/redo.h — replaying one logged page effect (ARCHITECTURE rule 5, docs/ESE_FACTS.md §5.3).
//
// The effect applies when the page's dbtime is below dbtime_after; then the page must
// be exactly at dbtime_before: lower is a lost flush (JET_errDbTimeTooOld), between the
// two is JET_errDbTimeTooNew. A full image also applies over a page that does not
// verify (blank, torn, misdirected): the first change of a page after a checkpoint is
// always logged as an image, so a page torn by a crash is rebuilt.
//
// Node operations on an unreadable page cannot be applied, but a later image in the
// log may still rebuild the page (redo can start before the checkpoint flush when a
// transaction was open). Such a page is recorded in `awaiting_image` with its
// verification error and further node operations on it are skipped; an image clears
// it. Whatever is still awaiting an image when redo ends is the page's real error.
#pragma once

#include <cstdint>
#include <map>

#include "db/database.h"
#include "db/log_records.h"

namespace jet::db {

using AwaitingImage = std::map<std::uint32_t, JET_ERR>;  // pgno -> verification error

JET_ERR RedoPageEffect(Database& db, const PageEffect& effect, format::Lgpos lgpos, AwaitingImage* awaiting_image);

}  // namespace jet::db
