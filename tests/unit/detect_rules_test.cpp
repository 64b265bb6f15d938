// The detection rules on flows (detect/): Haystack's threshold and primary domain, Guo &
// Heidemann's 2/3 and 1/2, the level hierarchy, the scanner exclusion, matching by (address,
// port, transport) against the hitlist of the flow's own day, and the pseudonyms.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "backend_map/catalogue_view.h"
#include "config/catalogue.h"
#include "detect/detector.h"
#include "detect/privacy.h"
#include "lib/date.h"

using namespace iotmap;
using namespace iotmap::detect;

namespace {

IpAddress ip(const std::string& text) { return *IpAddress::parse(text); }
const int32_t kDay = *parse_date("2026-03-01");
const int64_t kNoon = int64_t{kDay} * 86400 + 12 * 3600;

// A service `id` with `n` domains d0..d(n-1) on 198.51.100.<base+i>:443/tcp; d0 primary, the
// rest support unless `all_primary`.
void add_service(Hitlist& h, const std::string& id, const std::string& level, int n, int base,
                 bool all_primary = false) {
  for (int i = 0; i < n; ++i)
    h.add(id, level, id + "-d" + std::to_string(i) + ".example.", all_primary || i == 0,
          ip("198.51.100." + std::to_string(base + i)), 443, kTcp);
}

Flow to(const std::string& client, const std::string& server, uint16_t port = 443,
        int64_t at = kNoon, uint8_t proto = kTcp) {
  Flow f;
  f.start = at;
  f.src = ip(client);
  f.dst = ip(server);
  f.src_port = 50000;
  f.dst_port = port;
  f.protocol = proto;
  f.bytes = 100;
  f.reverse_bytes = 1000;
  return f;
}

// Flows from `client` to the first `k` domains of the service at `base`, or those listed.
void reach(Detector& det, const std::string& client, int base, const std::vector<int>& domains) {
  for (int i : domains) det.add(to(client, "198.51.100." + std::to_string(base + i)));
}
std::vector<int> first(int k) {
  std::vector<int> v;
  for (int i = 0; i < k; ++i) v.push_back(i);
  return v;
}

std::vector<std::string> daily(const Detector& det, const Options& o = {}) {
  std::vector<std::string> out;
  for (const auto& d : det.detections(o))
    if (d.hour < 0) out.push_back(d.source.str() + " " + d.service);
  return out;
}

Detector one_day(const Hitlist& h, uint32_t scanner = 100) {
  return Detector([&h](int32_t day) { return day == kDay ? &h : nullptr; }, scanner);
}

}  // namespace

TEST_CASE("Haystack threshold: max(1, floor(D x N)), never rounded", "[detect][rules]") {
  CHECK(haystack_threshold(0.4, 1) == 1);  // N = 1: one domain always suffices
  CHECK(haystack_threshold(1.0, 1) == 1);
  CHECK(haystack_threshold(0.4, 2) == 1);   // 0.8 -> 0 -> at least 1
  CHECK(haystack_threshold(0.4, 7) == 2);   // 2.8: floor 2, rounding would say 3
  CHECK(haystack_threshold(0.7, 10) == 7);  // 6.999... in binary: still 7
  CHECK(haystack_threshold(0.3, 10) == 3);
  CHECK(haystack_threshold(1.0, 67) == 67);
}

TEST_CASE("Guo & Heidemann threshold: 2/3 up to 20 names, 1/2 above", "[detect][rules]") {
  CHECK(guo_heidemann_threshold(1) == 1);
  CHECK(guo_heidemann_threshold(2) == 2);
  CHECK(guo_heidemann_threshold(3) == 2);
  CHECK(guo_heidemann_threshold(20) == 14);  // 13.3 -> 14
  CHECK(guo_heidemann_threshold(21) == 11);  // 10.5 -> 11
  CHECK(guo_heidemann_threshold(41) == 21);
}

TEST_CASE("Haystack needs a primary domain among those reached", "[detect][rules]") {
  Hitlist h;
  add_service(h, "samsung", "manufacturer", 5, 10);  // d0 primary, d1..d4 support
  auto det = one_day(h);
  reach(det, "192.0.2.1", 10, {1, 2, 3});  // three support domains: 3 >= 2, but no primary
  reach(det, "192.0.2.2", 10, {0, 1});     // primary + support: 2 >= floor(0.4 x 5)
  reach(det, "192.0.2.3", 10, {0});        // primary alone: 1 < 2
  CHECK(daily(det) == std::vector<std::string>{"192.0.2.2 samsung"});
  auto all = det.detections({});
  REQUIRE(!all.empty());
  CHECK(all[0].rule == "haystack");
  CHECK(all[0].n == 5);
  CHECK(all[0].threshold == 2);
  CHECK(all[0].matched == 2);
  CHECK(all[0].primary_matched == 1);
  CHECK(all[0].domains == std::vector<std::string>{"samsung-d0.example.", "samsung-d1.example."});
}

TEST_CASE("a catalogue pattern is one domain of N, however many servers DNS finds for it",
          "[detect][rules]") {
  // Seed 000's digit rule: command-2 and command-9 are one server name. Here a1 stands for
  // a<n>, which passive DNS filled with six servers; with openapi the service has N = 2
  // domains, not 7 names.
  auto cat = config::Catalogue::from_text(R"(
[[service]]
id = "numbered"
name = "Numbered"
level = "manufacturer"
digit_wildcard = true
domains = [{ name = "a1.numbered.example" }, { name = "openapi.numbered.example" }]
)",
                                          "numbered.toml");
  const auto view = backend_map::view_of(cat);
  Hitlist h;
  auto add = [&](const std::string& name, int last_octet) {
    h.add("numbered", "manufacturer", backend_map::catalogue_entry(view, "numbered", name), true,
          ip("198.51.100." + std::to_string(last_octet)), 443, kTcp);
  };
  for (int i = 1; i <= 6; ++i) add("a" + std::to_string(i) + ".numbered.example.", 10 + i);
  add("openapi.numbered.example.", 20);
  auto det = one_day(h);
  reach(det, "192.0.2.1", 10, {2, 3, 10});  // a2, a3 and openapi
  reach(det, "192.0.2.2", 10, {4});         // a4 alone
  std::vector<std::string> both{"192.0.2.1 numbered", "192.0.2.2 numbered"};
  CHECK(daily(det, {.d = 0.4}) == both);  // threshold max(1, floor(0.8)) = 1, not floor(2.8) = 2
  CHECK(daily(det, {.d = 1.0}) == std::vector<std::string>{"192.0.2.1 numbered"});
  // Guo & Heidemann: 2 of 2 domains (the 7 names would ask for 5).
  CHECK(daily(det, {.device_rule = DeviceRule::kGuoHeidemann}) ==
        std::vector<std::string>{"192.0.2.1 numbered"});
  auto all = det.detections({});
  REQUIRE(!all.empty());
  CHECK(all[0].n == 2);
  CHECK(all[0].threshold == 1);
  CHECK(all[0].matched == 2);  // a2 and a3 are one domain
  CHECK(all[0].domains ==
        std::vector<std::string>{"a#.numbered.example.", "openapi.numbered.example."});
  // A name the catalogue does not give to the service counts as itself.
  CHECK(backend_map::catalogue_entry(view, "other", "a1.numbered.example.") ==
        "a1.numbered.example.");
}

TEST_CASE("D is configurable: the same flows pass at 0.4 and fail at 0.6", "[detect][rules]") {
  Hitlist h;
  add_service(h, "wemo", "product", 5, 10, true);
  auto det = one_day(h);
  reach(det, "192.0.2.1", 10, first(2));
  CHECK(daily(det, {.d = 0.4}).size() == 1);
  CHECK(daily(det, {.d = 0.6}).empty());  // floor(3.0) = 3 > 2
}

TEST_CASE("a flow on the wrong port or transport matches nothing", "[detect][rules]") {
  Hitlist h;
  add_service(h, "tplink", "manufacturer", 1, 10);
  auto det = one_day(h);
  det.add(to("192.0.2.1", "198.51.100.10", 8883));
  det.add(to("192.0.2.2", "198.51.100.10", 443, kNoon, kUdp));
  det.add(to("192.0.2.3", "198.51.100.11", 443));  // right port, address not in the hitlist
  CHECK(daily(det).empty());
  CHECK(det.counts().matched == 0);
  det.add(to("192.0.2.4", "198.51.100.10", 443));
  CHECK(daily(det) == std::vector<std::string>{"192.0.2.4 tplink"});
}

TEST_CASE("a row without a port is not added: it cannot be matched", "[detect][rules]") {
  Hitlist h;
  CHECK_FALSE(h.add("x", "product", "x.example.", true, ip("198.51.100.1"), 0, kTcp));
  CHECK(h.endpoints() == 0);
}

TEST_CASE("the answer of a server (a unidirectional record) counts for its client",
          "[detect][rules]") {
  Hitlist h;
  add_service(h, "aws", "backend", 3, 10);
  auto det = one_day(h);
  Flow f = to("198.51.100.10", "192.0.2.9", 50000);
  f.src_port = 443;
  f.bytes = 700;
  f.reverse_bytes = 0;
  det.add(f);
  CHECK(daily(det) == std::vector<std::string>{"192.0.2.9 aws"});
  auto t = det.traffic();
  REQUIRE(t.size() == 1);
  CHECK(t[0].bytes_down == 700);
  CHECK(t[0].bytes_up == 0);
  CHECK(t[0].port_bytes.at(443) == 700);
}

TEST_CASE("backend providers: any dedicated endpoint is activity, whatever D", "[detect][rules]") {
  Hitlist h;
  add_service(h, "aws", "backend", 50, 10);
  auto det = one_day(h);
  reach(det, "192.0.2.1", 10, {7});
  auto all = det.detections({.d = 1.0});
  REQUIRE(all.size() == 2);  // the day and the hour
  CHECK(all[0].rule == "backend");
  CHECK(all[0].threshold == 1);
}

TEST_CASE("Guo & Heidemann: 14 of 20 names, 11 of 21", "[detect][rules]") {
  Hitlist h;
  add_service(h, "cam20", "product", 20, 10);
  add_service(h, "tv21", "product", 21, 40);
  auto det = one_day(h);
  const Options gh{.device_rule = DeviceRule::kGuoHeidemann};
  reach(det, "192.0.2.1", 10, first(14));
  reach(det, "192.0.2.2", 10, first(13));
  reach(det, "192.0.2.3", 40, first(11));
  reach(det, "192.0.2.4", 40, first(10));
  CHECK(daily(det, gh) == std::vector<std::string>{"192.0.2.1 cam20", "192.0.2.3 tv21"});
  // No primary domain needed: reaching 14 support names of 20 is enough.
  auto det2 = one_day(h);
  reach(det2, "192.0.2.5", 10, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14});
  CHECK(daily(det2, gh) == std::vector<std::string>{"192.0.2.5 cam20"});
  CHECK(daily(det2).empty());  // Haystack: 14 >= floor(0.4 x 20), but no primary domain
}

TEST_CASE("the level hierarchy: a product only under its detected manufacturer and platform",
          "[detect][rules]") {
  Hitlist h;
  add_service(h, "alexa", "platform", 1, 10);
  add_service(h, "amazon", "manufacturer", 3, 20);
  add_service(h, "firetv", "product", 2, 30);
  h.set_parents({{"amazon", "alexa"}, {"firetv", "amazon"}});
  auto det = one_day(h);
  reach(det, "192.0.2.1", 10, {0});  // all three levels
  reach(det, "192.0.2.1", 20, {0});
  reach(det, "192.0.2.1", 30, {0});
  reach(det, "192.0.2.2", 20, {0});  // manufacturer and product, no platform
  reach(det, "192.0.2.2", 30, {0});
  reach(det, "192.0.2.3", 10, {0});  // platform and product, no manufacturer
  reach(det, "192.0.2.3", 30, {0});
  CHECK(daily(det) == std::vector<std::string>{"192.0.2.1 alexa", "192.0.2.1 amazon",
                                               "192.0.2.1 firetv", "192.0.2.3 alexa"});
}

TEST_CASE("scanner exclusion: 99 hitlist addresses a day is a household, 100 a scanner",
          "[detect][rules]") {
  Hitlist h;
  add_service(h, "aws", "backend", 200, 0);  // 198.51.100.0 .. .199
  auto det = one_day(h);
  reach(det, "192.0.2.99", 0, first(99));
  reach(det, "192.0.2.100", 0, first(100));
  reach(det, "192.0.2.100", 0, first(150));  // more of the same changes nothing
  CHECK(daily(det) == std::vector<std::string>{"192.0.2.99 aws"});
  auto sc = det.scanners();
  REQUIRE(sc.size() == 1);
  CHECK(sc[0].second.str() == "192.0.2.100");
  auto t = det.traffic();
  REQUIRE(t.size() == 1);
  CHECK(t[0].sources == 1);  // the scanner's flows are not traffic of the provider either
  CHECK(t[0].flows == 99);
  // Threshold 0 excludes no one.
  auto none = one_day(h, 0);
  reach(none, "192.0.2.100", 0, first(100));
  CHECK(daily(none).size() == 1);
}

TEST_CASE("each flow meets the hitlist of its own day", "[detect][rules]") {
  Hitlist day1, day2;
  add_service(day1, "tplink", "manufacturer", 1, 10);  // .10 serves tplink on day 1
  add_service(day2, "tplink", "manufacturer", 1, 11);  // and .11 on day 2
  Detector det([&](int32_t day) { return day == kDay       ? &day1
                                         : day == kDay + 1 ? &day2
                                                           : nullptr; },
               100);
  det.add(to("192.0.2.1", "198.51.100.10", 443, kNoon));              // day 1, its address: yes
  det.add(to("192.0.2.2", "198.51.100.10", 443, kNoon + 86400));      // day 2, old address: no
  det.add(to("192.0.2.3", "198.51.100.11", 443, kNoon + 86400));      // day 2, new address: yes
  det.add(to("192.0.2.4", "198.51.100.11", 443, kNoon + 2 * 86400));  // no hitlist that day
  CHECK(daily(det) == std::vector<std::string>{"192.0.2.1 tplink", "192.0.2.3 tplink"});
  CHECK(det.counts().no_hitlist == 1);
  CHECK(det.days_without_hitlist() == std::vector<int32_t>{kDay + 2});
}

TEST_CASE("per hour and per day: evidence spread over two hours passes only for the day",
          "[detect][rules]") {
  Hitlist h;
  add_service(h, "wemo", "product", 2, 10, true);
  auto det = one_day(h);
  det.add(to("192.0.2.1", "198.51.100.10", 443, kNoon));
  det.add(to("192.0.2.1", "198.51.100.11", 443, kNoon + 3600));
  auto all = det.detections({.d = 1.0});
  REQUIRE(all.size() == 1);
  CHECK(all[0].hour == -1);
  CHECK(all[0].matched == 2);
  auto loose = det.detections({.d = 0.5});  // threshold 1: each hour too
  CHECK(loose.size() == 3);
}

TEST_CASE("sweep values: FROM:TO:STEP without float drift", "[detect][rules]") {
  auto v = sweep_values("0.1:1.0:0.1");
  REQUIRE(v.size() == 10);
  CHECK(v[2] == 0.3);
  CHECK(v[6] == 0.7);
  CHECK(v.back() == 1.0);
  CHECK(sweep_values("0.4:0.4:0.1") == std::vector<double>{0.4});
  CHECK_THROWS_WITH(sweep_values("0.1:1.0"), Catch::Contains("FROM:TO:STEP"));
  CHECK_THROWS_WITH(sweep_values("0:1:0.1"), Catch::Contains("0 < FROM"));
  CHECK_THROWS_WITH(sweep_values("0.1:1.5:0.1"), Catch::Contains("TO <= 1"));
  CHECK_THROWS_WITH(sweep_values("0.1:1:0"), Catch::Contains("STEP > 0"));
  CHECK_THROWS(sweep_values("0.1:1:nan"));
}

TEST_CASE("pseudonyms: a keyed hash or a /24 and /48 prefix, never the address",
          "[detect][privacy]") {
  auto a = Pseudonymizer::keyed_hash("0123456789abcdef-key-one");
  auto b = Pseudonymizer::keyed_hash("0123456789abcdef-key-two");
  const auto x = ip("192.0.2.77");
  CHECK(a(x) == a(x));
  CHECK(a(x) != b(x));
  CHECK(a(x) != a(ip("192.0.2.78")));
  CHECK(a(x).size() == 18);
  CHECK(a(x).find("192") == std::string::npos);
  CHECK_THROWS_WITH(Pseudonymizer::keyed_hash("short"), Catch::Contains("at least 16"));
  auto p = Pseudonymizer::prefix();
  CHECK(p(x) == "192.0.2.0/24");
  CHECK(p(ip("2001:db8:1234:5678::1")) == "2001:db8:1234::/48");
}
