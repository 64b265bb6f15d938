// Passive DNS import (DNSDB JSON lines).
#include <catch2/catch.hpp>
#include <sstream>

#include "resolver/pdns.h"
#include "resolver/wire.h"

using namespace iotmap;
using namespace iotmap::resolver;

TEST_CASE("pdns: DNSDB lines, the obj wrapper, control lines and bad lines", "[resolver]") {
  std::istringstream in(
      R"({"count":5,"time_first":1600000000,"time_last":1700000000,"rrname":"A1.IoT.eu-west-1.amazonaws.com.","rrtype":"A","bailiwick":"amazonaws.com.","rdata":["192.0.2.1","192.0.2.2"]})"
      "\n"
      R"({"cond":"begin"})"
      "\n"
      R"({"obj":{"zone_time_first":1650000000,"zone_time_last":1650000100,"rrname":"x.azure-devices.net.","rrtype":"CNAME","rdata":"Target.CloudApp.net."}})"
      "\n"
      "not json at all\n"
      R"({"rrname":"y.azure-devices.net.","rrtype":"A","rdata":["192.0.2.9"]})"
      "\n"
      R"({"time_first":1,"time_last":2,"rrname":"z.azure-devices.net.","rrtype":"AAAA","rdata":["192.0.2.1"]})"
      "\n"
      R"({"time_first":1,"time_last":2,"rrname":"old.azure-devices.net.","rrtype":"A","rdata":"192.0.2.3"})"
      "\n"
      R"({"time_first":1650000000,"time_last":1650000000,"rrname":"www.example.com.","rrtype":"A","rdata":"192.0.2.4"})"
      "\n"
      R"({"time_first":1650000000,"time_last":1650000000,"rrname":"mx.azure-devices.net.","rrtype":"MX","rdata":"10 mail.example."})"
      "\n\n"
      R"({"cond":"succeeded"})"
      "\n");
  PdnsFilter f;
  f.name = [](const std::string& n) {
    return n.find("amazonaws") != std::string::npos || n.find("azure-devices") != std::string::npos;
  };
  f.from = 1600000000;
  f.to = 1800000000;
  std::vector<PdnsRecord> got;
  auto st = read_dnsdb(in, "dump.jsonl", f, [&](const PdnsRecord& r) { got.push_back(r); });
  CHECK(st.lines == 11);
  REQUIRE(got.size() == 3);
  CHECK(got[0].rrname == "a1.iot.eu-west-1.amazonaws.com");
  CHECK(got[0].rrtype == "A");
  CHECK(got[0].rdata == "192.0.2.1");
  CHECK(got[1].rdata == "192.0.2.2");
  CHECK(got[0].time_first == 1600000000);
  CHECK(got[2].rrname == "x.azure-devices.net");
  CHECK(got[2].rrtype == "CNAME");
  CHECK(got[2].rdata == "target.cloudapp.net");
  CHECK(got[2].time_last == 1650000100);
  CHECK(st.malformed == 3);
  REQUIRE(st.errors.size() == 3);
  CHECK(st.errors[0].rfind("dump.jsonl:4: ", 0) == 0);
  CHECK(st.errors[1].rfind("dump.jsonl:5: ", 0) == 0);  // no times
  CHECK(st.errors[2].rfind("dump.jsonl:6: ", 0) == 0);  // AAAA holding an IPv4 address
  CHECK(st.outside_window == 1);
  CHECK(st.not_matching == 2);  // www.example.com, and an MX record
}

TEST_CASE("pdns: the window from..to (to excluded) keeps a record seen at its edges, not past them",
          "[resolver][mutation]") {
  auto line = [](int64_t first, int64_t last, const char* name) {
    return R"({"time_first":)" + std::to_string(first) + R"(,"time_last":)" + std::to_string(last) +
           R"(,"rrname":")" + name + R"(.","rrtype":"A","rdata":"192.0.2.1"})" + "\n";
  };
  std::istringstream in(line(500, 1000, "ends-at-from.test") +       // last == from: in
                        line(500, 999, "ends-before.test") +         // out
                        line(1999, 3000, "starts-before-to.test") +  // in
                        line(2000, 3000, "starts-at-to.test"));      // to is excluded: out
  PdnsFilter f;
  f.from = 1000;
  f.to = 2000;
  std::vector<std::string> kept;
  auto st = read_dnsdb(in, "w.jsonl", f, [&](const PdnsRecord& r) { kept.push_back(r.rrname); });
  CHECK(kept == std::vector<std::string>{"ends-at-from.test", "starts-before-to.test"});
  CHECK(st.outside_window == 2);
}

TEST_CASE("pdns: times before 1970 or from 2100 on make a line malformed", "[resolver]") {
  std::vector<PdnsRecord> out;
  std::string error;
  auto line = [](const std::string& first, const std::string& last) {
    return R"({"rrname":"a.example.","rrtype":"A","rdata":"192.0.2.1","time_first":)" + first +
           R"(,"time_last":)" + last + "}";
  };
  CHECK_FALSE(parse_dnsdb_line(line("-5", "1700000000"), out, error));
  CHECK(error == "time_first -5 is not a time from 1970 to 2099 (Unix seconds)");
  CHECK_FALSE(parse_dnsdb_line(line("1700000000", "4102444800"), out, error));
  CHECK(error == "time_last 4102444800 is not a time from 1970 to 2099 (Unix seconds)");
  // Above INT64_MAX: read as unsigned, it would wrap to a negative time.
  CHECK_FALSE(parse_dnsdb_line(line("1", "18446744073709551615"), out, error));
  CHECK(parse_dnsdb_line(line("0", "4102444799"), out, error));
  CHECK(out.size() == 1);
}
