// Hitlist rows, detection rules and the report renderers.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "backend_map/hitlist.h"
#include "backend_map/report.h"
#include "lib/date.h"

using namespace iotmap;
using namespace iotmap::backend_map;

namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }
const Day kDay = *parse_date("2022-02-28");

NameMatch lookup(std::string_view name) {
  if (name.find(".iot.us-east-1.amazonaws.com") != std::string_view::npos) return {0, 0};
  if (name.find(".iot.eu-west-1.amazonaws.com") != std::string_view::npos) return {0, -1};
  if (name.ends_with(".azure-devices.net")) return {1, -1};
  return {};
}

std::vector<Provider> providers() {
  return {{"aws",
           "Amazon AWS",
           {64497},
           {{"us-east-1", "Ashburn", "US", 0, 0}},
           {{8883, "mqtt"}, {443, "https"}}},
          {"azure", "Microsoft Azure", {64498}, {}, {}}};
}

// A dedicated AWS name with a scanned IP, a shared one on a CDN, an Azure hub without scans.
Dataset lab() {
  Dataset d;
  d.observe(kDay, ip("198.51.100.10"), "a1-ats.iot.us-east-1.amazonaws.com", kActiveDns);
  d.observe(kDay + 1, ip("198.51.100.10"), "a1-ats.iot.us-east-1.amazonaws.com", kPassiveDns);
  d.observe(kDay + 1, ip("2001:db8:a5:1::10"), "a1-ats.iot.us-east-1.amazonaws.com", kActiveDns);
  d.service(kDay, ip("198.51.100.10"), 8883, "mqtt", true);
  d.service(kDay, ip("198.51.100.10"), 1883, "mqtt", true);
  d.service(kDay, ip("198.51.100.10"), 5671, "amqp", false);
  d.resolution(kDay, ip("203.0.113.200"), "d3-ats.iot.eu-west-1.amazonaws.com",
               {"edge.cdn.example"}, kActiveDns);
  d.cname(kDay, "www.shop-alpha.test", "edge.cdn.example");
  d.observe(kDay, ip("198.51.100.70"), "hub,1.azure-devices.net", kActiveDns);
  return d;
}

}  // namespace

TEST_CASE("hitlist rows: dedicated only unless shared are asked for", "[backend_map]") {
  Dataset d = lab();
  auto cls = classify(d, lookup, kDay, kDay + 1);
  auto prov = providers();
  HitlistOptions o;
  o.date = kDay + 1;
  auto rows = build_hitlist(d, cls, prov, o);
  // AWS name: the scanned IPv4 address with its two answering ports, the IPv6 address with the
  // catalogue's ports; the Azure hub with no port at all.
  REQUIRE(rows.size() == 5);
  CHECK(d.names[rows[0].domain] == "a1-ats.iot.us-east-1.amazonaws.com");
  CHECK(rows[0].port == 1883);
  CHECK(rows[1].port == 8883);
  CHECK(rows[0].sources == (kActiveDns | kPassiveDns));
  CHECK(rows[0].first_seen == kDay);
  CHECK(rows[0].last_seen == kDay + 1);
  CHECK(rows[2].ip == d.find_ip(ip("2001:db8:a5:1::10")));
  CHECK(rows[2].port == 443);
  CHECK(rows[3].port == 8883);
  CHECK(rows[4].provider == 1);
  CHECK(rows[4].port == 0);

  std::string csv = hitlist_csv(d, prov, rows);
  CHECK(csv.starts_with(
      "date,provider,domain,ip,port,protocol,infrastructure,sources,first_seen,last_seen\n"
      "2022-03-01,aws,a1-ats.iot.us-east-1.amazonaws.com,198.51.100.10,1883,mqtt,dedicated,"
      "active_dns+pdns,2022-02-28,2022-03-01\n"));
  CHECK(csv.find(
            "2022-03-01,azure,\"hub,1.azure-devices.net\",198.51.100.70,,,dedicated,active_dns,") !=
        std::string::npos);

  std::string jsonl = hitlist_jsonl(d, prov, rows);
  auto first = nlohmann::json::parse(jsonl.substr(0, jsonl.find('\n')));
  CHECK(first["port"] == 1883);
  CHECK(first["infrastructure"] == "dedicated");
  CHECK(first["sources"] == "active_dns+pdns");
  auto last_line = jsonl.substr(jsonl.rfind('\n', jsonl.size() - 2) + 1);
  CHECK(nlohmann::json::parse(last_line)["port"].is_null());

  o.include_shared = true;
  auto all = build_hitlist(d, cls, prov, o);
  REQUIRE(all.size() == 7);  // the CDN name on the edge with the catalogue's two ports
  size_t shared = 0;
  for (const auto& r : all)
    if (r.infrastructure == Verdict::kShared) {
      ++shared;
      CHECK(d.ips[r.ip] == ip("203.0.113.200"));
    }
  CHECK(shared == 2);
}

TEST_CASE("detection rule threshold and the rules format", "[backend_map]") {
  CHECK(DetectionRule::threshold(0.4, 1) == 1);
  CHECK(DetectionRule::threshold(0.4, 2) == 1);
  CHECK(DetectionRule::threshold(0.4, 5) == 2);
  CHECK(DetectionRule::threshold(0.4, 10) == 4);
  CHECK(DetectionRule::threshold(0.4, 0) == 1);

  Dataset d = lab();
  auto cls = classify(d, lookup, kDay, kDay + 1);
  auto prov = providers();
  HitlistOptions o;
  o.date = kDay + 1;
  o.include_shared = true;  // shared rows never make it into rules
  auto doc =
      nlohmann::json::parse(hitlist_rules(d, prov, build_hitlist(d, cls, prov, o), o.date, o.rule));
  CHECK(doc["date"] == "2022-03-01");
  CHECK(doc["infrastructure_rule"] == "exclusive");
  CHECK(doc["detection"]["D"] == 0.4);
  REQUIRE(doc["providers"].size() == 2);
  const auto& aws = doc["providers"][0];
  CHECK(aws["provider"] == "aws");
  CHECK(aws["N"] == 1);
  CHECK(aws["threshold"] == 1);
  REQUIRE(aws["domains"].size() == 1);
  CHECK(aws["domains"][0]["class"] == "primary");
  CHECK(aws["ip_ports"] == nlohmann::json({"198.51.100.10:1883", "198.51.100.10:8883",
                                           "[2001:db8:a5:1::10]:443", "[2001:db8:a5:1::10]:8883"}));
  CHECK(doc["providers"][1]["ip_ports"].empty());
}

TEST_CASE("footprint reports in Markdown, JSON and HTML", "[backend_map]") {
  Dataset d = lab();
  auto cls = classify(d, lookup, kDay, kDay + 1);
  auto prov = providers();
  FootprintInputs in;
  in.providers = &prov;
  in.blocklist = {*Prefix::parse("198.51.100.70/32")};
  in.blocklist_name = "firehol_level1";
  auto fp = compute_footprint(d, cls, in);

  auto j = nlohmann::json::parse(footprint_json(prov, fp, kDay + 1));
  CHECK(j["window"]["first"] == "2022-02-28");
  REQUIRE(j["providers"].size() == 2);
  CHECK(j["providers"][0]["ipv4"] == 2);
  CHECK(j["providers"][0]["ipv6"] == 1);
  CHECK(j["providers"][0]["ips_shared"] == 1);
  CHECK(j["providers"][0]["stability"][0]["new"] == 1);
  CHECK(j["providers"][1]["blocklisted"]["ips"] == 1);
  CHECK(nlohmann::json::parse(provider_footprint_json(prov, fp.providers[1]))["name"] ==
        "Microsoft Azure");

  std::string md = footprint_markdown(prov, fp, kDay + 1);
  CHECK(md.find("| Amazon AWS | 2 (1) | 0 | 2 (1) | 1 | 1 | MQTT(1883, 8883) | ? | 2 / 1 / 0 |") !=
        std::string::npos);
  CHECK(md.find("Microsoft Azure: 1 IPs (198.51.100.70)") != std::string::npos);

  std::string html = footprint_html(prov, fp, kDay + 1);
  CHECK(html.starts_with("<!DOCTYPE html>"));
  CHECK(html.find("id=\"sources-chart\"") != std::string::npos);
  CHECK(html.find("id=\"stability-chart\"") != std::string::npos);
  CHECK(html.find("<table id=\"summary\">") != std::string::npos);
  CHECK(html.find("http://") == html.find("http://www.w3.org/2000/svg"));  // no other URL
  CHECK(html.find("https://") == std::string::npos);
  CHECK(html.find("<script") == std::string::npos);
}

#include "backend_map/catalogue_view.h"

TEST_CASE("the embedded catalogue as provider table and lookup", "[backend_map]") {
  auto view = view_of(config::Catalogue::embedded());
  int32_t aws = view.index("aws");
  REQUIRE(aws >= 0);
  auto m = view.lookup("a1b2c3d4e5f6g7-ats.iot.us-east-1.amazonaws.com");
  CHECK(m.provider == aws);
  REQUIRE(m.region >= 0);
  CHECK(view.providers[size_t(aws)].regions[size_t(m.region)].code == "us-east-1");
  CHECK(view.lookup("www.shop-alpha.test").provider == -1);
  CHECK(view.lookup("ihsu-prod-am-001.cloudapp.net").provider == -1);
}

TEST_CASE("a port listed twice in the catalogue gives one hitlist row", "[backend_map]") {
  // Alibaba documents 1883 both with and without TLS; without a scan both entries stand for
  // the same (domain, ip, port, protocol) key, which the store holds once.
  Dataset d;
  d.observe(kDay, ip("198.51.100.130"), "pk.iot-as-mqtt.cn-shanghai.aliyuncs.com", kActiveDns);
  std::vector<Provider> prov = {
      {"alibaba", "Alibaba Cloud", {64500}, {}, {{1883, "mqtt"}, {1883, "mqtt"}, {443, "https"}}}};
  auto lookup_ali = [](std::string_view name) -> NameMatch {
    if (name.ends_with(".aliyuncs.com")) return {0, -1};
    return {};
  };
  auto cls = classify(d, lookup_ali, kDay, kDay);
  HitlistOptions o;
  o.date = kDay;
  auto rows = build_hitlist(d, cls, prov, o);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].port == 443);
  CHECK(rows[1].port == 1883);
}

TEST_CASE("detection threshold is floor(D*N), at least 1, for D*N between whole numbers",
          "[backend_map][mutation]") {
  CHECK(DetectionRule::threshold(0.4, 4) == 1);    // 1.6
  CHECK(DetectionRule::threshold(0.5, 3) == 1);    // 1.5
  CHECK(DetectionRule::threshold(0.4, 9) == 3);    // 3.6
  CHECK(DetectionRule::threshold(0.3, 3) == 1);    // 0.9: at least 1
  CHECK(DetectionRule::threshold(0.1, 3) == 1);    // 0.3: at least 1
  CHECK(DetectionRule::threshold(0.7, 10) == 7);   // whole, whichever way 0.7 * 10 rounds
  CHECK(DetectionRule::threshold(0.45, 20) == 9);  // whole
}

TEST_CASE("the default hitlist holds dedicated domains only, not unknown ones",
          "[backend_map][mutation]") {
  // Unknown: one address by DNS, one known only from a certificate. Dedicated: one address.
  const char* unknown = "a1-ats.iot.us-east-1.amazonaws.com";
  const char* dedicated = "c3-ats.iot.us-east-1.amazonaws.com";
  Dataset d;
  d.observe(kDay, ip("198.51.100.10"), unknown, kActiveDns);
  d.certificate(kDay, ip("198.51.100.99"), 8883, "dd", {unknown});
  d.observe(kDay, ip("198.51.100.30"), dedicated, kActiveDns);
  auto cls = classify(d, lookup, kDay, kDay);
  REQUIRE(cls.domain(d.find_name(unknown))->exclusive == Verdict::kUnknown);
  REQUIRE(cls.domain(d.find_name(dedicated))->exclusive == Verdict::kDedicated);
  auto prov = providers();
  for (Rule rule : {Rule::kExclusive, Rule::kThreshold}) {
    INFO(rule_str(rule));
    HitlistOptions o;
    o.date = kDay;
    o.rule = rule;
    for (const auto& r : build_hitlist(d, cls, prov, o)) {
      CHECK(d.names[r.domain] == dedicated);
      CHECK(r.infrastructure == Verdict::kDedicated);
    }
    // Asked for, the unknown domain comes with its verdict.
    o.include_shared = true;
    size_t rows = 0;
    for (const auto& r : build_hitlist(d, cls, prov, o))
      if (d.names[r.domain] == unknown) {
        ++rows;
        CHECK(r.infrastructure == Verdict::kUnknown);
      }
    CHECK(rows == 4);  // two addresses, the catalogue's two ports
  }
}

TEST_CASE("hitlist: support domains stay support, two protocols on one port are two rows",
          "[backend_map][mutation]") {
  auto with_support = [](std::string_view name) {
    NameMatch m = lookup(name);
    if (name.starts_with("support")) m.primary = false;
    return m;
  };
  Dataset d;
  d.observe(kDay, ip("198.51.100.10"), "a1-ats.iot.us-east-1.amazonaws.com", kActiveDns);
  d.observe(kDay, ip("198.51.100.20"), "support-ats.iot.us-east-1.amazonaws.com", kActiveDns);
  // MQTT and HTTPS on one port (443, told apart by ALPN).
  d.service(kDay, ip("198.51.100.10"), 443, "https", true);
  d.service(kDay, ip("198.51.100.10"), 443, "mqtt", true);
  d.service(kDay, ip("198.51.100.20"), 8883, "mqtt", true);
  auto cls = classify(d, with_support, kDay, kDay);
  auto prov = providers();
  HitlistOptions o;
  o.date = kDay;
  auto rows = build_hitlist(d, cls, prov, o);
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].port == 443);
  CHECK(rows[0].protocol == "https");
  CHECK(rows[1].port == 443);
  CHECK(rows[1].protocol == "mqtt");
  CHECK(rows[0].primary);
  CHECK_FALSE(rows[2].primary);
  auto doc = nlohmann::json::parse(hitlist_rules(d, prov, rows, kDay, o.rule));
  const auto& domains = doc["providers"][0]["domains"];
  REQUIRE(domains.size() == 2);
  CHECK(domains[0]["class"] == "primary");
  CHECK(domains[1]["domain"] == "support-ats.iot.us-east-1.amazonaws.com");
  CHECK(domains[1]["class"] == "support");
}
