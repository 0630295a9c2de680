// db/redo.h — replaying one logged page effect (ARCHITECTURE rule 5, ese.md §5.3).
//
// The effect applies when the page's dbtime is below dbtime_after; then the page must
// be exactly at dbtime_before: lower is a lost flush (JET_errDbTimeTooOld), between the
// two is JET_errDbTimeTooNew. A full image also applies over a page that does not
// verify (blank, torn, misdirected): the first change of a page after a checkpoint is
// always logged as an image, so a page torn by a crash is rebuilt. Node operations on
// an unreadable page report the page's verification error.
#pragma once

#include "db/database.h"
#include "db/log_records.h"

namespace jet::db {

JET_ERR RedoPageEffect(Database& db, const PageEffect& effect, format::Lgpos lgpos);

}  // namespace jet::db
