#include "scanner/targets.h"

#include <openssl/evp.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <tuple>

#include "lib/dns_name.h"
#include "lib/handle.h"
#include "lib/text.h"

namespace iotmap::scanner {
namespace {

// Splits at commas and blanks; empty fields vanish.
std::vector<std::string_view> fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i <= line.size(); ++i) {
    if (i == line.size() || line[i] == ',' || line[i] == ' ' || line[i] == '\t') {
      if (i > start) out.push_back(line.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

}  // namespace

std::string sni_name(std::string_view text) {
  auto name = normalise_dns_name(text, nullptr, DnsNameChars::host, RootDot::without);
  return name && (*name)[0] != '*' ? *name : std::string();
}

void TargetList::add(const IpAddress& ip, std::vector<std::string> names) {
  if (full) return;
  if (targets.size() >= max_targets) {
    full = true;
    errors.push_back({"targets", "more than " + std::to_string(max_targets) +
                                     " targets in all (scan.max_targets)"});
    return;
  }
  targets.push_back({ip, std::move(names)});
}

void TargetList::add_line(std::string_view line, const std::string& where, uint64_t cidr_cap) {
  auto hash = line.find('#');
  if (hash != std::string_view::npos) line = line.substr(0, hash);
  line = trim(line);
  if (line.empty()) return;
  ++lines;
  auto parts = fields(line);
  auto error = [&](std::string message) { errors.push_back({where, std::move(message)}); };
  auto prefix = Prefix::parse(parts[0]);
  if (!prefix) return error("not an IP address or prefix: '" + printable(parts[0]) + "'");
  std::vector<std::string> names;
  for (size_t i = 1; i < parts.size(); ++i) {
    auto n = sni_name(parts[i]);
    if (n.empty()) return error("not a host name: '" + printable(parts[i]) + "'");
    names.push_back(std::move(n));
  }
  int host_bits = prefix->base.bits() - prefix->length;
  if (host_bits >= 63 || (uint64_t{1} << host_bits) > cidr_cap) {
    return error("prefix " + prefix->str() + " has more addresses than the cap of " +
                 std::to_string(cidr_cap) + " (scan.cidr_cap)");
  }
  uint64_t count = uint64_t{1} << host_bits;
  if (full || count > max_targets - std::min<uint64_t>(max_targets, targets.size())) {
    full = true;
    return error("more than " + std::to_string(max_targets) + " targets in all (scan.max_targets)");
  }
  IpAddress ip = prefix->base;
  for (uint64_t i = 0; i < count; ++i) {
    // The host part counts up in the last bytes; carry across bytes.
    IpAddress cur = ip;
    uint64_t v = i;
    for (int b = (ip.v6 ? 15 : 3); b >= 0 && v != 0; --b) {
      uint64_t sum = cur.bytes[b] + (v & 0xFF);
      cur.bytes[b] = static_cast<uint8_t>(sum);
      v = (v >> 8) + (sum >> 8);
    }
    add(cur, names);
  }
}

namespace {

// zmap's csv output (`-O csv -f saddr,...`): a header line naming the fields, then one row per
// response. The header is the first line that is not blank or a comment, all of it field names
// ([a-z0-9_], comma-separated, the way zmap writes them) and one of them saddr. Only saddr is a
// target; a row whose success field is not 1 (a RST, when zmap's output filter lets it through)
// is none: the port is closed there.
struct ZmapCsv {
  size_t columns = 0, saddr = 0, success = std::string_view::npos;

  static std::optional<ZmapCsv> from_header(std::string_view line) {
    ZmapCsv csv;
    bool has_saddr = false;
    for (std::string_view f : split(line, ',')) {
      if (f.empty() ||
          f.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string_view::npos)
        return std::nullopt;
      if (f == "saddr") csv.saddr = csv.columns, has_saddr = true;
      if (f == "success") csv.success = csv.columns;
      ++csv.columns;
    }
    if (!has_saddr) return std::nullopt;
    return csv;
  }
};

// One input (a file, stdin, a text): numbers its lines and reads them as target lines, or as the
// rows of zmap's csv output when its first line is such a header.
class InputReader {
 public:
  InputReader(TargetList& list, std::string origin, uint64_t cidr_cap)
      : list_(list), origin_(std::move(origin)), cidr_cap_(cidr_cap) {}

  void line(std::string_view text) {
    std::string where = origin_ + ":" + std::to_string(++number_);
    std::string_view t = trim(text);
    if (t.empty() || t.front() == '#') return;
    if (!seen_first_) {
      seen_first_ = true;
      if ((csv_ = ZmapCsv::from_header(t))) return;
    }
    if (!csv_) return list_.add_line(text, where, cidr_cap_);
    auto cells = split(t, ',');
    if (cells.size() != csv_->columns) {
      ++list_.lines;
      list_.errors.push_back({where, "zmap csv row has " + std::to_string(cells.size()) +
                                         " fields, its header " + std::to_string(csv_->columns)});
      return;
    }
    if (csv_->success < cells.size() && cells[csv_->success] != "1") return;
    list_.add_line(cells[csv_->saddr], where, cidr_cap_);
  }

 private:
  TargetList& list_;
  std::string origin_;
  uint64_t cidr_cap_;
  uint64_t number_ = 0;
  bool seen_first_ = false;
  std::optional<ZmapCsv> csv_;
};

}  // namespace

void TargetList::add_text(std::string_view text, const std::string& origin, uint64_t cidr_cap) {
  InputReader reader(*this, origin, cidr_cap);
  while (!text.empty()) {
    auto nl = text.find('\n');
    reader.line(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

void TargetList::add_file(const std::string& path, uint64_t cidr_cap) {
  // "-" is standard input, as for zmap: a pipeline can feed the scan.
  const bool stdin_list = path == "-";
  const std::string origin = stdin_list ? "<stdin>" : path;
  std::ifstream file;
  if (!stdin_list) file.open(path);
  std::istream& in = stdin_list ? std::cin : file;
  if (!in) {
    errors.push_back({origin, "cannot read the file"});
    return;
  }
  InputReader reader(*this, origin, cidr_cap);
  std::string line;
  while (!full && std::getline(in, line)) reader.line(line);
}

void TargetList::normalize() {
  std::sort(targets.begin(), targets.end(),
            [](const Target& a, const Target& b) {  // IPv4 first, then IPv6
              return std::tie(a.ip.v6, a.ip.bytes) < std::tie(b.ip.v6, b.ip.bytes);
            });
  std::vector<Target> merged;
  for (auto& t : targets) {
    if (!merged.empty() && merged.back().ip == t.ip) {
      auto& names = merged.back().names;
      names.insert(names.end(), t.names.begin(), t.names.end());
    } else {
      merged.push_back(std::move(t));
    }
  }
  for (auto& t : merged) {
    std::sort(t.names.begin(), t.names.end());
    t.names.erase(std::unique(t.names.begin(), t.names.end()), t.names.end());
  }
  targets = std::move(merged);
}

PortPlan default_port_plan(uint16_t port) {
  switch (port) {
    case 1883:
      return {port, AppProtocol::kMqtt, false, {}, {}};
    case 8883:
      return {port, AppProtocol::kMqtt, true, {}, {}};
    case 5672:
      return {port, AppProtocol::kAmqp, false, {}, {}};
    case 5671:
      return {port, AppProtocol::kAmqp, true, {}, {}};
    case 80:
      return {port, AppProtocol::kHttp, false, {}, {}};
    case 443:
    case 8443:
    case 8943:
      return {port, AppProtocol::kHttp, true, {}, {}};
    default:
      return {port, AppProtocol::kNone, true, {}, {}};
  }
}

AppProtocol PortPlan::protocol_for(std::string_view negotiated_alpn) const {
  if (negotiated_alpn.empty()) return protocol;
  for (size_t i = 0; i < alpn.size() && i < alpn_protocols.size(); ++i)
    if (alpn[i] == negotiated_alpn) return alpn_protocols[i];
  return protocol;
}

bool PortPlan::may_probe() const {
  if (protocol != AppProtocol::kNone) return true;
  for (size_t i = 0; i < alpn.size() && i < alpn_protocols.size(); ++i)
    if (alpn_protocols[i] != AppProtocol::kNone) return true;
  return false;
}

std::string_view TaskSet::sni(const Task& t) const {
  if (t.name < 0) return {};
  return targets[t.target].names[static_cast<size_t>(t.name)];
}

std::string TaskSet::digest() const {
  Handle<EVP_MD_CTX, EVP_MD_CTX_free> ctx(EVP_MD_CTX_new());
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  std::ostringstream text;
  auto flush = [&] {
    auto s = text.str();
    EVP_DigestUpdate(ctx.get(), s.data(), s.size());
    text.str({});
  };
  for (const auto& p : plans) {
    text << "plan " << p.port << ' ' << to_string(p.protocol) << ' ' << p.tls;
    for (const auto& a : p.alpn) text << ' ' << a;
    for (auto a : p.alpn_protocols) text << ' ' << to_string(a);
    text << '\n';
  }
  flush();
  for (const auto& t : tasks) {
    text << ip(t).str() << ' ' << t.plan << ' ' << sni(t) << '\n';
    if (text.tellp() > 65536) flush();
  }
  flush();
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &len);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

TaskSet build_tasks(std::vector<Target> targets,
                    const std::function<std::vector<PortPlan>(const Target&)>& ports_for,
                    const TaskOptions& options) {
  TaskSet set;
  set.targets = std::move(targets);
  for (size_t i = 0; i < set.targets.size(); ++i) {
    const auto& target = set.targets[i];
    if (options.with_names && target.names.size() > options.max_names)
      set.names_left_out += target.names.size() - options.max_names;
    for (const auto& plan : ports_for(target)) {
      auto found = std::find(set.plans.begin(), set.plans.end(), plan);
      auto plan_index = static_cast<uint16_t>(found - set.plans.begin());
      if (found == set.plans.end()) set.plans.push_back(plan);
      Task task{static_cast<uint32_t>(i), plan_index, -1};
      size_t probed = std::min(target.names.size(), options.max_names);
      bool names = plan.tls && options.with_names && probed > 0;
      if (!plan.tls || options.without_sni || !names) set.tasks.push_back(task);
      if (!names) continue;
      for (size_t n = 0; n < probed; ++n) {
        task.name = static_cast<int32_t>(n);
        set.tasks.push_back(task);
      }
    }
  }
  return set;
}

}  // namespace iotmap::scanner
