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
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <vector>

#include <fmt/core.h>

#include "commands.h"
#include "describe.h"
#include "file_io.h"
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
    for (std::uint32_t pgno = 1; pgno <= header_.pgno_last; ++pgno) CheckPage(pgno);
    for (const auto& [pgno, header] : good_) CheckLinks(pgno, header);
  }

 private:
  Span Page(std::uint32_t pgno) const {
    const std::uint64_t offset = (static_cast<std::uint64_t>(pgno) + 1) * header_.page_size;
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
    good_.emplace(pgno, format::LoadPageHeader(page));
  }

  // Leaf pages form a doubly linked list per tree; long-value pages form singly linked
  // chains (next only, built tail first) that no two chains share; internal pages have
  // no sibling links at all.
  void CheckLinks(std::uint32_t pgno, const format::PageHeader& header) {
    if (header.flags & format::kPageFlagLongValue) {
      if (header.pgno_prev != 0) Link(pgno, "prev", header.pgno_prev, "a long-value page has no prev link");
      if (header.pgno_next == 0) return;
      const format::PageHeader* next = Target(pgno, "next", header.pgno_next);
      if (next == nullptr) return;
      if (!(next->flags & format::kPageFlagLongValue) || next->objid != header.objid) {
        Link(pgno, "next", header.pgno_next, fmt::format("it is not a long-value page of tree {}", header.objid));
      } else if (!chained_.insert(header.pgno_next).second) {
        Link(pgno, "next", header.pgno_next, "another long-value page links to it too");
      }
      return;
    }
    if (!(header.flags & format::kPageFlagLeaf)) {
      if (header.pgno_prev != 0) Link(pgno, "prev", header.pgno_prev, "an internal page has no sibling links");
      if (header.pgno_next != 0) Link(pgno, "next", header.pgno_next, "an internal page has no sibling links");
      return;
    }
    auto check = [&](std::uint32_t target, bool forward) {
      if (target == 0) return;
      const char* name = forward ? "next" : "prev";
      const format::PageHeader* other = Target(pgno, name, target);
      if (other == nullptr) return;
      const std::uint32_t back = forward ? other->pgno_prev : other->pgno_next;
      if (back != pgno || other->objid != header.objid || !(other->flags & format::kPageFlagLeaf)) {
        Link(pgno, name, target,
             fmt::format("it links back to {} (objid {} vs {}, flags {:#x})", back, other->objid, header.objid,
                         other->flags));
      }
    };
    check(header.pgno_next, true);
    check(header.pgno_prev, false);
  }

  // The header of the page a link points to, or nullptr (damage recorded) when the
  // target is free, missing or itself damaged.
  const format::PageHeader* Target(std::uint32_t pgno, const char* name, std::uint32_t target) {
    const auto it = good_.find(target);
    if (it != good_.end()) return &it->second;
    Link(pgno, name, target, "it is not a valid page");
    return nullptr;
  }

  void Link(std::uint32_t pgno, const char* name, std::uint32_t target, const std::string& why) {
    damage_.push_back({pgno, JET_errBadPageLink, fmt::format("{} link to page {}: {}", name, target, why)});
  }

  Span file_;
  format::DbHeader header_;
  std::map<std::uint32_t, format::PageHeader> good_;
  std::set<std::uint32_t> chained_;  // long-value pages some chain links to
  std::vector<Damage> damage_;
  std::uint32_t pages_checked_ = 0;
};

void RunCheck(const std::string& path, const GlobalOptions& globals) {
  const std::vector<std::uint8_t> bytes = ReadWholeFile(path);
  const Span file(bytes);
  const std::uint32_t page_size = format::PeekDbPageSize(file);
  format::DbHeader header;
  CheckJet(format::DecodeDbHeaderPair(Slice(file, 0, page_size), Slice(file, page_size, page_size), &header),
           path + ": database header");
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
