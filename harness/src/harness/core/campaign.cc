#include "harness/core/campaign.h"

#include <fmt/format.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <map>
#include <stdexcept>

#include "harness/core/hash.h"
#include "harness/core/report.h"

namespace jetharness {

bool ParseShard(const std::string& text, Shard* out) {
  std::size_t slash = text.find('/');
  if (slash == std::string::npos) return false;
  Shard s;
  const char* begin = text.data();
  const char* end = begin + text.size();
  auto [p1, e1] = std::from_chars(begin, begin + slash, s.index);
  auto [p2, e2] = std::from_chars(begin + slash + 1, end, s.count);
  if (e1 != std::errc() || e2 != std::errc() || p1 != begin + slash || p2 != end) return false;
  if (s.count == 0 || s.index == 0 || s.index > s.count) return false;
  *out = s;
  return true;
}

bool InShard(const Shard& shard, const std::string& scenario, std::uint64_t case_index) {
  return Fold(HashBytes(scenario), case_index) % shard.count == shard.index - 1;
}

bool CampaignReport::ok() const { return failed_cases() == 0 && errmap.violations() == 0; }

std::uint64_t CampaignReport::failed_cases() const {
  std::uint64_t n = 0;
  for (const auto& s : scenarios) n += s.failed;
  return n;
}

std::map<std::string, std::uint64_t> CampaignReport::kills() const {
  std::map<std::string, std::uint64_t> out;
  for (const auto& s : scenarios) {
    for (const auto& [phase, n] : s.kills) out[phase] += n;
  }
  return out;
}

std::uint64_t CampaignReport::real_file_cases() const {
  std::uint64_t n = 0;
  for (const auto& s : scenarios) n += s.real_file_cases;
  return n;
}

void MergeReport(CampaignReport* into, const CampaignReport& part) {
  for (const ScenarioStats& p : part.scenarios) {
    auto it = std::find_if(into->scenarios.begin(), into->scenarios.end(),
                           [&p](const ScenarioStats& s) { return s.name == p.name; });
    if (it == into->scenarios.end()) {
      into->scenarios.push_back(ScenarioStats{});
      it = std::prev(into->scenarios.end());
      it->name = p.name;
    }
    it->cases += p.cases;
    it->passed += p.passed;
    it->failed += p.failed;
    it->steps += p.steps;
    it->crash_states += p.crash_states;
    it->duplicate_crash_states += p.duplicate_crash_states;
    it->rechecked += p.rechecked;
    for (std::size_t c = 0; c < kFaultClassCount; ++c) it->faults[c] += p.faults[c];
    it->real_file_cases += p.real_file_cases;
    for (const auto& [phase, n] : p.kills) it->kills[phase] += n;
    it->failures.insert(it->failures.end(), p.failures.begin(), p.failures.end());
    it->trace_hash ^= p.trace_hash;
    it->elapsed_seconds += p.elapsed_seconds;
  }
  into->crash_states += part.crash_states;
  into->duplicate_crash_states += part.duplicate_crash_states;
  into->errmap.Merge(part.errmap);
}

namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

bool SampledForRecheck(const CaseId& id, std::uint32_t per_million) {
  return Fold(CaseSeed(id), 0x5EC0DULL) % 1'000'000 < per_million;
}

// The report of one scenario with one case in it.
CampaignReport OneCaseReport(const CaseId& id, CaseResult result, bool rechecked, double seconds,
                             ErrMapCoverage coverage) {
  CampaignReport report;
  report.seed = id.seed;
  report.size = id.size;
  report.crash_states = result.crash_states;
  report.duplicate_crash_states = result.duplicate_crash_states;
  report.errmap = std::move(coverage);
  ScenarioStats stats;
  stats.name = id.scenario;
  stats.cases = 1;
  stats.passed = result.passed() ? 1 : 0;
  stats.failed = result.passed() ? 0 : 1;
  stats.steps = result.steps;
  stats.crash_states = result.crash_states;
  stats.duplicate_crash_states = result.duplicate_crash_states;
  stats.rechecked = rechecked ? 1 : 0;
  stats.faults = result.faults;
  stats.real_file_cases = result.real_files ? 1 : 0;
  stats.kills = std::move(result.kills);
  stats.failures = std::move(result.failures);
  stats.trace_hash = Fold(id.index, result.trace_hash);
  stats.elapsed_seconds = seconds;
  report.scenarios.push_back(std::move(stats));
  return report;
}

// One case, and its determinism re-run when it is in the sample.
CampaignReport RunOneCase(const Scenario& scenario, const CaseId& id, std::uint32_t recheck_per_million) {
  Clock::time_point start = Clock::now();
  ErrMapCoverage coverage;
  CaseResult result = RunCase(scenario, id, std::nullopt, &coverage);
  bool rechecked = SampledForRecheck(id, recheck_per_million);
  if (rechecked) {
    CaseResult again = RunCase(scenario, id, std::nullopt, nullptr);
    if (again.trace_hash != result.trace_hash) {
      Failure f;
      f.what = fmt::format("nondeterministic: the case's trace hash was {:016x}, on re-run {:016x}", result.trace_hash,
                           again.trace_hash);
      f.trace_hash = result.trace_hash;
      f.replay = ReplayCommand(id, std::nullopt);
      result.failures.push_back(std::move(f));
    }
  }
  return OneCaseReport(id, std::move(result), rechecked, SecondsSince(start), std::move(coverage));
}

// A case whose child process did not hand back a report (killed, exited early, wrote
// something unreadable): a failure of the case, with the line that replays it in a
// debugger.
CampaignReport LostCaseReport(const CaseId& id, const std::string& why, double seconds) {
  CaseResult result;
  Failure f;
  f.what = fmt::format("the case's process {}", why);
  f.replay = ReplayCommand(id, std::nullopt);
  result.failures.push_back(std::move(f));
  return OneCaseReport(id, std::move(result), false, seconds, ErrMapCoverage{});
}

bool ReadFull(int fd, void* data, std::size_t size) {
  auto* p = static_cast<char*>(data);
  while (size > 0) {
    ssize_t n = read(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

bool WriteFull(int fd, const void* data, std::size_t size) {
  const auto* p = static_cast<const char*>(data);
  while (size > 0) {
    // MSG_NOSIGNAL: a worker that died is a lost case, not a SIGPIPE for the campaign.
    ssize_t n = send(fd, p, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

std::uint64_t ResidentBytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long long pages_total = 0, pages_resident = 0;
  int got = std::fscanf(f, "%llu %llu", &pages_total, &pages_resident);
  std::fclose(f);
  return got == 2 ? pages_resident * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE)) : 0;
}

// What the campaign sends a worker: the worker is a fork of the campaign, so the
// Scenario pointer is valid in it.
struct Order {
  const Scenario* scenario;
  std::uint64_t seed;
  std::uint64_t index;
};

// What a worker sends back before the report's JSON text.
struct ReplyHeader {
  std::uint64_t size;
  std::uint8_t retiring;  // the worker exits after this reply (it outgrew its memory budget)
};

[[noreturn]] void WorkerMain(int fd, const WorkloadSize& size, std::uint32_t recheck_per_million,
                             std::uint64_t rss_limit) {
  std::uint64_t baseline = 0;
  for (Order order{}; ReadFull(fd, &order, sizeof order);) {
    if (baseline == 0) baseline = ResidentBytes();
    CaseId id{order.scenario->name, order.seed, order.index, size};
    std::string text = JsonReport(RunOneCase(*order.scenario, id, recheck_per_million)).dump();
    ReplyHeader header{text.size(), ResidentBytes() > baseline + rss_limit ? std::uint8_t{1} : std::uint8_t{0}};
    if (!WriteFull(fd, &header, sizeof header) || !WriteFull(fd, text.data(), text.size())) _exit(3);
    if (header.retiring != 0) break;
  }
  // _exit: the campaign's atexit handlers and static destructors are not the worker's.
  _exit(0);
}

// Runs cases, in this process (jobs = 0) or in up to `jobs` worker processes, and hands
// their reports to `done` in the order they were submitted. A worker is forked when
// needed and runs one case at a time until its resident set has grown by `rss_limit`
// (what the engine keeps after JetTerm, heap fragmentation), then exits; the next
// case starts a fresh one.
class CaseRunner {
 public:
  CaseRunner(const CampaignOptions& options, std::function<void(CampaignReport)> done)
      : jobs_(options.jobs),
        size_(options.size),
        recheck_(options.recheck_per_million),
        rss_limit_(options.worker_rss_limit),
        done_(std::move(done)) {}
  ~CaseRunner() {
    for (Worker& w : workers_) {
      close(w.fd);                       // an idle worker exits at EOF
      if (w.busy) kill(w.pid, SIGKILL);  // only after an exception: leave no children behind
      while (waitpid(w.pid, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
  }

  void Submit(const Scenario& scenario, const CaseId& id) {
    if (jobs_ == 0) {
      done_(RunOneCase(scenario, id, recheck_));
      return;
    }
    for (;;) {
      Worker* idle = nullptr;
      for (Worker& w : workers_) {
        if (!w.busy && !w.retiring) idle = &w;
      }
      if (idle == nullptr && workers_.size() < jobs_) idle = &Spawn();
      if (idle == nullptr) {
        Harvest();
        continue;
      }
      Order order{&scenario, id.seed, id.index};
      if (!WriteFull(idle->fd, &order, sizeof order)) {
        // It died while idle (it was not running a case): replace it.
        idle->retiring = true;
        Reap(*idle);
        continue;
      }
      idle->busy = true;
      idle->sequence = next_sequence_++;
      idle->id = id;
      idle->start = Clock::now();
      return;
    }
  }

  void Drain() {
    while (std::any_of(workers_.begin(), workers_.end(), [](const Worker& w) { return w.busy; })) Harvest();
  }

 private:
  struct Worker {
    pid_t pid = 0;
    int fd = -1;
    bool busy = false;
    bool retiring = false;
    std::uint64_t sequence = 0;
    CaseId id;
    Clock::time_point start;
  };

  Worker& Spawn() {
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
      throw std::runtime_error(fmt::format("socketpair: {}", std::strerror(errno)));
    }
    std::fflush(nullptr);  // nothing buffered may be written twice
    pid_t pid = fork();
    if (pid < 0) {
      close(fds[0]);
      close(fds[1]);
      throw std::runtime_error(fmt::format("fork: {}", std::strerror(errno)));
    }
    if (pid == 0) {
      close(fds[0]);
      for (const Worker& w : workers_) close(w.fd);  // so siblings see EOF when the campaign closes theirs
      WorkerMain(fds[1], size_, recheck_, rss_limit_);
    }
    close(fds[1]);
    Worker w;
    w.pid = pid;
    w.fd = fds[0];
    workers_.push_back(w);
    return workers_.back();
  }

  // Closes the worker's channel and waits for it; returns its wait status.
  int Reap(Worker& w) {
    close(w.fd);
    int status = 0;
    while (waitpid(w.pid, &status, 0) < 0 && errno == EINTR) {
    }
    workers_.erase(workers_.begin() + (&w - workers_.data()));
    return status;
  }

  // Waits until a busy worker has replied or died, then hands on every report that is
  // next in submission order.
  void Harvest() {
    std::vector<pollfd> polls;
    for (const Worker& w : workers_) polls.push_back(pollfd{w.fd, POLLIN, 0});
    if (poll(polls.data(), polls.size(), -1) < 0) {
      if (errno == EINTR) return;
      throw std::runtime_error(fmt::format("poll: {}", std::strerror(errno)));
    }
    for (std::size_t i = polls.size(); i-- > 0;) {
      if (polls[i].revents == 0) continue;
      Worker& w = workers_[i];
      ReplyHeader header{};
      std::string text;
      bool replied = ReadFull(w.fd, &header, sizeof header);
      if (replied) {
        text.resize(header.size);
        replied = ReadFull(w.fd, text.data(), text.size());
      }
      if (!replied) {
        bool busy = w.busy;
        std::uint64_t sequence = w.sequence;
        CaseId id = w.id;
        double seconds = SecondsSince(w.start);
        int status = Reap(w);
        if (busy) finished_.emplace(sequence, LostCase(id, status, seconds));
        continue;
      }
      w.busy = false;
      w.retiring = header.retiring != 0;
      finished_.emplace(w.sequence, Collect(w.id, text, SecondsSince(w.start)));
      if (w.retiring) Reap(w);
    }
    for (auto it = finished_.find(next_done_); it != finished_.end(); it = finished_.find(++next_done_)) {
      done_(std::move(it->second));
      finished_.erase(it);
    }
  }

  static CampaignReport LostCase(const CaseId& id, int status, double seconds) {
    if (WIFSIGNALED(status)) {
      return LostCaseReport(
          id, fmt::format("was killed by signal {} ({})", WTERMSIG(status), strsignal(WTERMSIG(status))), seconds);
    }
    return LostCaseReport(id, fmt::format("exited with status {} before it reported", WEXITSTATUS(status)), seconds);
  }

  static CampaignReport Collect(const CaseId& id, const std::string& text, double seconds) {
    try {
      return ReportFromJson(nlohmann::json::parse(text));
    } catch (const std::exception& e) {
      return LostCaseReport(id, fmt::format("sent an unreadable report ({})", e.what()), seconds);
    }
  }

  std::uint32_t jobs_;
  WorkloadSize size_;  // the same for every case; a worker (a fork) has it from birth
  std::uint32_t recheck_;
  std::uint64_t rss_limit_;
  std::function<void(CampaignReport)> done_;
  std::vector<Worker> workers_;
  std::map<std::uint64_t, CampaignReport> finished_;  // waiting for an earlier case
  std::uint64_t next_sequence_ = 0;
  std::uint64_t next_done_ = 0;
};

}  // namespace

CampaignReport RunCampaign(const ScenarioRegistry& registry, const CampaignOptions& options) {
  std::vector<const Scenario*> selected;
  if (options.scenarios.empty()) {
    for (const Scenario& s : registry.all()) {
      if (s.in_default_campaign) selected.push_back(&s);
    }
  } else {
    for (const std::string& name : options.scenarios) {
      const Scenario* s = registry.Find(name);
      if (s == nullptr) throw std::invalid_argument("unknown scenario: " + name);
      selected.push_back(s);
    }
  }
  CampaignReport report;
  report.seed = options.seed;
  report.shard = options.shard;
  report.size = options.size;
  std::map<std::string, std::uint64_t> planned;
  for (const Scenario* s : selected) {
    report.scenarios.push_back(ScenarioStats{});
    report.scenarios.back().name = s->name;
    planned[s->name] = options.time_seconds ? 0 : options.cases.value_or(s->default_cases);
  }
  CaseRunner runner(options, [&](CampaignReport part) {
    MergeReport(&report, part);
    if (!options.progress) return;
    for (const ScenarioStats& s : part.scenarios) {
      auto it = std::find_if(report.scenarios.begin(), report.scenarios.end(),
                             [&s](const ScenarioStats& r) { return r.name == s.name; });
      options.progress(s.name, it->cases, planned[s.name]);
    }
  });
  Clock::time_point campaign_start = Clock::now();
  for (std::size_t si = 0; si < selected.size(); ++si) {
    const Scenario& scenario = *selected[si];
    Clock::time_point start = Clock::now();
    // With a time budget, each scenario gets an equal share of what is left; with jobs,
    // its last cases may still be running when the next scenario's start.
    double share = 0;
    if (options.time_seconds) {
      share = (*options.time_seconds - SecondsSince(campaign_start)) / static_cast<double>(selected.size() - si);
    }
    std::uint64_t started = 0;
    for (std::uint64_t index = 0;; ++index) {
      if (options.time_seconds) {
        if (started > 0 && SecondsSince(start) >= share) break;
      } else if (index >= planned[scenario.name]) {
        break;
      }
      if (!InShard(options.shard, scenario.name, index)) continue;
      runner.Submit(scenario, CaseId{scenario.name, options.seed, index, options.size});
      ++started;
    }
  }
  runner.Drain();
  report.elapsed_seconds = SecondsSince(campaign_start);
  return report;
}

}  // namespace jetharness
