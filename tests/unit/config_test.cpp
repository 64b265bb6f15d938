#include "config/config.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

using iotmap::config::ConfigError;
using iotmap::config::load_text;

namespace {
std::string error_of(const std::string& text) {
  try {
    load_text(text, "my.toml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("the embedded default configuration loads", "[config]") {
  auto c = load_text("", "empty.toml");
  REQUIRE(c.vantage_points.size() == 1);
  CHECK(c.vantage_points[0].name == "system");  // config_resolv_conf_test.cpp: its resolvers
  CHECK(c.scan.rate == 100);
  CHECK(c.scan.tls_mode == "full");
  CHECK(load_text("[scan]\ntls_mode = \"cert\"\n", "cert.toml").scan.tls_mode == "cert");
  CHECK(c.loaded_from == std::vector<std::string>{"<embedded default>", "empty.toml"});
}

TEST_CASE("a user file overrides the default and replaces vantage points", "[config]") {
  auto c = load_text(R"(
[[vantage_point]]
name = "a"
location = "Frankfurt"
resolvers = ["192.0.2.53", "[2001:db8::53]:5353"]
client_subnet = "198.51.100.0/24"
[[vantage_point]]
name = "b"
resolvers = ["203.0.113.53:53"]
[scan]
rate = 12.5
ports = [8883, 443]
)",
                     "my.toml");
  REQUIRE(c.vantage_points.size() == 2);
  CHECK(c.vantage_points[0].resolvers[1].str() == "[2001:db8::53]:5353");
  CHECK(c.vantage_points[0].client_subnet->str() == "198.51.100.0/24");
  CHECK(c.scan.rate == 12.5);
  CHECK(c.scan.ports == std::vector<uint16_t>{8883, 443});
  CHECK(c.scan.timeout_ms == 8000);  // untouched keys keep the default
}

TEST_CASE("configuration errors name file, line and key", "[config]") {
  CHECK(error_of("[scan]\nrate = 5\nrat = 6\n") == "my.toml:3: scan.rat: unknown key");
  CHECK(error_of("\n[scan]\nrate = \"fast\"\n") == "my.toml:3: scan.rate: expected a number");
  CHECK(error_of("[resolver]\nretries = 99\n") ==
        "my.toml:2: resolver.retries: must be between 0 and 20");
  CHECK(error_of("[scan]\nports = [0]\n") ==
        "my.toml:2: scan.ports: ports are integers from 1 to 65535");
  CHECK(error_of("[[vantage_point]]\nname = \"x\"\nresolvers = [\"a.b.c.d\"]\n") ==
        "my.toml:3: vantage_point.resolvers: 'a.b.c.d': 'a.b.c.d' is not an IP address (write "
        "ADDRESS, ADDRESS:PORT or [IPv6]:PORT)");
  CHECK(error_of("[[vantage_point]]\nname = \"x\"\n") ==
        "my.toml:1: vantage_point.resolvers: vantage point x has no resolver: set resolvers, or "
        "resolv_conf");
  CHECK(error_of("[classify]\nhitlist_rule = \"vibes\"\n") ==
        "my.toml:2: classify.hitlist_rule: must be \"exclusive\" or \"threshold\"");
  CHECK(error_of("[scan]\ntls_mode = \"fast\"\n") ==
        "my.toml:2: scan.tls_mode: must be \"full\" or \"cert\"");
  CHECK(error_of("[scan\nrate=1\n").rfind("my.toml:1: ", 0) == 0);  // TOML syntax error
  CHECK(error_of("[ethics]\nmax_rate = 10\n[scan]\nrate = 50\n") ==
        "my.toml:4: scan.rate: 50 exceeds ethics.max_rate 10 (my.toml:2)");
  CHECK_THAT(error_of("[scan]\nrate = 20000\n"),
             Catch::Matchers::Matches("my\\.toml:2: scan\\.rate: 20000 exceeds ethics\\.max_rate "
                                      "10000 \\(<embedded default>:[0-9]+\\)"));
}

TEST_CASE("NaN and infinities fail every number range check", "[config]") {
  // `d < lo || d > hi` is false for NaN: ethics.max_rate = nan let a scan run unbounded.
  const std::vector<std::pair<std::string, std::string>> keys = {{"resolver", "qps"},
                                                                 {"resolver", "max_in_flight"},
                                                                 {"resolver", "timeout_ms"},
                                                                 {"resolver", "retries"},
                                                                 {"resolver", "max_cname_chain"},
                                                                 {"resolver", "ptr_qps"},
                                                                 {"scan", "rate"},
                                                                 {"scan", "max_in_flight"},
                                                                 {"scan", "timeout_ms"},
                                                                 {"scan", "per_ip_spacing_ms"},
                                                                 {"scan", "per_prefix_spacing_ms"},
                                                                 {"scan", "max_bytes"},
                                                                 {"scan", "cidr_cap"},
                                                                 {"scan", "seed"},
                                                                 {"scan", "workers"},
                                                                 {"ethics", "max_rate"},
                                                                 {"classify", "window_days"},
                                                                 {"classify", "shared_threshold"}};
  for (const auto& [section, key] : keys)
    for (const char* v : {"nan", "+nan", "-nan", "inf", "-inf"}) {
      INFO(section << "." << key << " = " << v);
      std::string err = error_of("[" + section + "]\n" + key + " = " + v + "\n");
      CHECK(err.rfind("my.toml:2: " + section + "." + key + ": must be between ", 0) == 0);
    }
}

TEST_CASE("ethics.contact must be printable and not blank", "[config]") {
  // The contact goes into the User-Agent of HTTP probes sent to third parties.
  const std::string printable =
      "my.toml:2: ethics.contact: must be printable ASCII (an e-mail address or URL), without "
      "line breaks or other control characters";
  CHECK(error_of("[ethics]\ncontact = \"a@example.org\\r\\nX-Injected: 1\"\n") == printable);
  CHECK(error_of("[ethics]\ncontact = \"a@example.org\\n\"\n") == printable);
  CHECK(error_of("[ethics]\ncontact = \"a\\tb@example.org\"\n") == printable);
  CHECK(error_of("[ethics]\ncontact = \"a\\u007fb@example.org\"\n") == printable);
  CHECK(error_of("[ethics]\ncontact = \"   \"\n") == "my.toml:2: ethics.contact: is blank");
  CHECK(error_of("[ethics]\ncontact = \"" + std::string(257, 'a') + "\"\n") ==
        "my.toml:2: ethics.contact: is longer than 256 characters");
  CHECK(load_text("[ethics]\ncontact = \"https://example.org/scan (ask us)\"\n", "my.toml")
            .ethics.contact == "https://example.org/scan (ask us)");
  CHECK(load_text("", "my.toml").ethics.contact.empty());  // unset: only a scan refuses
}

TEST_CASE("relative ethics paths are relative to the configuration file", "[config]") {
  // cron runs the job from another directory than the one `optout add` was run in.
  char dir[] = "/tmp/iotmap-config-rel-XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  const std::string d = dir;
  std::filesystem::create_directory(d + "/etc");
  std::ofstream(d + "/etc/c.toml") << "[ethics]\nblocklist_file = \"lists/block.txt\"\n"
                                      "optout_file = \"../optout.txt\"\n";
  auto cwd = std::filesystem::current_path();
  std::filesystem::current_path("/");
  auto c = iotmap::config::load(d + "/etc/c.toml");
  auto c_relative = [&] {
    std::filesystem::current_path(d);
    return iotmap::config::load("etc/c.toml");
  }();
  std::filesystem::current_path(cwd);
  CHECK(c.ethics.blocklist_file == d + "/etc/lists/block.txt");
  CHECK(c.ethics.optout_file == d + "/optout.txt");
  CHECK(c_relative.ethics.blocklist_file == d + "/etc/lists/block.txt");
  CHECK(c_relative.ethics.optout_file == d + "/optout.txt");
  CHECK(c.set_at.at("ethics.optout_file") == d + "/etc/c.toml:3");
  std::filesystem::remove_all(d);
}

TEST_CASE("resolver addresses: an empty port, brackets on IPv4 and ::1:53 are errors", "[config]") {
  auto with = [](const std::string& resolver) {
    return error_of("[[vantage_point]]\nname = \"x\"\nresolvers = [\"" + resolver + "\"]\n");
  };
  CHECK(with("127.0.0.1:") ==
        "my.toml:3: vantage_point.resolvers: '127.0.0.1:': the port must be a number from 1 to "
        "65535 (write ADDRESS, ADDRESS:PORT or [IPv6]:PORT)");
  CHECK_THAT(with("[::1]:"), Catch::Contains("'[::1]:': the port must be a number"));
  CHECK_THAT(with("[127.0.0.1]:53"),
             Catch::Contains("'[127.0.0.1]:53': brackets are for IPv6 addresses only"));
  CHECK_THAT(with("::1:53"), Catch::Contains("'::1:53': ambiguous: write [::1]:53 for port 53, "
                                             "or [::1:53] for that address"));
  CHECK_THAT(with("2001:db8::1:5353"), Catch::Contains("ambiguous: write [2001:db8::1]:5353"));
  // The unambiguous spellings still work.
  auto c = iotmap::config::load_text(
      "[[vantage_point]]\nname = \"x\"\nresolvers = [\"::1\", \"[::1]:53\", \"[2001:db8::1:53]\", "
      "\"2001:db8::1\", \"127.0.0.1\", \"127.0.0.1:5353\"]\n",
      "my.toml");
  std::vector<std::string> got;
  for (const auto& r : c.vantage_points.at(0).resolvers) got.push_back(r.str());
  CHECK(got == std::vector<std::string>{"[::1]:53", "[::1]:53", "[2001:db8::1:53]:53",
                                        "[2001:db8::1]:53", "127.0.0.1:53", "127.0.0.1:5353"});
}
