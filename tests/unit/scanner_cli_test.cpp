// `iotmap scan` as a user runs it, against in-process servers on loopback: the ethics refusal,
// --output jsonl and the store, the blocklist file, bad target lines, shards, and a scan
// killed with SIGKILL and run again.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "db/store.h"
#include "tests/unit/scanner_servers.h"

extern char** environ;

namespace fs = std::filesystem;
using scanner_test::TlsOptions;
using scanner_test::TlsServer;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/iotmap-scan-cli-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A configuration for loopback tests: the IANA defaults off (they block 127.0.0.0/8), our own
// blocklist file, a contact.
std::string config(const TempDir& d, const std::string& extra_scan = "", bool ethics = true) {
  write(d.file("blocklist.txt"), "# never probed\n127.0.0.2/32\n");
  std::string text =
      "[scan]\nper_ip_spacing_ms = 0\nper_prefix_spacing_ms = 0\ntimeout_ms = 2000\n"
      // these tests make hundreds of targets from many SNI names on one loopback server; the
      // default cap of names per address (ETHICS.md) would leave only five
      "workers = 1\nrate = 1000\nmax_names_per_address = 1000\n" +
      extra_scan + "\n[ethics]\ndefault_blocklist = false\n";
  if (ethics)
    text += "blocklist_file = \"" + d.file("blocklist.txt") +
            "\"\ncontact = \"scan-test@example.org\"\n";
  write(d.file("iotmap.toml"), text);
  return d.file("iotmap.toml");
}

struct Child {
  pid_t pid = -1;
  int wait() {
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
};

// Starts iotmap with stdout and stderr to files.
Child spawn(const TempDir& d, const std::vector<std::string>& args, const std::string& out,
            const std::string& err) {
  std::vector<std::string> argv = {IOTMAP_BINARY, "--config", d.file("iotmap.toml"), "--db",
                                   d.file("iotmap.db")};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  Child c;
  REQUIRE(posix_spawn(&c.pid, IOTMAP_BINARY, &fa, nullptr, cargv.data(), environ) == 0);
  posix_spawn_file_actions_destroy(&fa);
  return c;
}

int run(const TempDir& d, const std::vector<std::string>& args) {
  return spawn(d, args, d.file("out.txt"), d.file("err.txt")).wait();
}

std::string names_target(const std::string& ip, int n) {
  std::string t = ip;
  for (int i = 0; i < n; ++i) t += ",n" + std::to_string(i) + ".test";
  return t;
}

// (ip, port, sni) -> how many observations of `run_id` (0: every run) the store holds.
std::map<std::string, int> observations(const TempDir& d, int64_t run_id = 0) {
  iotmap::db::Store store(d.file("iotmap.db"));
  std::map<std::string, int> out;
  store.for_each_tls_observation(0, INT64_MAX, [&](const iotmap::db::TlsObservationRow& r) {
    if (run_id == 0 || r.run_id == run_id) ++out[r.ip + " " + std::to_string(r.port) + " " + r.sni];
  });
  return out;
}

// Waits (at most 60 s) until a running scan has stored `n` observations.
void wait_for_observations(const TempDir& d, size_t n) {
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  size_t seen = 0;
  while (std::chrono::steady_clock::now() < give_up &&
         (seen = fs::exists(d.file("iotmap.db")) ? observations(d).size() : 0) < n)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  INFO("observations stored by the running scan: " << seen);
  REQUIRE(seen >= n);
}

// The arguments of a scan of `targets` on `port` at `rate` connections a second.
std::vector<std::string> scan_args(const std::string& targets, uint16_t port, int rate) {
  return {"scan",   "--target",          targets, "--ports", std::to_string(port),
          "--rate", std::to_string(rate)};
}

}  // namespace

TEST_CASE("scan cli: refused without a blocklist file or contact, before any packet",
          "[scanner][cli]") {
  TempDir d;
  auto cert = scanner_test::make_cert("cli.test");
  TlsServer server("127.0.0.1", TlsOptions{&cert});
  config(d, "", false);
  int rc = run(d, {"scan", "--target", "127.0.0.1", "--ports", std::to_string(server.port())});
  CHECK(rc == 6);
  CHECK(read(d.file("err.txt")).find("blocklist_file") != std::string::npos);
  CHECK(read(d.file("err.txt")).find("contact") != std::string::npos);
  CHECK(server.accepted() == 0);
}

TEST_CASE("scan cli: jsonl on stdout, observations and the run in the store, blocklist file",
          "[scanner][cli]") {
  TempDir d;
  auto fallback = scanner_test::make_cert("default.cli.test");
  auto named = scanner_test::make_cert("named.cli.test", {"named.cli.test"});
  TlsServer server("127.0.0.1", TlsOptions{&fallback, {{"named.cli.test", &named}}});
  TlsServer forbidden("127.0.0.2", TlsOptions{&fallback});
  config(d);
  write(d.file("targets.txt"), "# targets\n127.0.0.1,named.cli.test\n127.0.0.2\nnot-an-address\n");
  int rc = run(d, {"scan", d.file("targets.txt"), "--ports",
                   std::to_string(server.port()) + "," + std::to_string(forbidden.port()),
                   "--output", "jsonl"});
  CHECK(rc == 7);  // one bad line: partial
  auto err = read(d.file("err.txt"));
  CHECK(err.find(d.file("targets.txt") + ":4: not an IP address or prefix") != std::string::npos);
  CHECK(forbidden.accepted() == 0);

  std::vector<nlohmann::json> lines;
  std::istringstream out(read(d.file("out.txt")));
  for (std::string line; std::getline(out, line);) lines.push_back(nlohmann::json::parse(line));
  // 127.0.0.1 x 2 ports x {no SNI, named} + 127.0.0.2 x 2 ports (blocked).
  REQUIRE(lines.size() == 6);
  int ok = 0, blocked = 0;
  for (const auto& j : lines) {
    if (j["status"] == "blocked") {
      ++blocked;
      CHECK(j["ip"] == "127.0.0.2");
      continue;
    }
    if (j["port"] != server.port()) {
      CHECK(j["status"] == "refused");  // forbidden's port is not open on 127.0.0.1
      continue;
    }
    ++ok;
    CHECK(j["status"] == "ok");
    CHECK(j["tls"]["version"] == "TLSv1.3");
    REQUIRE(j["tls"]["chain"].size() == 1);
    std::string cn = j["sni"] == "named.cli.test" ? "named.cli.test" : "default.cli.test";
    CHECK(j["tls"]["leaf"]["common_names"][0] == cn);
  }
  CHECK(ok == 2);
  CHECK(blocked == 2);

  iotmap::db::Store store(d.file("iotmap.db"));
  auto rec = store.run(lines[0]["run_id"].get<int64_t>());
  REQUIRE(rec);
  CHECK(rec->info.kind == "scan");
  CHECK(rec->status == "partial");
  CHECK(rec->info.target_count == 2);
  CHECK(rec->info.rate == 1000);
  CHECK(rec->counts["blocked"] == 2);
  CHECK(rec->counts["bad_lines"] == 1);
  CHECK(observations(d).size() == 4);  // blocked targets are not observations
}

TEST_CASE("scan cli: four shards cover the unsharded scan exactly", "[scanner][cli]") {
  TempDir d;
  auto cert = scanner_test::make_cert("shard.test");
  TlsServer server("127.0.0.1", TlsOptions{&cert});
  config(d);
  std::vector<std::string> common = {"--target", names_target("127.0.0.1", 39),
                                     "--ports",  std::to_string(server.port()),
                                     "--seed",   "77"};
  std::vector<std::string> orders[5];
  for (int i = 0; i < 5; ++i) {
    auto args = std::vector<std::string>{"scan", "--output", "jsonl", "--fresh"};
    args.insert(args.end(), common.begin(), common.end());
    if (i < 4) args.insert(args.end(), {"--shard", std::to_string(i) + "/4"});
    REQUIRE(run(d, args) == 0);
    std::istringstream out(read(d.file("out.txt")));
    for (std::string line; std::getline(out, line);)
      orders[i].push_back(nlohmann::json::parse(line)["sni"].get<std::string>());
  }
  std::multiset<std::string> united, whole(orders[4].begin(), orders[4].end());
  for (int i = 0; i < 4; ++i) united.insert(orders[i].begin(), orders[i].end());
  CHECK(whole.size() == 40);
  CHECK(united == whole);
  CHECK(std::set<std::string>(united.begin(), united.end()).size() == 40);
}

TEST_CASE("scan cli: targets from the resolver's IPs of an hour, with their names as SNI",
          "[scanner][cli]") {
  TempDir d;
  auto fallback = scanner_test::make_cert("default.res.test");
  auto named = scanner_test::make_cert("named.res.test", {"named.res.test"});
  TlsServer server("127.0.0.1", TlsOptions{&fallback, {{"named.res.test", &named}}});
  config(d);
  const int64_t hour = 1763690400;  // 2025-11-21T02
  {
    iotmap::db::Store store(d.file("iotmap.db"));
    iotmap::db::ResolutionRow row;
    row.hour = hour;
    row.name = "named.res.test.";
    row.qtype = "A";
    row.vantage = "local";
    row.status = "NOERROR";
    row.answers = {{"127.0.0.1", 60}};
    row.resolved_at = hour + 5;
    store.add_resolutions(std::vector<iotmap::db::ResolutionRow>{row});
  }
  int rc = run(d, {"scan", "--resolutions", "2025-11-21T02", "--ports",
                   std::to_string(server.port()), "--output", "jsonl"});
  INFO(read(d.file("err.txt")));
  CHECK(rc == 0);
  std::map<std::string, std::string> cn_by_sni;
  std::istringstream out(read(d.file("out.txt")));
  for (std::string line; std::getline(out, line);) {
    auto j = nlohmann::json::parse(line);
    cn_by_sni[j["sni"]] = j["tls"]["leaf"]["common_names"][0];
  }
  CHECK(cn_by_sni == std::map<std::string, std::string>{{"", "default.res.test"},
                                                        {"named.res.test", "named.res.test"}});
  // Another hour has no resolutions: nothing to scan, nothing sent.
  CHECK(run(d, {"scan", "--resolutions", "2025-11-21T03", "--ports",
                std::to_string(server.port())}) == 0);
  CHECK(server.accepted() == 2);

  // With no targets given: today's resolutions (none here) and the configured IPv6 hitlists.
  TlsServer server6("::1", TlsOptions{&fallback});
  write(d.file("hitlist.txt"), "# IPv6 hitlist\n::1\n");
  std::ofstream(d.file("iotmap.toml"), std::ios::app)
      << "[sources]\nipv6_hitlists = [\"" << d.file("hitlist.txt") << "\"]\n";
  CHECK(run(d, {"scan", "--ports", std::to_string(server6.port()), "--output", "jsonl"}) == 0);
  auto line = nlohmann::json::parse(read(d.file("out.txt")));
  CHECK(line["ip"] == "::1");
  CHECK(line["status"] == "ok");
  CHECK(server6.accepted() == 1);
}

TEST_CASE("scan cli: SIGTERM stops cleanly and the same command resumes", "[scanner][cli]") {
  TempDir d;
  auto cert = scanner_test::make_cert("term.test");
  TlsServer server("127.0.0.1", TlsOptions{&cert});
  config(d);
  const auto targets = names_target("127.0.0.1", 199);
  // The first attempt must still run when the signal comes: at 20/s it has some 9 s left after
  // its first 20 observations (at 100/s, 1.8 s: a test process descheduled that long on a
  // loaded CI machine signalled a finished scan). The rate is not part of what a resume matches
  // (targets, ports, shard), so the second attempt, the same command otherwise, runs at 100/s.
  auto first =
      spawn(d, scan_args(targets, server.port(), 20), d.file("out1.txt"), d.file("err1.txt"));
  wait_for_observations(d, 20);
  ::kill(first.pid, SIGTERM);
  CHECK(first.wait() == 1);
  CHECK(read(d.file("err1.txt")).find("run the same command to resume") != std::string::npos);
  CHECK(run(d, scan_args(targets, server.port(), 100)) == 0);
  CHECK(read(d.file("err.txt")).find("resuming run #1") != std::string::npos);
  auto all = observations(d, 1);
  CHECK(all.size() == 200);
  for (const auto& [key, count] : all) CHECK(count == 1);
}

TEST_CASE("scan cli: a scan killed with SIGKILL resumes and covers every target exactly once",
          "[scanner][cli]") {
  TempDir d;
  auto cert = scanner_test::make_cert("kill.test");
  TlsServer server("127.0.0.1", TlsOptions{&cert});
  config(d, "max_in_flight = 8\n");
  const int n = 300;
  const auto targets = names_target("127.0.0.1", n - 1);
  const auto args = scan_args(targets, server.port(), 150);
  // The first attempt at 30/s: some 8 s left after 40 observations, so a test process
  // descheduled for a second or two on a loaded machine still kills a running scan (at 150/s it
  // had 1.7 s; killed too late, it had stored all 300 and the second run did not resume).
  auto first =
      spawn(d, scan_args(targets, server.port(), 30), d.file("out1.txt"), d.file("err1.txt"));
  // Let it store a few dozen observations, then kill it without warning.
  wait_for_observations(d, 40);
  ::kill(first.pid, SIGKILL);
  CHECK(first.wait() == 128 + SIGKILL);
  auto before = observations(d);
  INFO("stored before the kill: " << before.size());
  CHECK(before.size() >= 40);
  CHECK(before.size() < static_cast<size_t>(n));

  int rc = run(d, args);
  auto err = read(d.file("err.txt"));
  INFO(err);
  CHECK(rc == 0);
  CHECK(err.find("resuming run #1") != std::string::npos);
  auto after = observations(d, 1);
  CHECK(after.size() == static_cast<size_t>(n));
  for (const auto& [key, count] : after) CHECK(count == 1);
  CHECK(observations(d).size() == static_cast<size_t>(n));  // no second run was started
  // Only what was in flight or not yet checkpointed at the kill was probed twice.
  CHECK(server.accepted() <= n + 8 + 150);
  iotmap::db::Store store(d.file("iotmap.db"));
  auto rec = store.run(1);
  REQUIRE(rec);
  CHECK(rec->status == "ok");

  // Run again: the scan is complete, so it starts a new run rather than resuming.
  CHECK(run(d, args) == 0);
  CHECK(read(d.file("err.txt")).find("resuming") == std::string::npos);
}
