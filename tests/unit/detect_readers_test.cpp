// Flow readers (detect/readers.h): nfdump CSV with and without its header and summary, Zeek
// conn.log as TSV and JSON; bad lines are named file:line, counted and skipped.
#include <catch2/catch.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "detect/readers.h"

using namespace iotmap;
using namespace iotmap::detect;

namespace {

struct Read {
  std::vector<Flow> flows;
  ReadStats stats;
};

Read read(const std::string& text, FlowFormat format = FlowFormat::kAuto) {
  Read r;
  FlowReader reader("flows.csv", format);
  std::istringstream in(text);
  reader.read(in, [&](const Flow& f) { r.flows.push_back(f); });
  r.stats = reader.stats();
  return r;
}

// nfdump 1.7.1 `-o csv`, as it prints a softflowd capture (two records, then the summary).
const char* kNfdump =
    "ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt,in,out,sas,das,smk,dmk,dtos,dir,"
    "nh,nhb,svln,dvln,ismc,odmc,idmc,osmc,mpls1,mpls2,mpls3,mpls4,mpls5,mpls6,mpls7,mpls8,mpls9,"
    "mpls10,cl,sl,al,ra,eng,exid,tr\n"
    "2026-03-01 12:00:05,2026-03-01 12:00:06,0.500,10.0.0.2,192.0.2.10,48322,8883,TCP,...AP.SF,0,"
    "0,12,1840,0,0,0,0,0,0,0,0,0,0,0.0.0.0,0.0.0.0,0,0,00:00:00:00:00:00,00:00:00:00:00:00,"
    "00:00:00:00:00:00,00:00:00:00:00:00,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,"
    "0-0-0,    0.000,    0.000,    0.000,127.0.0.1,0/0,1,2026-03-01 12:00:30.426\n"
    "2026-03-01 12:00:05.250,2026-03-01 12:00:06,0.500,2001:db8::2,2001:db8:1::10,5683,5683,UDP,"
    "........,0,0,1,80,0,0,0,0,0,0,0,0,0,0,::,::,0,0,00:00:00:00:00:00,00:00:00:00:00:00,"
    "00:00:00:00:00:00,00:00:00:00:00:00,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,"
    "0-0-0,    0.000,    0.000,    0.000,127.0.0.1,0/0,1,2026-03-01 12:00:30.426\n"
    "\n"
    "Summary\n"
    "flows,bytes,packets,avg_bps,avg_pps,avg_bpp\n"
    "2,1920,13,5734,14,50\n";

}  // namespace

TEST_CASE("nfdump CSV: records by header names, the summary is not a flow", "[detect][readers]") {
  auto r = read(kNfdump);
  CHECK(r.stats.malformed == 0);
  REQUIRE(r.flows.size() == 2);
  const Flow& f = r.flows[0];
  CHECK(f.start == 1772366405);  // 2026-03-01T12:00:05Z
  CHECK(f.src.str() == "10.0.0.2");
  CHECK(f.dst.str() == "192.0.2.10");
  CHECK(f.src_port == 48322);
  CHECK(f.dst_port == 8883);
  CHECK(f.protocol == kTcp);
  CHECK(f.packets == 12);
  CHECK(f.bytes == 1840);
  CHECK(r.flows[1].protocol == kUdp);
  CHECK(r.flows[1].dst.str() == "2001:db8:1::10");
  CHECK(r.flows[1].start == 1772366405);  // the fraction is cut, not rounded
}

TEST_CASE("nfdump CSV without its header (-q): nfdump 1.7's column order", "[detect][readers]") {
  std::string text = kNfdump;
  text = text.substr(text.find('\n') + 1);
  auto r = read(text, FlowFormat::kNfdumpCsv);
  CHECK(r.stats.malformed == 0);
  REQUIRE(r.flows.size() == 2);
  CHECK(r.flows[0].bytes == 1840);
}

TEST_CASE("a bad line is named file:line, counted, and the next one read", "[detect][readers]") {
  std::string text = kNfdump;
  auto second = text.find('\n') + 1;
  text.insert(second, "2026-03-01 12:00:05,x,0,10.0.0.300,192.0.2.10,1,2,TCP,,0,0,1,1\n");
  text.insert(second, "2026-02-30 12:00:05,x,0,10.0.0.3,192.0.2.10,1,2,TCP,,0,0,1,1\n");
  auto r = read(text);
  CHECK(r.flows.size() == 2);
  CHECK(r.stats.malformed == 2);
  REQUIRE(r.stats.problems.size() == 2);
  CHECK(r.stats.problems[0].starts_with("flows.csv:2: no start time"));
  CHECK(r.stats.problems[1].starts_with("flows.csv:3: no source or destination address"));
}

TEST_CASE("Zeek conn.log TSV: the #fields line decides the columns", "[detect][readers]") {
  const std::string text =
      "#separator \\x09\n#set_separator\t,\n#path\tconn\n"
      "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\t"
      "orig_bytes\tresp_bytes\tconn_state\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\n"
      "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring"
      "\tcount\tcount\tcount\tcount\n"
      "1772366405.123456\tCx1\t10.0.0.2\t40000\t192.0.2.10\t443\ttcp\tssl\t1.2\t500\t4000\tSF\t8"
      "\t900\t9\t4500\n"
      "1772366406.5\tCx2\t10.0.0.3\t40001\t192.0.2.11\t5683\tudp\t-\t-\t-\t-\tS0\t1\t-\t0\t-\n"
      "not a record\n"
      "#close\t2026-03-01-13-00-00\n";
  auto r = read(text);
  REQUIRE(r.flows.size() == 2);
  CHECK(r.flows[0].start == 1772366405);
  CHECK(r.flows[0].bytes == 900);  // IP bytes, as NetFlow counts them
  CHECK(r.flows[0].reverse_bytes == 4500);
  CHECK(r.flows[0].reverse_packets == 9);
  CHECK(r.flows[1].protocol == kUdp);
  CHECK(r.flows[1].bytes == 0);  // "-": unset
  CHECK(r.stats.malformed == 1);
  REQUIRE(r.stats.problems.size() == 1);
  CHECK(r.stats.problems[0].starts_with("flows.csv:8: no start time"));
}

TEST_CASE("Zeek conn.log JSON: epoch or ISO times", "[detect][readers]") {
  const std::string text =
      R"({"ts":1772366405.5,"uid":"C1","id.orig_h":"10.0.0.2","id.orig_p":40000,)"
      R"("id.resp_h":"192.0.2.10","id.resp_p":8883,"proto":"tcp","orig_bytes":10,"resp_bytes":20,)"
      R"("orig_pkts":1,"resp_pkts":2})"
      "\n"
      R"({"ts":"2026-03-01T12:00:07.250Z","id.orig_h":"10.0.0.2","id.orig_p":40001,)"
      R"("id.resp_h":"192.0.2.10","id.resp_p":8883,"proto":"tcp"})"
      "\n"
      R"({"ts":1772366405.5,"id.orig_h":"10.0.0.2"})"
      "\n"
      "{broken\n";
  auto r = read(text);
  REQUIRE(r.flows.size() == 2);
  CHECK(r.flows[0].dst_port == 8883);
  CHECK(r.flows[0].reverse_bytes == 20);
  CHECK(r.flows[1].start == 1772366407);
  CHECK(r.stats.malformed == 2);
}
