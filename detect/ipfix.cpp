#include "detect/ipfix.h"

#include <fixbuf/public.h>

#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>
#include <utility>

#include "lib/handle.h"

namespace iotmap::detect {

namespace {

using ErrorPtr = Handle<GError, g_error_free>;
using BufPtr = Handle<fBuf_t, fBufFree>;
using SessionPtr = Handle<fbSession_t, fbSessionFree>;

// What iotmap reads of a record, in the order of kElements: libfixbuf transcodes every record,
// whatever its exporter's template, into this layout (host byte order; an element the template
// lacks is zero). Largest fields first, so that the struct has no padding libfixbuf would not
// know of.
struct Record {
  uint64_t start_ms, start_us, start_ns, init_ms;
  uint64_t octets, packets, octets_total, packets_total, reverse_octets, reverse_packets;
  uint8_t src6[16], dst6[16];
  uint32_t src4, dst4, start_s, start_uptime, start_delta_us;
  uint16_t src_port, dst_port;
  uint8_t protocol;
  uint8_t padding[7];
};
static_assert(sizeof(Record) == 10 * 8 + 32 + 5 * 4 + 2 * 2 + 1 + 7);

struct Element {
  const char* name;
  uint16_t size;
};
constexpr Element kElements[] = {
    {"flowStartMilliseconds", 8},
    {"flowStartMicroseconds", 8},
    {"flowStartNanoseconds", 8},
    {"systemInitTimeMilliseconds", 8},
    {"octetDeltaCount", 8},
    {"packetDeltaCount", 8},
    {"octetTotalCount", 8},
    {"packetTotalCount", 8},
    {"reverseOctetDeltaCount", 8},
    {"reversePacketDeltaCount", 8},
    {"sourceIPv6Address", 16},
    {"destinationIPv6Address", 16},
    {"sourceIPv4Address", 4},
    {"destinationIPv4Address", 4},
    {"flowStartSeconds", 4},
    {"flowStartSysUpTime", 4},
    {"flowStartDeltaMicroseconds", 4},
    {"sourceTransportPort", 2},
    {"destinationTransportPort", 2},
    {"protocolIdentifier", 1},
    {"paddingOctets", 7},
};

// libfixbuf's spec type wants a mutable name it never writes.
fbInfoElementSpec_t spec_of(const char* name, uint16_t size) {
  return fbInfoElementSpec_t{const_cast<char*>(name), size,
                             0};  // NOLINT(cppcoreguidelines-pro-type-const-cast)
}

bool template_has(fbTemplate_t* t, const char* name) {
  fbInfoElementSpec_t s = spec_of(name, 0);
  return fbTemplateContainsElementByName(t, &s) != FALSE;
}

bool is(const GError* e, int code) {
  return e != nullptr && e->domain == FB_ERROR_DOMAIN && e->code == code;
}

// dateTimeMicroseconds and dateTimeNanoseconds arrive in NTP form: seconds since 1900 above.
int64_t ntp_seconds(uint64_t v) { return int64_t(v >> 32) - 2208988800LL; }

bool any_byte(const uint8_t (&a)[16]) {
  for (uint8_t b : a)
    if (b != 0) return true;
  return false;
}

IpAddress v6_of(const uint8_t (&a)[16]) {
  IpAddress ip;
  ip.v6 = true;
  std::memcpy(ip.bytes.data(), a, 16);
  return ip;
}

// Everything one reader shares between its messages: the information model, the internal
// template, the exporters' systemInitTimeMilliseconds, the counts and problems.
class Decoder {
 public:
  Decoder(std::string name, size_t max_problems)
      : name_(std::move(name)), max_problems_(max_problems), model_(fbInfoModelAlloc()) {}

  // A session holding the internal template; the caller owns it.
  SessionPtr session() {
    SessionPtr s(fbSessionAlloc(model_.get()));
    Handle<fbTemplate_t, fbTemplateFreeUnused> t(fbTemplateAlloc(model_.get()));
    GError* raw = nullptr;
    for (const auto& e : kElements) {
      fbInfoElementSpec_t spec = spec_of(e.name, e.size);
      if (!fbTemplateAppendSpec(t.get(), &spec, 0, &raw)) break;
    }
    if (raw == nullptr) tid_ = fbSessionAddTemplate(s.get(), TRUE, FB_TID_AUTO, t.get(), &raw);
    ErrorPtr e(raw);
    if (e) throw std::runtime_error(std::string("libfixbuf: internal template: ") + e->message);
    t.release();  // the session owns it now
    return s;
  }

  bool use_template(fBuf_t* buf) {
    GError* raw = nullptr;
    if (fBufSetInternalTemplate(buf, tid_, &raw)) return true;
    ErrorPtr e(raw);
    problem(std::string("libfixbuf: ") + (e ? e->message : "no internal template"));
    return false;
  }

  // Reads the records of one message (the buffer is in manual mode) until libfixbuf stops;
  // returns why (end of message, end of file, an error). A message holds at most 65,535 bytes,
  // so more records than that come from a template of zero-length fields, on which libfixbuf
  // would hand out empty records for ever (found by fuzz_ipfix): such a message is an error.
  ErrorPtr drain(fBuf_t* buf, const std::function<void(const Flow&)>& emit) {
    for (uint32_t in_message = 0;; ++in_message) {
      if (in_message > 65535) {
        GError* raw = nullptr;
        g_set_error(&raw, FB_ERROR_DOMAIN, FB_ERROR_IPFIX,
                    "a message with more records than 65,535 bytes can hold (a template of "
                    "zero-length fields)");
        return ErrorPtr(raw);
      }
      GError* raw = nullptr;
      fbTemplate_t* ext = fBufNextCollectionTemplate(buf, nullptr, &raw);
      if (ext == nullptr) return ErrorPtr(raw);
      Record r{};
      size_t size = sizeof r;
      if (!fBufNext(buf, reinterpret_cast<uint8_t*>(&r), &size, &raw)) return ErrorPtr(raw);
      ++stats_.lines;
      if (fbTemplateGetOptionsScope(ext) > 0) {
        if (r.init_ms != 0) init_ms_[exporter(buf)] = r.init_ms;
        continue;
      }
      flow(r, ext, buf, emit);
    }
  }

  void problem(const std::string& what) {
    ++stats_.malformed;
    if (stats_.problems.size() < max_problems_) stats_.problems.push_back(name_ + ": " + what);
  }
  // A header's bookkeeping that does not add up (a sequence number not the one expected, a
  // NetFlow v9 record count): a lost datagram, or an exporter that counts otherwise, as
  // softflowd does on every message. Each kind is said once; counted, not bad.
  void note(const std::string& kind, const std::string& what) {
    ++stats_.notes;
    if (noted_.insert(kind).second && stats_.problems.size() < max_problems_)
      stats_.problems.push_back(name_ + ": " + what + " (said once; not counted as bad)");
  }
  const ReadStats& stats() const { return stats_; }
  const std::string& name() const { return name_; }

 private:
  // The exporter a record came from: its address (UDP) and observation domain.
  static std::string exporter(fBuf_t* buf) {
    std::string key = std::to_string(fbSessionGetDomain(fBufGetSession(buf)));
    if (fbCollector_t* c = fBufGetCollector(buf); c != nullptr) {
      if (const sockaddr* peer = fbCollectorGetPeer(c); peer != nullptr) {
        size_t len = peer->sa_family == AF_INET6  ? sizeof(sockaddr_in6)
                     : peer->sa_family == AF_INET ? sizeof(sockaddr_in)
                                                  : 0;
        key.append(reinterpret_cast<const char*>(peer), len);
      }
    }
    return key;
  }

  // When the flow started, in Unix seconds, from whichever element the exporter sends.
  std::optional<int64_t> start_of(const Record& r, fbTemplate_t* ext, fBuf_t* buf,
                                  const char*& why) {
    if (r.start_ms != 0) return int64_t(r.start_ms / 1000);
    if (r.start_s != 0) return int64_t{r.start_s};
    if (r.start_us != 0) return ntp_seconds(r.start_us);
    if (r.start_ns != 0) return ntp_seconds(r.start_ns);
    if (r.start_uptime != 0 || template_has(ext, "flowStartSysUpTime")) {
      // NetFlow v9 (libfixbuf puts the header's boot time into each record) or an options
      // record of the same exporter (IPFIX, as softflowd sends it).
      uint64_t init = r.init_ms;
      if (init == 0) {
        auto it = init_ms_.find(exporter(buf));
        if (it != init_ms_.end()) init = it->second;
      }
      if (init == 0) {
        why = "flowStartSysUpTime without the exporter's systemInitTimeMilliseconds";
        return std::nullopt;
      }
      return int64_t((init + r.start_uptime) / 1000);
    }
    if (r.start_delta_us != 0 || template_has(ext, "flowStartDeltaMicroseconds"))
      return int64_t{fBufGetExportTime(buf)} - int64_t{r.start_delta_us / 1000000};
    why = "no start time (flowStart*)";
    return std::nullopt;
  }

  void flow(const Record& r, fbTemplate_t* ext, fBuf_t* buf,
            const std::function<void(const Flow&)>& emit) {
    const std::string record = "record " + std::to_string(stats_.lines) + ": ";
    Flow f;
    if (any_byte(r.src6) || any_byte(r.dst6)) {
      f.src = v6_of(r.src6);
      f.dst = v6_of(r.dst6);
    } else if (r.src4 != 0 || r.dst4 != 0) {
      f.src = IpAddress::from_v4(r.src4);
      f.dst = IpAddress::from_v4(r.dst4);
    } else {
      return problem(record + "no source or destination address");
    }
    const char* why = "";
    auto start = start_of(r, ext, buf, why);
    if (!start) return problem(record + why);
    f.start = *start;
    f.protocol = r.protocol;
    // Ports only mean ports for TCP, UDP and SCTP (NetFlow puts ICMP type and code there).
    if (r.protocol == kTcp || r.protocol == kUdp || r.protocol == 132) {
      f.src_port = r.src_port;
      f.dst_port = r.dst_port;
    }
    f.bytes = r.octets != 0 ? r.octets : r.octets_total;
    f.packets = r.packets != 0 ? r.packets : r.packets_total;
    f.reverse_bytes = r.reverse_octets;
    f.reverse_packets = r.reverse_packets;
    ++stats_.flows;
    emit(f);
  }

  std::string name_;
  size_t max_problems_;
  ReadStats stats_;
  Handle<fbInfoModel_t, fbInfoModelFree> model_;
  uint16_t tid_ = 0;
  std::map<std::string, uint64_t> init_ms_;
  std::set<std::string> noted_;
};

// libfixbuf reports what it skips (a set whose template it never saw, a lost NetFlow
// datagram) through GLib's log, on stderr by default; while one of these lives each such
// message is a problem of the decoder instead, named and counted like a bad record.
class LogToDecoder {
 public:
  explicit LogToDecoder(Decoder& d) {
    current_ = &d;
    old_ = g_log_set_default_handler(on_log, nullptr);
  }
  ~LogToDecoder() {
    g_log_set_default_handler(old_, nullptr);
    current_ = nullptr;
  }
  LogToDecoder(const LogToDecoder&) = delete;
  LogToDecoder& operator=(const LogToDecoder&) = delete;

 private:
  static void on_log(const gchar*, GLogLevelFlags level, const gchar* message, gpointer) {
    constexpr int kReported = G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING;
    if (current_ == nullptr || (level & kReported) == 0) return;
    std::string text = std::string("libfixbuf: ") + (message ? message : "");
    for (const char* kind : {"sequence", "Count Discrepancy"})
      if (text.find(kind) != std::string::npos) return current_->note(kind, text);
    current_->problem(text);
  }
  static inline Decoder* current_ = nullptr;
  GLogFunc old_;
};

}  // namespace

bool looks_like_ipfix(const unsigned char* data, size_t size) {
  return size >= 4 && data[0] == 0x00 && data[1] == 0x0A;
}

ReadStats read_ipfix(std::FILE* in, const std::string& name,
                     const std::function<void(const Flow&)>& emit, size_t max_problems) {
  Decoder d(name, max_problems);
  LogToDecoder log(d);
  SessionPtr session = d.session();
  // The buffer owns the session and the collector from here; the file stays the caller's.
  BufPtr buf(fBufAllocForCollection(session.release(), fbCollectorAllocFP(nullptr, in)));
  if (!d.use_template(buf.get())) return d.stats();
  fBufSetAutomaticMode(buf.get(), FALSE);  // one message per drain, so that drain can count
  ErrorPtr e = d.drain(buf.get(), emit);
  while (is(e.get(), FB_ERROR_EOM)) e = d.drain(buf.get(), emit);
  if (!is(e.get(), FB_ERROR_EOF))
    d.problem("after record " + std::to_string(d.stats().lines) + ": " + e->message +
              " (the rest of the input is not read)");
  return d.stats();
}

struct FlowListener::State {
  State(std::string n, size_t max_problems) : decoder(std::move(n), max_problems) {}
  Decoder decoder;
  SessionPtr session;  // the listener clones it and needs it while it lives
  Handle<fbListener_t, fbListenerFree> listener;
};

FlowListener::FlowListener(const IpAddress& address, uint16_t port, ExportProtocol protocol,
                           size_t max_problems) {
  std::string host = address.str(), service = std::to_string(port);
  std::string shown = (address.v6 ? "[" + host + "]" : host) + ":" + service +
                      (protocol == ExportProtocol::kIpfix ? " (ipfix)" : " (netflow9)");
  s_ = std::make_unique<State>(shown, max_problems);
  s_->session = s_->decoder.session();
  fbConnSpec_t spec{};
  spec.transport = FB_UDP;
  spec.host = host.data();
  spec.svc = service.data();
  GError* raw = nullptr;
  s_->listener.reset(fbListenerAlloc(&spec, s_->session.get(), nullptr, nullptr, &raw));
  fbCollector_t* collector = nullptr;
  if (s_->listener && protocol == ExportProtocol::kNetflow9 &&
      fbListenerGetCollector(s_->listener.get(), &collector, &raw))
    fbCollectorSetNetflowV9Translator(collector, &raw);
  ErrorPtr e(raw);
  if (!s_->listener || e)
    throw std::runtime_error("cannot listen on " + shown + ": " +
                             (e ? e->message : "libfixbuf gave no reason"));
}

FlowListener::~FlowListener() = default;

const ReadStats& FlowListener::stats() const { return s_->decoder.stats(); }
const std::string& FlowListener::name() const { return s_->decoder.name(); }

void FlowListener::run(const std::function<void(const Flow&)>& emit,
                       std::chrono::steady_clock::time_point until, const std::atomic<bool>& stop) {
  auto over = [&] { return stop.load() || std::chrono::steady_clock::now() >= until; };
  std::atomic<bool> done{false};
  // fbListenerWait blocks until a datagram comes; this thread wakes it when the time is up.
  std::thread watch([&] {
    while (!done.load()) {
      if (over()) return fbListenerInterrupt(s_->listener.get());
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  Decoder& d = s_->decoder;
  LogToDecoder log(d);
  bool skip = false;  // the last datagram could not be decoded: start afresh with the next
  while (!over()) {
    GError* raw = nullptr;
    fBuf_t* buf = fbListenerWait(s_->listener.get(), &raw);  // owned by the listener
    ErrorPtr e(raw);
    if (buf == nullptr) {
      if (is(e.get(), FB_ERROR_NLREAD)) continue;  // interrupted: the loop decides
      d.problem(std::string("libfixbuf: ") + (e ? e->message : "no buffer"));
      break;
    }
    fBufSetAutomaticMode(buf, FALSE);  // one datagram per drain, then wait again
    if (!d.use_template(buf)) break;
    if (skip && !fBufNextMessage(buf, &raw)) {
      e.reset(raw);
    } else {
      e = d.drain(buf, emit);
    }
    skip = !is(e.get(), FB_ERROR_EOM);
    if (skip && !over() && !is(e.get(), FB_ERROR_NLREAD))
      d.problem("a datagram after record " + std::to_string(d.stats().lines) + ": " +
                (e ? e->message : "?") + " (skipped)");
  }
  done = true;
  watch.join();
}

}  // namespace iotmap::detect
