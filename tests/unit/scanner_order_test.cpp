#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <set>

#include "scanner/permutation.h"
#include "scanner/targets.h"

using namespace iotmap;
using namespace iotmap::scanner;

TEST_CASE("the permutation is a bijection on 0..size-1 for every size", "[scanner][order]") {
  for (uint64_t size :
       {0ULL, 1ULL, 2ULL, 3ULL, 4ULL, 5ULL, 17ULL, 100ULL, 1000ULL, 4097ULL, 65536ULL, 70001ULL}) {
    for (uint64_t seed : {1ULL, 42ULL, 0xdeadbeefULL}) {
      Permutation p(size, seed);
      std::vector<bool> seen(size, false);
      for (uint64_t i = 0; i < size; ++i) {
        auto x = p.at(i);
        REQUIRE(x < size);
        REQUIRE_FALSE(seen[x]);
        seen[x] = true;
      }
    }
  }
}

TEST_CASE("the order depends on the seed and scatters neighbours", "[scanner][order]") {
  Permutation a(10000, 1), b(10000, 2), again(10000, 1);
  int same = 0, in_place = 0, adjacent = 0;
  for (uint64_t i = 0; i < 10000; ++i) {
    CHECK(a.at(i) == again.at(i));
    same += a.at(i) == b.at(i);
    in_place += a.at(i) == i;
    if (i > 0)
      adjacent += (a.at(i) > a.at(i - 1) ? a.at(i) - a.at(i - 1) : a.at(i - 1) - a.at(i)) == 1;
  }
  CHECK(same < 50);
  CHECK(in_place < 50);
  CHECK(adjacent < 50);
}

TEST_CASE("four shards cover exactly the unsharded scan, without overlap", "[scanner][order]") {
  for (uint64_t tasks : {0ULL, 1ULL, 3ULL, 10ULL, 1001ULL, 50000ULL}) {
    ScanOrder all(tasks, 7, Shard{});
    std::multiset<uint64_t> whole, united;
    for (uint64_t k = 0; k < all.steps(); ++k) whole.insert(all.task_at(k));
    REQUIRE(whole.size() == tasks);
    for (uint64_t i = 0; i < 4; ++i) {
      ScanOrder part(tasks, 7, Shard{i, 4});
      for (uint64_t k = 0; k < part.steps(); ++k) united.insert(part.task_at(k));
    }
    CHECK(united == whole);  // a multiset: an overlap would count twice
    std::set<uint64_t> distinct(united.begin(), united.end());
    CHECK(distinct.size() == tasks);
  }
}

TEST_CASE("shard option: --shard parses I/N counting from 0", "[scanner][order]") {
  auto s = Shard::parse("3/4");
  REQUIRE(s);
  CHECK(s->index == 3);
  CHECK(s->count == 4);
  CHECK(s->str() == "3/4");
  std::string error;
  for (const char* bad : {"4/4", "1", "a/4", "1/0", "-1/4", "1/4x", ""}) {
    CHECK_FALSE(Shard::parse(bad, &error));
    CHECK(error.find("--shard") != std::string::npos);
  }
  CHECK(Shard{1, 4}.positions(10) == 3);  // 1, 5, 9
  CHECK(Shard{3, 4}.positions(3) == 0);
}

TEST_CASE("targets: addresses, prefixes, hitlists and ip,name pairs", "[scanner][targets]") {
  TargetList list;
  list.add_text(
      "# an IPv6 hitlist with comments\n"
      "2001:db8::1\n"
      "  2001:db8::2   # trailing comment\n"
      "\n"
      "192.0.2.0/30\n"
      "198.51.100.7,Mqtt.Example.COM.\n"
      "198.51.100.7,other.example.com,mqtt.example.com\n"
      "198.51.100.8 name.example.com\n"
      "2001:db8::/126\n",
      "t.txt", 1024);
  list.normalize();
  CHECK(list.errors.empty());
  CHECK(list.lines == 7);
  std::vector<std::string> ips;
  for (const auto& t : list.targets) ips.push_back(t.ip.str());
  CHECK(ips == std::vector<std::string>{"192.0.2.0", "192.0.2.1", "192.0.2.2", "192.0.2.3",
                                        "198.51.100.7", "198.51.100.8", "2001:db8::", "2001:db8::1",
                                        "2001:db8::2", "2001:db8::3"});
  CHECK(list.targets[4].names == std::vector<std::string>{"mqtt.example.com", "other.example.com"});
  CHECK(list.targets[5].names == std::vector<std::string>{"name.example.com"});
}

TEST_CASE("targets: malformed lines are reported with file:line and skipped",
          "[scanner][targets]") {
  TargetList list;
  list.add_text(
      "192.0.2.1\nnot-an-ip\n192.0.2.0/16\n192.0.2.2,bad name!\n2001:db8::/64\n192.0.2.3\n",
      "hit.txt", 256);
  list.normalize();
  REQUIRE(list.errors.size() == 4);
  CHECK(list.errors[0].where == "hit.txt:2");
  CHECK(list.errors[0].message.find("not-an-ip") != std::string::npos);
  CHECK(list.errors[1].where == "hit.txt:3");
  CHECK(list.errors[1].message.find("cap of 256") != std::string::npos);
  CHECK(list.errors[2].where == "hit.txt:4");
  CHECK(list.errors[3].where == "hit.txt:5");
  REQUIRE(list.targets.size() == 2);
  CHECK(list.targets[1].ip.str() == "192.0.2.3");

  TargetList missing;
  missing.add_file("/nonexistent/targets.txt", 256);
  REQUIRE(missing.errors.size() == 1);
  CHECK(missing.errors[0].where == "/nonexistent/targets.txt");

  char path[] = "/tmp/iotmap-targets-XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  close(fd);
  std::ofstream(path) << "192.0.2.9\nbogus\n";
  TargetList from_file;
  from_file.add_file(path, 256);
  std::remove(path);
  REQUIRE(from_file.errors.size() == 1);
  CHECK(from_file.errors[0].where == std::string(path) + ":2");
  CHECK(from_file.targets.size() == 1);
}

TEST_CASE("targets: zmap's output, default lines and csv with a saddr column",
          "[scanner][targets]") {
  // zmap -p 8883 (default output module): one address per line, no header.
  TargetList plain;
  plain.add_text("198.51.100.13\n203.0.113.30\n198.51.100.10\n", "<stdin>", 1);
  plain.normalize();
  CHECK(plain.errors.empty());
  CHECK(plain.targets.size() == 3);

  // zmap -O csv -f saddr,daddr,sport,success --output-filter= : every response, RSTs with
  // success 0; the other columns are no SNI names.
  TargetList csv;
  csv.add_text(
      "saddr,daddr,sport,success\n"
      "198.51.100.10,192.0.2.100,8883,1\n"
      "198.51.100.14,192.0.2.100,8883,0\n"
      "\n"
      "203.0.113.70,192.0.2.100,8883,1\n"
      "203.0.113.71,8883,1\n"
      "bogus,192.0.2.100,8883,1\n",
      "zmap.csv", 1);
  csv.normalize();
  REQUIRE(csv.targets.size() == 2);
  CHECK(csv.targets[0].ip.str() == "198.51.100.10");
  CHECK(csv.targets[0].names.empty());
  CHECK(csv.targets[1].ip.str() == "203.0.113.70");
  REQUIRE(csv.errors.size() == 2);
  CHECK(csv.errors[0].where == "zmap.csv:6");
  CHECK(csv.errors[0].message == "zmap csv row has 3 fields, its header 4");
  CHECK(csv.errors[1].where == "zmap.csv:7");
  CHECK(csv.errors[1].message.find("'bogus'") != std::string::npos);

  // -O csv -f saddr: a header alone, after a comment; no success column: every row counts.
  TargetList saddr_only;
  saddr_only.add_text("# zmap\nsaddr\n192.0.2.5\n", "s.csv", 1);
  CHECK(saddr_only.errors.empty());
  CHECK(saddr_only.targets.size() == 1);
  CHECK(saddr_only.lines == 1);

  // A first line of words without saddr is no header: an error, as before.
  TargetList other;
  other.add_text("daddr,sport\n192.0.2.5\n", "o.csv", 1);
  REQUIRE(other.errors.size() == 1);
  CHECK(other.errors[0].where == "o.csv:1");
  CHECK(other.targets.size() == 1);
}

TEST_CASE("host names are normalised for SNI", "[scanner][targets]") {
  CHECK(sni_name("A-B.Example.com.") == "a-b.example.com");
  CHECK(sni_name("_x.example") == "_x.example");
  // "-" (a placeholder) passed before lib/dns_name.h.
  for (const char* bad : {"", ".", "a..b", "*.example.com", "a b", "192.0.2.1:443", "-", "-."})
    CHECK(sni_name(bad).empty());
  CHECK(sni_name(std::string(64, 'a') + ".com").empty());
}

TEST_CASE("tasks: one per port without SNI and one per name on TLS ports", "[scanner][targets]") {
  std::vector<Target> targets = {{*IpAddress::parse("192.0.2.1"), {"a.example", "b.example"}},
                                 {*IpAddress::parse("2001:db8::1"), {}}};
  auto ports = [](const Target&) {
    return std::vector<PortPlan>{default_port_plan(8883), default_port_plan(1883)};
  };
  auto set = build_tasks(targets, ports, {});
  CHECK(set.plans.size() == 2);
  // 192.0.2.1: 8883 x {none, a, b} + 1883; 2001:db8::1: 8883 + 1883.
  REQUIRE(set.tasks.size() == 6);
  CHECK(set.sni(set.tasks[0]).empty());
  CHECK(set.sni(set.tasks[1]) == "a.example");
  CHECK(set.plan(set.tasks[3]).port == 1883);
  auto names_only = build_tasks(targets, ports, {false, true});
  CHECK(names_only.tasks.size() == 5);  // the target without names still gets its grab
  auto none = build_tasks(targets, ports, {true, false});
  CHECK(none.tasks.size() == 4);
  CHECK(set.digest() == build_tasks(targets, ports, {}).digest());
  CHECK(set.digest() != none.digest());
  CHECK(default_port_plan(443).protocol == AppProtocol::kHttp);
  PortPlan both{443, AppProtocol::kHttp, true, {"x-amzn-mqtt-ca"}, {AppProtocol::kMqtt}};
  CHECK(both.protocol_for("x-amzn-mqtt-ca") == AppProtocol::kMqtt);
  CHECK(both.protocol_for("") == AppProtocol::kHttp);
  CHECK(both.protocol_for("h2") == AppProtocol::kHttp);
  CHECK_FALSE(default_port_plan(1883).tls);
}

TEST_CASE("tasks: at most 1 + max_names connections per address and TLS port",
          "[scanner][targets]") {
  // An address shared by k names used to get k + 1 connections per TLS port.
  std::vector<std::string> names;
  for (char c = 'a'; c <= 'f'; ++c) names.push_back(std::string(1, c) + ".example");
  std::vector<Target> targets = {{*IpAddress::parse("192.0.2.1"), names}};
  auto ports = [](const Target&) {
    return std::vector<PortPlan>{default_port_plan(8883), default_port_plan(1883)};
  };
  auto set = build_tasks(targets, ports, {});  // default: 4 names
  CHECK(set.tasks.size() == 5 + 1);
  CHECK(set.names_left_out == 2);
  CHECK(set.sni(set.tasks[4]) == "d.example");
  CHECK(build_tasks(targets, ports, {true, true, 0}).tasks.size() == 2);
  CHECK(build_tasks(targets, ports, {false, true, 2}).tasks.size() == 2 + 1);
  CHECK(build_tasks(targets, ports, {true, true, 6}).names_left_out == 0);
  CHECK(build_tasks(targets, ports, {true, false, 2}).names_left_out == 0);
}
