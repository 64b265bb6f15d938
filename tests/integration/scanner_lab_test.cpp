// `iotmap scan` in the lab (tests/lab): every TLS endpoint of lab.json over IPv4 and IPv6,
// without and with SNI; mosquitto as MQTT on 8883 and 1883, RabbitMQ as AMQP, nginx as HTTPS,
// the CDN's many-names certificate; and the fault addresses: a silent, a trickling and a
// garbage server (run by this test inside the namespace) end at the deadline or at once, a
// blocklisted address sees no connection, and the rest finishes on time. Then --grab-only's
// certificate-only handshakes against the same endpoints and the TLS variants (TLS 1.3 only,
// TLS 1.2 only, client certificate required), compared with full handshakes.
//
// Everything that touches a lab address runs inside the namespace: iotmap through
// `ip netns exec`, the fault servers on sockets made by a thread that entered it.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "db/store.h"
#include "tests/unit/scanner_servers.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

json lab() {
  std::ifstream in(IOTMAP_SOURCE_DIR "/tests/lab/lab.json");
  return json::parse(in);
}

std::string ns_name(const json& l) {
  const char* env = std::getenv("IOTMAP_LAB_NS");
  return env != nullptr && *env != '\0' ? env : l["namespace"].get<std::string>();
}

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/iotmap-scan-lab-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

std::string quote(const std::string& s) { return "'" + s + "'"; }

struct Grab {
  json j;
  const json& leaf() const { return j["tls"]["leaf"]; }
  std::vector<std::string> chain() const {
    std::vector<std::string> out;
    if (j["tls"].is_object())
      for (const auto& c : j["tls"]["chain"]) out.push_back(c["sha256"]);
    return out;
  }
};

struct ScanOutput {
  int rc = -1;
  std::string err;
  std::map<std::string, Grab> grabs;  // "ip port sni"
  double seconds = 0;

  const Grab& at(const std::string& ip, int port, const std::string& sni = "") const {
    auto it = grabs.find(ip + " " + std::to_string(port) + " " + sni);
    static const Grab none{
        json::object({{"status", "missing"}, {"tls", nullptr}, {"app", nullptr}})};
    if (it == grabs.end()) {
      FAIL_CHECK("no grab of " << ip << " " << port << " '" << sni << "'");
      return none;
    }
    return it->second;
  }
};

// `iotmap scan` inside the namespace with the directory's iotmap.toml and targets.txt, jsonl out.
ScanOutput scan_in_lab(const std::string& ns, const TempDir& d, const std::string& db,
                       const std::string& args) {
  ScanOutput o;
  std::string cmd = "ip netns exec " + quote(ns) + " " + quote(IOTMAP_BINARY) + " --config " +
                    quote(d.file("iotmap.toml")) + " --db " + quote(d.file(db)) + " scan " +
                    quote(d.file("targets.txt")) + " " + args + " --output jsonl >" +
                    quote(d.file("out.jsonl")) + " 2>" + quote(d.file("err.txt"));
  auto t0 = std::chrono::steady_clock::now();
  int rc = std::system(cmd.c_str());
  o.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  o.rc = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  std::ifstream err_in(d.file("err.txt"));
  o.err.assign(std::istreambuf_iterator<char>(err_in), std::istreambuf_iterator<char>());
  std::ifstream out(d.file("out.jsonl"));
  for (std::string line; std::getline(out, line);) {
    Grab g{json::parse(line)};
    o.grabs[g.j["ip"].get<std::string>() + " " + std::to_string(g.j["port"].get<int>()) + " " +
            g.j["sni"].get<std::string>()] = g;
  }
  return o;
}

void write_config(const TempDir& d, const std::string& scan_settings,
                  const std::vector<std::string>& blocked) {
  std::ofstream b(d.file("blocklist.txt"));
  for (const auto& s : blocked) b << s << (s.find(':') != std::string::npos ? "/128\n" : "/32\n");
  std::ofstream c(d.file("iotmap.toml"));
  c << "[scan]\n"
    << scan_settings << "per_ip_spacing_ms = 0\nper_prefix_spacing_ms = 0\n"
    << "[ethics]\n# the lab's documentation prefixes are IANA special-purpose: an explicit "
       "override\n"
    << "default_blocklist = false\nblocklist_file = \"" << d.file("blocklist.txt")
    << "\"\ncontact = \"lab-test@example.org\"\n";
}

}  // namespace

TEST_CASE(
    "lab: scan collects every endpoint's certificates and confirms MQTT, AMQP, HTTPS, "
    "faults end at the deadline, and the blocked address sees nothing",
    "[lab][scanner]") {
  const json l = lab();
  const std::string ns = ns_name(l);
  int ns_fd = ::open(("/var/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(ns_fd >= 0);  // the lab is up (tests/lab/up)

  // Fault servers inside the namespace, on the reserved addresses.
  const json& f = l["faults"];
  const auto fault_port = f["silent_tcp"]["port"].get<uint16_t>();
  std::vector<std::unique_ptr<scanner_test::Server>> servers;
  std::map<std::string, scanner_test::Server*> by_address;
  auto start = [&](const json& fault, scanner_test::Handler h, uint16_t port) {
    for (const auto& a : fault["addresses"]) {
      servers.push_back(
          std::make_unique<scanner_test::Server>(a.get<std::string>(), h, port, ns_fd));
      by_address[a.get<std::string>()] = servers.back().get();
    }
  };
  start(f["silent_tcp"], scanner_test::silent(), fault_port);
  // A TLS record header announcing 16 KiB, a byte a second.
  start(f["trickle_tcp"],
        scanner_test::trickle(std::string("\x16\x03\x03\x40\x00\x02\x00\x3f\xfc", 9)),
        f["trickle_tcp"]["port"].get<uint16_t>());
  start(f["garbage_tcp"], scanner_test::plain_reply("220 garbage, not TLS\r\n", false),
        f["garbage_tcp"]["port"].get<uint16_t>());
  start(f["blocked"], scanner_test::silent(), fault_port);

  // Targets: every endpoint address with every name the lab serves a certificate for there.
  std::map<std::string, std::set<std::string>> names;
  for (const auto& e : l["endpoints"]) {
    auto& n = names[e["address"].get<std::string>()];
    if (e["certificates"].is_object() && e["certificates"]["sni"].is_object())
      for (const auto& [name, cert] : e["certificates"]["sni"].items()) n.insert(name);
  }
  for (const char* k : {"silent_tcp", "trickle_tcp", "garbage_tcp", "blocked"})
    for (const auto& a : f[k]["addresses"]) names[a.get<std::string>()];
  TempDir d;
  {
    std::ofstream t(d.file("targets.txt"));
    t << "# lab endpoints and fault addresses\n";
    for (const auto& [addr, ns_names] : names) {
      t << addr;
      for (const auto& n : ns_names) t << "," << n;
      t << "\n";
    }
  }
  std::vector<std::string> blocked;
  for (const auto& a : f["blocked"]["addresses"]) blocked.push_back(a.get<std::string>());
  const int deadline_ms = 2000;
  write_config(
      d, "rate = 1000\nmax_in_flight = 200\ntimeout_ms = " + std::to_string(deadline_ms) + "\n",
      blocked);
  ScanOutput scan = scan_in_lab(ns, d, "lab.db", "--ports 443,1883,5671,8883");
  INFO(scan.err);
  REQUIRE(scan.rc == 0);
  const double seconds = scan.seconds;
  const auto& grabs = scan.grabs;
  auto at = [&](const std::string& ip, int port, const std::string& sni = "") -> const Grab& {
    return scan.at(ip, port, sni);
  };

  // The whole scan is over shortly after one deadline although three servers never finish.
  CHECK(seconds < deadline_ms / 1000.0 + 3.0);

  std::set<std::string> families;
  for (const auto& e : l["endpoints"]) {
    std::string ip = e["address"];
    int port = e["port"];
    std::string protocol = e["protocol"];
    INFO(ip << ":" << port << " " << protocol);
    const Grab& plain = at(ip, port);
    CHECK(plain.j["status"] == "ok");
    CHECK(plain.j["phase"] == "done");
    if (e["tls"].get<bool>()) {
      families.insert(ip.find(':') != std::string::npos ? "v6" : "v4");
      const json& want = e["certificates"]["no_sni"];
      REQUIRE(plain.leaf().is_object());
      CHECK(plain.leaf()["common_names"][0] == want["subject_cn"]);
      CHECK(plain.leaf()["dns_sans"] == want["sans"]);
      for (const auto& [name, cert] : e["certificates"]["sni"].items()) {
        INFO("SNI " << name);
        const Grab& named = at(ip, port, name);
        CHECK(named.j["status"] == "ok");
        REQUIRE(named.leaf().is_object());
        CHECK(named.leaf()["common_names"][0] == cert["subject_cn"]);
      }
    } else {
      CHECK(plain.j["tls"].is_null());
    }
    const json& app = plain.j["app"];
    if (protocol == "mqtt") {
      CHECK(app["protocol"] == "mqtt");
      CHECK(app["confirmed"] == true);
      CHECK(app["return_code"] == 0);
    } else if (protocol == "amqp") {
      CHECK(app["protocol"] == "amqp");
      CHECK(app["confirmed"] == true);
      CHECK(app["version"] == "0-9-1");
      CHECK(app["product"] == "RabbitMQ");
    } else if (protocol == "https") {
      CHECK(app["protocol"] == "http");
      CHECK(app["confirmed"] == true);
      CHECK(app["status"].get<int>() >= 200);
      CHECK(app["server"].get<std::string>().rfind("nginx", 0) == 0);
    }
  }
  CHECK(families == std::set<std::string>{"v4", "v6"});

  // nginx's two certificates on one address: without SNI the default, with it the named one.
  for (const auto& a : l["cdn"]["addresses"]) {
    const Grab& g = at(a.get<std::string>(), l["cdn"]["port"].get<int>());
    CHECK(g.leaf()["dns_sans"].size() == l["cdn"]["sans"].size());
    CHECK(g.leaf()["dns_sans"].size() >= 12);
  }

  for (const auto& a : f["silent_tcp"]["addresses"]) {
    const Grab& g = at(a.get<std::string>(), fault_port);
    INFO(g.j.dump());
    CHECK(g.j["status"] == "timeout");
    CHECK(g.j["phase"] == "tls");
    CHECK(g.j["duration_ms"].get<int>() >= deadline_ms - 50);
    CHECK(g.j["duration_ms"].get<int>() < deadline_ms + 1000);
  }
  for (const auto& a : f["trickle_tcp"]["addresses"]) {
    const Grab& g = at(a.get<std::string>(), f["trickle_tcp"]["port"].get<int>());
    INFO(g.j.dump());
    CHECK(g.j["status"] == "timeout");
    CHECK(g.j["bytes_read"].get<int>() >= 1);
    CHECK(g.j["duration_ms"].get<int>() < deadline_ms + 1000);
  }
  for (const auto& a : f["garbage_tcp"]["addresses"]) {
    const Grab& g = at(a.get<std::string>(), f["garbage_tcp"]["port"].get<int>());
    INFO(g.j.dump());
    CHECK(g.j["status"] == "tls_error");
    CHECK(g.j["duration_ms"].get<int>() < 1000);
  }
  for (const auto& a : f["blocked"]["addresses"]) {
    CHECK(at(a.get<std::string>(), fault_port).j["status"] == "blocked");
    CHECK(by_address[a.get<std::string>()]->accepted() == 0);
  }
  // The good endpoints were not held up by the faults.
  for (const auto& [key, g] : grabs)
    if (g.j["status"] == "ok") CHECK(g.j["duration_ms"].get<int>() < 1000);

  iotmap::db::Store store(d.file("lab.db"));
  auto run = store.run(grabs.begin()->second.j["run_id"].get<int64_t>());
  REQUIRE(run);
  CHECK(run->info.kind == "scan");
  CHECK(run->status == "ok");
  CHECK(run->counts["targets"] == static_cast<int64_t>(names.size()));
  CHECK(run->counts["blocked"] > 0);
  servers.clear();
  ::close(ns_fd);
}

TEST_CASE(
    "lab: --grab-only stops every handshake after the certificates and collects the same "
    "chains as full handshakes, TLS 1.3-only, TLS 1.2-only and client-cert servers included",
    "[lab][scanner]") {
  const json l = lab();
  const std::string ns = ns_name(l);
  REQUIRE(::access(("/var/run/netns/" + ns).c_str(), F_OK) == 0);  // the lab is up

  // Every TLS endpoint with every name it has a certificate for, and the TLS variants.
  std::map<std::string, std::set<std::string>> names;
  for (const auto& e : l["endpoints"]) {
    if (!e["tls"].get<bool>()) continue;
    auto& n = names[e["address"].get<std::string>()];
    for (const auto& [name, cert] : e["certificates"]["sni"].items()) n.insert(name);
  }
  const json& variants = l["tls_variants"];
  for (const char* v : {"tls13_only", "tls12_only", "client_cert_required"})
    for (const auto& a : variants[v]["addresses"]) {
      auto& n = names[a.get<std::string>()];
      if (variants[v].contains("sni")) n.insert(variants[v]["sni"].get<std::string>());
    }
  TempDir d;
  {
    std::ofstream t(d.file("targets.txt"));
    for (const auto& [addr, addr_names] : names) {
      t << addr;
      for (const auto& n : addr_names) t << "," << n;
      t << "\n";
    }
  }
  write_config(d, "rate = 1000\nmax_in_flight = 100\ntimeout_ms = 3000\n", {"192.0.2.203"});
  ScanOutput cut = scan_in_lab(ns, d, "cut.db", "--ports 443,5671,8883 --grab-only");
  INFO(cut.err);
  REQUIRE(cut.rc == 0);
  ScanOutput full =
      scan_in_lab(ns, d, "full.db", "--ports 443,5671,8883 --grab-only --tls-mode full");
  INFO(full.err);
  REQUIRE(full.rc == 0);
  REQUIRE(cut.grabs.size() == full.grabs.size());

  // The same chain as a complete handshake, leaf and CA, stopped on purpose.
  auto same_chain = [&](const std::string& ip, int port, const std::string& sni) -> const Grab& {
    INFO(ip << ":" << port << " '" << sni << "'");
    const Grab& g = cut.at(ip, port, sni);
    INFO(g.j.dump());
    CHECK(g.j["status"] == "cert_only");
    CHECK(g.j["phase"] == "done");
    CHECK_FALSE(g.j["tls"]["cipher"].get<std::string>().empty());
    CHECK(g.chain().size() == 2);
    CHECK(g.chain() == full.at(ip, port, sni).chain());
    return g;
  };
  std::set<std::string> families;
  size_t endpoints = 0;
  for (const auto& e : l["endpoints"]) {
    if (!e["tls"].get<bool>()) continue;
    std::string ip = e["address"];
    int port = e["port"];
    ++endpoints;
    families.insert(ip.find(':') != std::string::npos ? "v6" : "v4");
    const Grab& plain = same_chain(ip, port, "");
    CHECK(plain.j["tls"]["version"] == "TLSv1.3");
    REQUIRE(plain.leaf().is_object());
    CHECK(plain.leaf()["common_names"][0] == e["certificates"]["no_sni"]["subject_cn"]);
    for (const auto& [name, cert] : e["certificates"]["sni"].items()) {
      const Grab& named = same_chain(ip, port, name);
      REQUIRE(named.leaf().is_object());
      CHECK(named.leaf()["common_names"][0] == cert["subject_cn"]);
    }
  }
  CHECK(endpoints >= 10);
  CHECK(families == std::set<std::string>{"v4", "v6"});

  for (const auto& a : variants["tls13_only"]["addresses"]) {
    const int port = variants["tls13_only"]["port"];
    for (const std::string& sni : {std::string(), variants["tls13_only"]["sni"].get<std::string>()})
      CHECK(same_chain(a, port, sni).j["tls"]["version"] == "TLSv1.3");
  }
  for (const auto& a : variants["tls12_only"]["addresses"]) {
    const int port = variants["tls12_only"]["port"];
    for (const std::string& sni : {std::string(), variants["tls12_only"]["sni"].get<std::string>()})
      CHECK(same_chain(a, port, sni).j["tls"]["version"] == "TLSv1.2");
  }
  // The server that wants a client certificate: its chain, and (TLS 1.3) its request noted; a
  // full handshake ends in the refusal.
  for (const auto& a : variants["client_cert_required"]["addresses"]) {
    const int port = variants["client_cert_required"]["port"];
    const Grab& g = same_chain(a, port, "");
    CHECK(g.j["tls"]["client_cert_requested"] == true);
    CHECK(full.at(a, port).j["tls"]["client_cert_requested"] == true);
  }

  // Stored as such: every observation where something listens is cert_only with its leaf (the
  // ports are scanned on every address), and the run's mode is in its settings.
  iotmap::db::Store store(d.file("cut.db"));
  size_t stored = 0, refused = 0;
  store.for_each_tls_observation(0, std::numeric_limits<int64_t>::max(),
                                 [&](const iotmap::db::TlsObservationRow& o) {
                                   ++stored;
                                   if (o.status == "refused") return void(++refused);
                                   CHECK(o.status == "cert_only");
                                   CHECK_FALSE(o.leaf_sha256.empty());
                                 });
  CHECK(stored == cut.grabs.size());
  CHECK(stored - refused >= 2 * endpoints);
  auto run = store.run(cut.grabs.begin()->second.j["run_id"].get<int64_t>());
  REQUIRE(run);
  CHECK(run->info.config.find("tls=cert") != std::string::npos);
}
