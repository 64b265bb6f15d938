#include "config/config.h"

#include <catch2/catch.hpp>

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
  CHECK(c.vantage_points[0].resolvers[0].str() == "127.0.0.1:53");
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
        "my.toml:3: vantage_point.resolvers: 'a.b.c.d' is not ADDRESS, ADDRESS:PORT or "
        "[IPv6]:PORT");
  CHECK(error_of("[[vantage_point]]\nname = \"x\"\n") ==
        "my.toml:1: vantage_point.resolvers: vantage point x has no resolver");
  CHECK(error_of("[classify]\nhitlist_rule = \"vibes\"\n") ==
        "my.toml:2: classify.hitlist_rule: must be \"exclusive\" or \"threshold\"");
  CHECK(error_of("[scan]\ntls_mode = \"fast\"\n") ==
        "my.toml:2: scan.tls_mode: must be \"full\" or \"cert\"");
  CHECK(error_of("[scan\nrate=1\n").rfind("my.toml:1: ", 0) == 0);  // TOML syntax error
  CHECK(error_of("[ethics]\nmax_rate = 10\n[scan]\nrate = 50\n") ==
        "scan.rate 50.000000 exceeds ethics.max_rate 10.000000");
}
