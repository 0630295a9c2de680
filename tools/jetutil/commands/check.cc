// jetutil check — verifies every page of a database file, like esentutl /g, through
// the pure parsers (no instance, so a file the engine would refuse can be examined):
//   * the header (primary or shadow) decodes; the file holds pages 1..pgno_last;
//   * each page's checksum is valid for its own page number and its node layout is
//     sound (format::VerifyPage); an all-zero page is a free page, not damage;
//   * leaf sibling links are symmetric: if leaf p says next = n, leaf n says prev = p,
//     and both belong to the same tree (objid); long-value chains link forward only, to
//     a long-value page of the same tree that no other chain reaches; internal pages
//     have no links. A link to a free or missing page is damage.
// Exit 1 with the first damage's JET_err; every damaged page is listed.
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <fmt/core.h>

#include "commands.h"
#include "describe.h"
#include "file_io.h"
#include "backup/page_links.h"
#include "format/db_header.h"
#include "format/page.h"

namespace jetutil {

namespace {

namespace format = jet::format;
using Span = std::span<const std::uint8_t>;

struct Damage {
  std::uint32_t pgno;
  JET_ERR err;
  std::string what;
};

class DatabaseChecker {
 public:
  DatabaseChecker(Span file, const format::DbHeader& header) : file_(file), header_(header) {}

  std::uint32_t pages_checked() const { return pages_checked_; }
  const std::vector<Damage>& damage() const { return damage_; }

  void Run() {
    // An in-memory table (no spill file): its calls cannot fail.
    CheckJet(good_.Resize(header_.pgno_last), "page link table");
    for (std::uint32_t pgno = 1; pgno <= header_.pgno_last; ++pgno) CheckPage(pgno);
    // The link rules are the engine's own (restore runs them on what it recovers).
    std::vector<jet::backup::BrokenLink> broken;
    CheckJet(jet::backup::FindBrokenLinks(good_, &broken), "page link check");
    for (jet::backup::BrokenLink& link : broken)
      damage_.push_back({link.pgno, JET_errBadPageLink, std::move(link.what)});
  }

 private:
  Span Page(std::uint32_t pgno) const {
    const std::uint64_t offset = format::DbPageOffset(pgno, header_.page_size);
    if (offset + header_.page_size > file_.size()) return {};
    return file_.subspan(offset, header_.page_size);
  }

  void CheckPage(std::uint32_t pgno) {
    ++pages_checked_;
    const Span page = Page(pgno);
    if (page.empty()) {
      damage_.push_back({pgno, JET_errReadVerifyFailure, "beyond the end of the file"});
      return;
    }
    const JET_ERR err = format::VerifyPage(page, pgno);
    if (err == JET_errPageNotInitialized) return;  // free page
    if (err != JET_errSuccess) {
      damage_.push_back({pgno, err, JetErrorMessage(err)});
      return;
    }
    CheckJet(good_.Set(pgno, format::LoadPageHeader(page)), "page link table");
  }

  Span file_;
  format::DbHeader header_;
  jet::backup::PageLinkTable good_;  // the pages that verified
  std::vector<Damage> damage_;
  std::uint32_t pages_checked_ = 0;
};

void RunCheck(const std::string& path, const GlobalOptions& globals) {
  const std::vector<std::uint8_t> bytes = ReadWholeFile(path);
  const Span file(bytes);
  format::DbHeader header;
  CheckJet(format::DecodeDbFileHeader(file, &header), path + ": database header");
  DatabaseChecker checker(file, header);
  checker.Run();

  Json damaged = Json::array();
  std::string text;
  for (const Damage& d : checker.damage()) {
    damaged.push_back(Json{{"pgno", d.pgno}, {"err", d.err}, {"name", JetErrorName(d.err)}, {"what", d.what}});
    text += fmt::format("page {}: {} ({}): {}\n", d.pgno, JetErrorName(d.err), d.err, d.what);
  }
  const Json result = {{"file", path},
                       {"page_size", header.page_size},
                       {"pages_checked", checker.pages_checked()},
                       {"damaged_pages", damaged}};
  if (checker.damage().empty()) {
    PrintResult(globals, result, fmt::format("{}: {} pages checked, no damage\n", path, checker.pages_checked()));
    return;
  }
  // With --json the damage list goes into the one error document; otherwise it is
  // listed on stdout before the error line on stderr.
  if (!globals.json) PrintResult(globals, result, text);
  const Damage& first = checker.damage().front();
  throw JetFailure(first.err,
                   fmt::format("{}: {} damaged page(s), first at page {}", path, checker.damage().size(), first.pgno),
                   result);
}

}  // namespace

Command AddCheckCommand(CLI::App& app, const GlobalOptions& globals) {
  auto path = std::make_shared<std::string>();
  CLI::App* sub = app.add_subcommand("check", "Verify every page of a database (checksums, B-tree links)");
  sub->add_option("FILE", *path, "Database file")->required();
  return {sub, [path, &globals] { RunCheck(*path, globals); }};
}

}  // namespace jetutil
