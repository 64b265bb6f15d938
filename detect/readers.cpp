#include "detect/readers.h"

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "lib/date.h"
#include "lib/text.h"

namespace iotmap::detect {

namespace {

template <typename T>
std::optional<T> number(std::string_view s) {
  s = trim(s);
  T v{};
  auto [stop, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || stop != s.data() + s.size()) return std::nullopt;
  return v;
}

// "2026-03-01 12:00:05.123" (nfdump) or "2026-03-01T12:00:05.123Z" (Zeek JSON): the whole second.
std::optional<int64_t> time_text(std::string_view s) {
  return parse_time(trim(s), Zone::utc_if_absent);
}

// Unix seconds with a fraction (Zeek's ts).
std::optional<int64_t> epoch_text(std::string_view s) {
  auto v = number<double>(s);
  if (!v || !std::isfinite(*v) || *v < 0 || *v > 4e12) return std::nullopt;
  return static_cast<int64_t>(std::floor(*v));
}

std::optional<uint8_t> protocol_text(std::string_view s) {
  s = trim(s);
  std::string p(s);
  for (auto& c : p) c = char(std::tolower(static_cast<unsigned char>(c)));
  if (p == "tcp") return kTcp;
  if (p == "udp") return kUdp;
  if (p == "icmp") return 1;
  if (p == "icmp6" || p == "ipv6-icmp") return 58;
  if (auto n = number<unsigned>(s); n && *n < 256) return static_cast<uint8_t>(*n);
  return std::nullopt;
}

// Ports of protocols without ports (nfdump writes ICMP type.code there) are 0.
std::optional<uint16_t> port_text(std::string_view s, uint8_t protocol) {
  if (auto n = number<unsigned>(s); n && *n <= 65535) return static_cast<uint16_t>(*n);
  if (protocol != kTcp && protocol != kUdp) return 0;
  return std::nullopt;
}

// A count; Zeek writes "-" for unset.
std::optional<uint64_t> count_text(std::string_view s) {
  if (trim(s) == "-" || trim(s).empty()) return 0;
  return number<uint64_t>(s);
}

// nfdump 1.7's CSV columns, for output without its header line (-q).
const std::map<std::string, size_t, std::less<>> kNfdumpColumns = {
    {"ts", 0}, {"sa", 3},    {"da", 4},    {"sp", 5},    {"dp", 6},
    {"pr", 7}, {"ipkt", 11}, {"ibyt", 12}, {"opkt", 13}, {"obyt", 14}};

}  // namespace

std::optional<FlowFormat> parse_flow_format(std::string_view text) {
  if (text == "auto") return FlowFormat::kAuto;
  if (text == "nfdump") return FlowFormat::kNfdumpCsv;
  if (text == "zeek") return FlowFormat::kZeekTsv;
  if (text == "zeek-json") return FlowFormat::kZeekJson;
  if (text == "ipfix") return FlowFormat::kIpfix;
  return std::nullopt;
}

void FlowReader::bad(const std::string& why, std::string_view text) {
  ++stats_.malformed;
  if (stats_.problems.size() < max_problems_)
    stats_.problems.push_back(name_ + ":" + std::to_string(stats_.lines) + ": " + why + ": " +
                              shown(text, 120));
}

void FlowReader::read(std::istream& in, const std::function<void(const Flow&)>& emit) {
  std::string text;
  while (std::getline(in, text)) line(text, emit);
}

void FlowReader::line(std::string_view text, const std::function<void(const Flow&)>& emit) {
  ++stats_.lines;
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  if (format_ == FlowFormat::kAuto) {
    std::string_view t = trim(text);
    if (t.empty()) return;
    format_ = t.starts_with("#")   ? FlowFormat::kZeekTsv
              : t.starts_with("{") ? FlowFormat::kZeekJson
                                   : FlowFormat::kNfdumpCsv;
  }
  if (format_ == FlowFormat::kZeekTsv && trim(text).starts_with("{"))
    format_ = FlowFormat::kZeekJson;
  switch (format_) {
    case FlowFormat::kNfdumpCsv:
      return nfdump(text, emit);
    case FlowFormat::kZeekTsv:
      return zeek_tsv(text, emit);
    default:
      return zeek_json(text, emit);
  }
}

void FlowReader::nfdump(std::string_view text, const std::function<void(const Flow&)>& emit) {
  // After the records nfdump prints an empty line, "Summary" and totals: not flows.
  if (summary_) return;
  if (trim(text).empty() || trim(text) == "Summary") {
    summary_ = stats_.flows > 0 || stats_.malformed > 0 || trim(text) == "Summary";
    return;
  }
  auto cells = split(text, ',');
  if (cells[0] == "ts") {
    columns_.clear();
    for (size_t i = 0; i < cells.size(); ++i) columns_[std::string(trim(cells[i]))] = i;
    for (const char* need : {"ts", "sa", "da", "sp", "dp", "pr", "ibyt"})
      if (!columns_.count(need)) return bad(std::string("header without column ") + need, text);
    return;
  }
  const auto& cols = columns_.empty() ? kNfdumpColumns : columns_;
  auto cell = [&](const char* key) -> std::string_view {
    auto it = cols.find(key);
    return it == cols.end() || it->second >= cells.size() ? std::string_view() : cells[it->second];
  };
  Flow f;
  auto t = time_text(cell("ts"));
  if (!t) return bad("no start time (ts)", text);
  auto src = IpAddress::parse(trim(cell("sa")));
  auto dst = IpAddress::parse(trim(cell("da")));
  if (!src || !dst) return bad("no source or destination address (sa, da)", text);
  auto proto = protocol_text(cell("pr"));
  if (!proto) return bad("unknown protocol (pr)", text);
  auto sp = port_text(cell("sp"), *proto), dp = port_text(cell("dp"), *proto);
  if (!sp || !dp) return bad("bad port (sp, dp)", text);
  auto bytes = count_text(cell("ibyt"));
  auto packets = cols.count("ipkt") ? count_text(cell("ipkt")) : 0;
  auto rbytes = cols.count("obyt") ? count_text(cell("obyt")) : 0;
  auto rpackets = cols.count("opkt") ? count_text(cell("opkt")) : 0;
  if (!bytes || !packets || !rbytes || !rpackets) return bad("bad byte or packet count", text);
  f.start = *t;
  f.src = *src;
  f.dst = *dst;
  f.protocol = *proto;
  f.src_port = *sp;
  f.dst_port = *dp;
  f.bytes = *bytes;
  f.packets = *packets;
  f.reverse_bytes = *rbytes;
  f.reverse_packets = *rpackets;
  ++stats_.flows;
  emit(f);
}

void FlowReader::zeek_tsv(std::string_view text, const std::function<void(const Flow&)>& emit) {
  if (text.starts_with("#separator")) {
    // "#separator \x09": the one header line that is not itself separated by the separator.
    auto v = trim(text.substr(10));
    if (v.starts_with("\\x") && v.size() == 4) {
      unsigned c = 0;
      std::from_chars(v.data() + 2, v.data() + 4, c, 16);
      separator_ = char(c);
    } else if (v.size() == 1) {
      separator_ = v[0];
    }
    return;
  }
  if (text.starts_with("#fields")) {
    columns_.clear();
    auto cells = split(text, separator_);
    for (size_t i = 1; i < cells.size(); ++i) columns_[std::string(cells[i])] = i - 1;
    for (const char* need : {"ts", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto"})
      if (!columns_.count(need)) return bad(std::string("#fields without ") + need, text);
    return;
  }
  if (text.starts_with("#") || trim(text).empty()) return;
  if (columns_.empty()) return bad("a record before the #fields line", text);
  auto cells = split(text, separator_);
  auto cell = [&](const char* key) -> std::string_view {
    auto it = columns_.find(key);
    return it == columns_.end() || it->second >= cells.size() ? std::string_view("-")
                                                              : cells[it->second];
  };
  zeek_record([&](const char* key) { return std::string(cell(key)); },
              [&](const char* key) { return columns_.count(key) > 0; }, epoch_text(cell("ts")),
              text, emit);
}

void FlowReader::zeek_json(std::string_view text, const std::function<void(const Flow&)>& emit) {
  if (trim(text).empty()) return;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return bad("not a JSON object", text);
  auto text_of = [&](const char* key) -> std::string {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return "-";
    return it->is_string() ? it->get<std::string>() : it->dump();
  };
  std::optional<int64_t> t;
  if (auto it = j.find("ts"); it != j.end())
    t = it->is_string() ? time_text(it->get<std::string>()) : epoch_text(it->dump());
  zeek_record(
      text_of, [&](const char* key) { return j.contains(key); }, t, text, emit);
}

// One conn.log record, whichever form it came in: `field(key)` is a field's text ("-" when
// unset), `has(key)` whether the log has the field at all.
void FlowReader::zeek_record(const std::function<std::string(const char*)>& field,
                             const std::function<bool(const char*)>& has,
                             std::optional<int64_t> start, std::string_view text,
                             const std::function<void(const Flow&)>& emit) {
  if (!start) return bad("no start time (ts)", text);
  auto src = IpAddress::parse(field("id.orig_h"));
  auto dst = IpAddress::parse(field("id.resp_h"));
  if (!src || !dst) return bad("no address (id.orig_h, id.resp_h)", text);
  auto proto = protocol_text(field("proto"));
  if (!proto) return bad("unknown protocol (proto)", text);
  auto sp = port_text(field("id.orig_p"), *proto), dp = port_text(field("id.resp_p"), *proto);
  if (!sp || !dp) return bad("bad port (id.orig_p, id.resp_p)", text);
  // IP bytes, as NetFlow counts them, where the log has them.
  auto bytes = [&](const char* ip, const char* payload) {
    return count_text(field(has(ip) ? ip : payload));
  };
  auto up = bytes("orig_ip_bytes", "orig_bytes"), down = bytes("resp_ip_bytes", "resp_bytes");
  auto pu = count_text(field("orig_pkts")), pd = count_text(field("resp_pkts"));
  if (!up || !down || !pu || !pd) return bad("bad byte or packet count", text);
  ++stats_.flows;
  emit(Flow{*start, *src, *dst, *sp, *dp, *proto, *up, *pu, *down, *pd});
}

}  // namespace iotmap::detect
