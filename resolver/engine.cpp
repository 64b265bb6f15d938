#include "resolver/engine.h"

#include <ares.h>
#include <arpa/inet.h>
#include <event2/event.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <queue>
#include <random>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include "lib/clock.h"
#include "lib/handle.h"
#include "resolver/udp_batch.h"
#include "resolver/wire.h"

namespace iotmap::resolver {

namespace {

using Clock = std::chrono::steady_clock;
using EventBase = Handle<event_base, event_base_free>;
using Event = Handle<event, event_free>;
using Channel = Handle<ares_channeldata, ares_destroy>;

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

struct LibraryInit {
  LibraryInit() {
    if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS)
      throw std::runtime_error("c-ares library initialisation failed");
  }
};

}  // namespace

struct Job;

struct ResolverState {
  Engine::Impl* impl = nullptr;
  int index = 0;
  int vantage = 0;
  config::ResolverEndpoint endpoint;
  std::string label;
  std::unique_ptr<UdpBatch> batch;  // the channel's sockets: destroyed after it
  Channel channel;
  std::unordered_map<ares_socket_t, Event> events;
  int in_flight = 0;
  double tokens = 0;
  Clock::time_point refilled{};
  int consecutive_timeouts = 0;
  Clock::time_point last_reply{};  // or the run's start
  bool down = false;
  Clock::time_point down_since{};
  Clock::time_point next_probe{};
  ResolverReport report;
};

struct VantageState {
  config::VantagePoint cfg;
  std::vector<QueryBuilder> builders;  // one per qtype of the run, in EngineOptions::qtypes order
  std::vector<int> resolvers;
  uint64_t cursor = 0;         // next (name, type) pair not yet started
  std::deque<uint32_t> ready;  // jobs waiting for a resolver (retries, chain follow-ups)
  size_t rr = 0;               // round-robin position
  int live_jobs = 0;
  bool abandoned = false;
};

struct Job {
  Engine::Impl* impl = nullptr;
  uint32_t id = 0;
  uint32_t name_index = 0;
  uint16_t qtype = 0;
  int vantage = 0;
  std::string current;  // the name the next query asks for (qname or a chain target)
  std::vector<CnameLink> chain;
  int tries = 0;  // tries of the current query
  int queries = 0;
  int last_resolver = -1;
  Clock::time_point sent{};
  std::string last_error;
  Status last_failure = Status::kTimeout;
};

struct Engine::Impl {
  LibraryInit init;
  config::ResolverSettings settings;
  EngineOptions options;
  EventBase base;
  Event tick;
  std::vector<ResolverState> resolvers;  // never resized after construction
  std::vector<VantageState> vantages;
  std::deque<Job> jobs;  // stable addresses: c-ares holds Job* as its arg
  std::vector<uint32_t> free_jobs;
  using Due = std::pair<Clock::time_point, uint32_t>;
  std::priority_queue<Due, std::vector<Due>, std::greater<>> backoff;
  std::vector<uint8_t> query;  // reused for every query; ares_send copies it
  const std::vector<std::string>* raw_names = nullptr;
  std::vector<std::string> names;  // normalized; empty string: invalid
  uint64_t pairs_per_vantage = 0;
  uint64_t total = 0;
  RunStats stats;
  bool pumping = false;
  bool pump_again = false;
  bool stopping = false;
  uint64_t rng_state = 0;

  uint16_t next_id() {  // xorshift64*, seeded from the OS
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return static_cast<uint16_t>((rng_state * 0x2545F4914F6CDD1DULL) >> 48);
  }

  Impl(std::vector<config::VantagePoint> vps, config::ResolverSettings s, EngineOptions o)
      : settings(s), options(std::move(o)) {
    if (options.qtypes.empty()) options.qtypes = {kTypeA, kTypeAaaa};
    std::random_device rd;
    rng_state = (uint64_t{rd()} << 32 | rd()) | 1;
    if (!options.on_notice)
      options.on_notice = [](const std::string& m) { std::fprintf(stderr, "%s\n", m.c_str()); };
    if (options.give_up_ms <= 0) options.give_up_ms = std::max(1000, 3 * settings.timeout_ms);
    base.reset(event_base_new());
    if (!base) throw std::runtime_error("event_base_new failed");
    size_t n = 0;
    for (const auto& vp : vps) n += vp.resolvers.size();
    resolvers.resize(n);
    size_t r = 0;
    for (auto& vp : vps) {
      VantageState vs;
      for (const auto& ep : vp.resolvers) {
        ResolverState& rs = resolvers[r];
        rs.impl = this;
        rs.index = static_cast<int>(r);
        rs.vantage = static_cast<int>(vantages.size());
        rs.endpoint = ep;
        rs.label = ep.str();
        rs.report.vantage = vp.name;
        rs.report.resolver = rs.label;
        open_channel(rs);
        vs.resolvers.push_back(static_cast<int>(r));
        ++r;
      }
      for (uint16_t t : options.qtypes) vs.builders.emplace_back(t, vp.client_subnet);
      vs.cfg = std::move(vp);
      vantages.push_back(std::move(vs));
    }
    tick.reset(event_new(base.get(), -1, EV_PERSIST, &Impl::on_tick, this));
  }

  ~Impl() {
    // ares_destroy calls back every pending query with ARES_EDESTRUCTION; the callback
    // ignores those. Channels go before the event base their socket events live on.
    for (auto& r : resolvers) {
      r.channel.reset();
      r.events.clear();
    }
  }

  void open_channel(ResolverState& rs) {
    ares_options opts{};
    int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB |
               ARES_OPT_EDNSPSZ;
    // NOCHECKRESP: hand SERVFAIL/REFUSED to us instead of trying "another server". EDNS: accept
    // UDP replies up to the advertised size. No cache exists in this c-ares, none is wanted.
    // STAYOPEN: c-ares 1.18 closes its sockets whenever no query is left in flight, which
    // happens every time one read drains all replies before the engine sends more.
    opts.flags = ARES_FLAG_NOCHECKRESP | ARES_FLAG_EDNS | ARES_FLAG_NOSEARCH | ARES_FLAG_STAYOPEN;
    opts.timeout = settings.timeout_ms;
    opts.tries = 1;  // retries are the engine's, so that they can move to another resolver
    opts.sock_state_cb = &Impl::on_sock_state;
    opts.sock_state_cb_data = &rs;
    opts.ednspsz = kEdnsUdpSize;
    ares_channel ch = nullptr;
    int rc = ares_init_options(&ch, &opts, mask);
    if (rc != ARES_SUCCESS)
      throw std::runtime_error(std::string("ares_init_options: ") + ares_strerror(rc));
    rs.channel.reset(ch);
    // Batched UDP: one sendmmsg per pump and one recvmmsg per readable event instead of a
    // system call per datagram. A reply longer than kEdnsUdpSize is still cut to more than the
    // EDNS size, so c-ares still takes it as truncated and asks again over TCP.
    rs.batch = std::make_unique<UdpBatch>(size_t{kEdnsUdpSize} + 1, 4 << 20, 1 << 20);
    ares_set_socket_functions(ch, &UdpBatch::functions(), rs.batch.get());
    ares_addr_port_node server{};
    server.family = rs.endpoint.address.v6 ? AF_INET6 : AF_INET;
    std::memcpy(rs.endpoint.address.v6 ? static_cast<void*>(&server.addr.addr6)
                                       : static_cast<void*>(&server.addr.addr4),
                rs.endpoint.address.bytes.data(), rs.endpoint.address.v6 ? 16 : 4);
    server.udp_port = rs.endpoint.port;
    server.tcp_port = rs.endpoint.port;
    rc = ares_set_servers_ports(ch, &server);
    if (rc != ARES_SUCCESS)
      throw std::runtime_error(std::string("ares_set_servers_ports: ") + ares_strerror(rc));
  }

  // --- libevent <-> c-ares ---

  static void on_sock_state(void* data, ares_socket_t fd, int readable, int writable) {
    auto* rs = static_cast<ResolverState*>(data);
    rs->events.erase(fd);
    if (!readable && !writable) return;
    short what = EV_PERSIST;
    if (readable) what |= EV_READ;
    if (writable) what |= EV_WRITE;
    Event ev(event_new(rs->impl->base.get(), fd, what, &Impl::on_socket, rs));
    if (!ev || event_add(ev.get(), nullptr) != 0) {
      rs->impl->options.on_notice("resolver " + rs->label + ": cannot watch its socket");
      return;
    }
    rs->events.emplace(fd, std::move(ev));
  }

  static void on_socket(evutil_socket_t fd, short what, void* arg) {
    auto* rs = static_cast<ResolverState*>(arg);
    ares_process_fd(rs->channel.get(), (what & EV_READ) ? fd : ARES_SOCKET_BAD,
                    (what & EV_WRITE) ? fd : ARES_SOCKET_BAD);
    // c-ares may stop reading before the batch is drained (a datagram from another address);
    // the kernel has nothing more to wake us for those already read.
    while ((what & EV_READ) && rs->batch->buffered(fd))
      ares_process_fd(rs->channel.get(), fd, ARES_SOCKET_BAD);
    rs->impl->pump();
  }

  // Sends what c-ares queued during this round. A socket whose send failed reports the error
  // to c-ares on its next read, done here: c-ares closes it and ends each query on it with an
  // error, which counts in the resolver's report and is retried like any failed try.
  void flush_sends() {
    for (auto& r : resolvers)
      for (int fd : r.batch->flush()) ares_process_fd(r.channel.get(), fd, ARES_SOCKET_BAD);
  }

  static void on_tick(evutil_socket_t, short, void* arg) {
    auto* self = static_cast<Impl*>(arg);
    // Lets c-ares expire queries; it checks timeouts whenever it processes.
    for (auto& r : self->resolvers)
      if (r.in_flight > 0) ares_process_fd(r.channel.get(), ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    self->pump();
  }

  // --- jobs ---

  uint32_t new_job(int vantage, uint32_t name_index, uint16_t qtype) {
    uint32_t id;
    if (!free_jobs.empty()) {
      id = free_jobs.back();
      free_jobs.pop_back();
    } else {
      id = static_cast<uint32_t>(jobs.size());
      jobs.emplace_back();
    }
    Job& j = jobs[id];
    j.impl = this;
    j.id = id;
    j.name_index = name_index;
    j.qtype = qtype;
    j.vantage = vantage;
    j.current = names[name_index];
    j.chain.clear();
    j.tries = 0;
    j.queries = 0;
    j.last_resolver = -1;
    j.last_error.clear();
    ++vantages[vantage].live_jobs;
    return id;
  }

  Result base_result(const Job& j) {
    Result r;
    r.name = names[j.name_index].empty() ? (*raw_names)[j.name_index] : names[j.name_index];
    r.name_index = j.name_index;
    r.qtype = j.qtype;
    r.vantage = vantages[j.vantage].cfg.name;
    if (j.last_resolver >= 0) r.resolver = resolvers[j.last_resolver].label;
    r.chain = j.chain;
    r.queries = j.queries;
    return r;
  }

  void finish(Job& j, Result&& r) {
    r.time_us = clock_now_us();
    ++stats.results;
    ++stats.by_status[static_cast<int>(r.status)];
    if (options.on_result) options.on_result(r);
    --vantages[j.vantage].live_jobs;
    j.chain.clear();
    free_jobs.push_back(j.id);
    if (stats.results == total) event_base_loopbreak(base.get());
  }

  void finish_error(Job& j, Status s, std::string detail) {
    Result r = base_result(j);
    r.status = s;
    r.detail = std::move(detail);
    finish(j, std::move(r));
  }

  // --- dispatch ---

  void refill(ResolverState& r, Clock::time_point now) {
    double burst = std::max(1.0, settings.qps / 50.0);
    double add = std::chrono::duration<double>(now - r.refilled).count() * settings.qps;
    r.tokens = std::min(burst, r.tokens + add);
    r.refilled = now;
  }

  bool can_send(ResolverState& r, Clock::time_point now) {
    if (r.down) return r.in_flight == 0 && now >= r.next_probe && r.tokens >= 1;
    return r.in_flight < settings.max_in_flight && r.tokens >= 1;
  }

  // Picks a resolver of the vantage point with room. `avoid` (the resolver that failed the
  // job's last try) is used only when the vantage point has no other live resolver. A down
  // resolver has room for one probe per timeout period.
  int pick(VantageState& vs, int avoid, Clock::time_point now) {
    bool other_live = false;
    for (int idx : vs.resolvers) other_live = other_live || (idx != avoid && !resolvers[idx].down);
    size_t n = vs.resolvers.size();
    for (size_t k = 0; k < n; ++k) {
      int idx = vs.resolvers[(vs.rr + k) % n];
      if (!can_send(resolvers[idx], now) || (idx == avoid && other_live)) continue;
      vs.rr = (vs.rr + k + 1) % n;
      return idx;
    }
    return -1;
  }

  void send(Job& j, ResolverState& r, Clock::time_point now) {
    const VantageState& vs = vantages[j.vantage];
    // c-ares 1.18 keeps the ID of the buffer given to ares_send and finds the query of a reply
    // by it: every query needs its own random ID (also against spoofed replies).
    const auto type_index =
        std::find(options.qtypes.begin(), options.qtypes.end(), j.qtype) - options.qtypes.begin();
    const QueryBuilder& qb = vs.builders[static_cast<size_t>(type_index)];
    if (!qb.build(j.current, next_id(), query)) {
      finish_error(j, Status::kInvalidName, "cannot build a query for '" + j.current + "'");
      return;
    }
    r.tokens -= 1;
    ++r.in_flight;
    ++r.report.sent;
    ++stats.queries;
    if (r.down) r.next_probe = now + std::chrono::milliseconds(settings.timeout_ms);
    j.last_resolver = r.index;
    ++j.tries;
    ++j.queries;
    j.sent = now;
    ares_send(r.channel.get(), query.data(), static_cast<int>(query.size()), &Impl::on_reply, &j);
  }

  // Jobs waiting for a query end without a result; the loop ends once nothing is in flight.
  void stop_sending() {
    stopping = true;
    auto drop = [&](uint32_t id) {
      --vantages[jobs[id].vantage].live_jobs;
      jobs[id].chain.clear();
      free_jobs.push_back(id);
    };
    for (; !backoff.empty(); backoff.pop()) drop(backoff.top().second);
    for (auto& vs : vantages)
      for (; !vs.ready.empty(); vs.ready.pop_front()) drop(vs.ready.front());
    bool in_flight = false;
    for (const auto& r : resolvers) in_flight = in_flight || r.in_flight > 0;
    if (!in_flight) event_base_loopbreak(base.get());
  }

  void pump() {
    if (pumping) {
      pump_again = true;
      return;
    }
    if (stopping || (options.stop != nullptr && options.stop->load())) {
      stop_sending();
      flush_sends();
      return;
    }
    pumping = true;
    do {
      pump_again = false;
      auto now = Clock::now();
      while (!backoff.empty() && backoff.top().first <= now) {
        uint32_t id = backoff.top().second;
        backoff.pop();
        vantages[jobs[id].vantage].ready.push_back(id);
      }
      for (auto& r : resolvers) refill(r, now);
      for (size_t v = 0; v < vantages.size(); ++v) dispatch(static_cast<int>(v), now);
      check_give_up(now);
    } while (pump_again);
    pumping = false;
    flush_sends();
  }

  bool skipped(size_t v, uint64_t pair) const {
    const uint64_t ntypes = options.qtypes.size();
    return options.skip && options.skip(v, static_cast<uint32_t>(pair / ntypes),
                                        static_cast<size_t>(pair % ntypes));
  }

  // Moves the vantage point's cursor past the jobs that EngineOptions::skip names.
  void skip_done(VantageState& vs) {
    const size_t v = static_cast<size_t>(&vs - vantages.data());
    while (vs.cursor < pairs_per_vantage && skipped(v, vs.cursor)) ++vs.cursor;
  }

  void dispatch(int v, Clock::time_point now) {
    VantageState& vs = vantages[v];
    const uint64_t ntypes = options.qtypes.size();
    if (vs.abandoned) drain_abandoned(vs);
    while (true) {
      skip_done(vs);
      uint32_t id;
      bool fresh = false;
      if (!vs.ready.empty()) {
        id = vs.ready.front();
      } else if (vs.cursor < pairs_per_vantage && !vs.abandoned) {
        uint32_t name_index = static_cast<uint32_t>(vs.cursor / ntypes);
        uint16_t qtype = options.qtypes[vs.cursor % ntypes];
        if (names[name_index].empty()) {
          ++vs.cursor;
          Job& j = jobs[new_job(v, name_index, qtype)];
          finish_error(j, Status::kInvalidName,
                       "'" + (*raw_names)[name_index] + "' is not a valid domain name");
          continue;
        }
        id = UINT32_MAX;
        fresh = true;
      } else {
        return;
      }
      int avoid = fresh ? -1 : jobs[id].last_resolver;
      int r = pick(vs, avoid, now);
      if (r < 0) return;
      if (fresh) {
        uint32_t name_index = static_cast<uint32_t>(vs.cursor / ntypes);
        uint16_t qtype = options.qtypes[vs.cursor % ntypes];
        ++vs.cursor;
        id = new_job(v, name_index, qtype);
      } else {
        vs.ready.pop_front();
      }
      send(jobs[id], resolvers[r], now);
    }
  }

  // While every resolver of a vantage point is down, its waiting work ends as no_resolver once
  // the first of them has been down for the give-up time.
  void check_give_up(Clock::time_point now) {
    for (auto& vs : vantages) {
      if (vs.abandoned) continue;
      bool all_down = !vs.resolvers.empty();
      Clock::time_point latest{};
      for (int idx : vs.resolvers) {
        const auto& r = resolvers[idx];
        if (!r.down) all_down = false;
        latest = std::max(latest, r.down_since);
      }
      if (!all_down || now - latest < std::chrono::milliseconds(options.give_up_ms)) continue;
      vs.abandoned = true;
      options.on_notice("vantage point " + vs.cfg.name +
                        ": every resolver stopped answering; its remaining names end as "
                        "no_resolver");
      abandon(vs);
    }
  }

  void abandon(VantageState& vs) {
    int v = static_cast<int>(&vs - vantages.data());
    drain_abandoned(vs);
    // Jobs in back-off for this vantage point end when they come due (drain_abandoned).
    const uint64_t ntypes = options.qtypes.size();
    for (skip_done(vs); vs.cursor < pairs_per_vantage; skip_done(vs)) {
      uint32_t name_index = static_cast<uint32_t>(vs.cursor / ntypes);
      uint16_t qtype = options.qtypes[vs.cursor % ntypes];
      ++vs.cursor;
      Job& j = jobs[new_job(v, name_index, qtype)];
      if (names[name_index].empty())
        finish_error(j, Status::kInvalidName,
                     "'" + (*raw_names)[name_index] + "' is not a valid domain name");
      else
        finish_error(
            j, Status::kNoResolver,
            "not sent: every resolver of vantage point " + vs.cfg.name + " stopped answering");
    }
  }

  // Waiting jobs of an abandoned vantage point: one that failed a try ends with that failure,
  // one waiting to follow its chain ends as no_resolver.
  void drain_abandoned(VantageState& vs) {
    while (!vs.ready.empty()) {
      Job& j = jobs[vs.ready.front()];
      vs.ready.pop_front();
      if (!j.last_error.empty() && j.tries > 0) {
        finish_failed(j);
      } else {
        finish_error(j, Status::kNoResolver,
                     "every resolver of vantage point " + vs.cfg.name + " stopped answering");
      }
    }
  }

  // --- replies ---

  static void on_reply(void* arg, int status, int, unsigned char* abuf, int alen) {
    if (status == ARES_EDESTRUCTION || status == ARES_ECANCELLED) return;
    auto* j = static_cast<Job*>(arg);
    j->impl->handle_reply(*j, status, abuf, alen);
  }

  void mark_alive(ResolverState& r, Clock::time_point now) {
    r.consecutive_timeouts = 0;
    r.last_reply = now;
    if (r.down) {
      r.down = false;
      options.on_notice("resolver " + r.label + " (vantage point " + vantages[r.vantage].cfg.name +
                        ") answers again");
    }
  }

  void handle_reply(Job& j, int status, const unsigned char* abuf, int alen) {
    auto now = Clock::now();
    ResolverState& r = resolvers[j.last_resolver];
    --r.in_flight;
    double rtt = ms_between(j.sent, now);
    if (status != ARES_SUCCESS) {
      bool timeout = status == ARES_ETIMEOUT;
      if (timeout) {
        ++r.report.timeouts;
      } else {
        ++r.report.errors;
      }
      // Down: many tries in a row without a reply, and no reply at all for a whole timeout
      // period (a busy server that drops some queries of a burst is not down). A socket error
      // (nothing listens: ICMP port unreachable) is no sign of a busy server and ends every
      // query on the socket at once, long before a timeout period: it needs no wait.
      if (++r.consecutive_timeouts >= options.down_after_timeouts && !r.down &&
          (!timeout || now - r.last_reply >= std::chrono::milliseconds(settings.timeout_ms))) {
        r.down = true;
        r.down_since = now;
        r.next_probe = now + std::chrono::milliseconds(settings.timeout_ms);
        ++r.report.times_down;
        options.on_notice("resolver " + r.label + " (vantage point " +
                          vantages[r.vantage].cfg.name +
                          ") stopped answering: " + std::to_string(r.consecutive_timeouts) +
                          " queries in a row without a reply; the vantage point's other "
                          "resolvers take over");
      }
      j.last_failure = timeout ? Status::kTimeout : Status::kNetworkError;
      j.last_error = (timeout ? "timeout after " + std::to_string(settings.timeout_ms) + " ms"
                              : std::string(ares_strerror(status))) +
                     " at " + r.label;
      retry(j, now);
      return;
    }
    ++r.report.replies;
    mark_alive(r, now);
    ParseOutcome parsed =
        parse_reply(std::span<const uint8_t>(abuf, static_cast<size_t>(std::max(alen, 0))));
    Result res = base_result(j);
    res.rtt_ms = rtt;
    if (!parsed.reply) {
      res.status = Status::kMalformed;
      res.detail = parsed.error + " from " + r.label;
      finish(j, std::move(res));
      return;
    }
    const ParsedReply& p = *parsed.reply;
    res.rcode = p.rcode;
    res.ecs = p.ecs_source;
    res.ecs_scope = p.ecs_scope;
    if (!p.qr) {
      res.status = Status::kMalformed;
      res.detail = "reply from " + r.label + " has the QR bit clear";
      finish(j, std::move(res));
      return;
    }
    switch (p.rcode) {
      case 0:
        break;
      case 2:
        res.status = Status::kServfail;
        break;
      case 3:
        res.status = Status::kNxdomain;
        break;
      case 5:
        res.status = Status::kRefused;
        break;
      default:
        res.status = Status::kOtherRcode;
        break;
    }
    // Walk the chain from the name asked in this query; a NXDOMAIN keeps the chain it carries.
    std::string end = j.current;
    bool advanced = false;
    while (true) {
      const ParsedRecord* link = nullptr;
      for (const auto& a : p.answers)
        if (a.type == kTypeCname && a.owner == end) {
          link = &a;
          break;
        }
      if (link == nullptr) break;
      // Names visited so far: the name asked and every target before this link.
      bool loop = link->target == names[j.name_index];
      for (const auto& c : j.chain) loop = loop || c.target == link->target;
      j.chain.push_back({link->owner, link->target, link->ttl});
      res.chain = j.chain;
      if (loop) {
        res.status = Status::kCnameLoop;
        res.detail = "CNAME chain comes back to " + link->target;
        finish(j, std::move(res));
        return;
      }
      if (static_cast<int>(j.chain.size()) > settings.max_cname_chain) {
        res.status = Status::kCnameTooLong;
        res.detail = "CNAME chain longer than " + std::to_string(settings.max_cname_chain);
        finish(j, std::move(res));
        return;
      }
      end = link->target;
      advanced = true;
    }
    if (p.rcode != 0) {
      res.detail = rcode_name(p.rcode) + " from " + r.label;
      finish(j, std::move(res));
      return;
    }
    for (const auto& a : p.answers) {
      if (a.type != j.qtype || a.owner != end) continue;
      if (a.address) res.answers.push_back({*a.address, a.ttl});
      if (a.type == kTypePtr && !a.target.empty()) res.ptr_names.push_back(a.target);
    }
    if (!res.answers.empty() || !res.ptr_names.empty()) {
      res.status = Status::kAnswer;
      finish(j, std::move(res));
      return;
    }
    if (advanced) {
      // The resolver gave a chain without its end: ask for the target itself.
      j.current = end;
      j.tries = 0;
      j.last_error.clear();
      vantages[j.vantage].ready.push_back(j.id);
      return;
    }
    res.status = Status::kNodata;
    finish(j, std::move(res));
  }

  void finish_failed(Job& j) {
    finish_error(j, j.last_failure,
                 j.last_error + " (" + std::to_string(j.queries) + " queries sent)");
  }

  void retry(Job& j, Clock::time_point now) {
    VantageState& vs = vantages[j.vantage];
    if (j.tries > settings.retries || vs.abandoned) {
      finish_failed(j);
      return;
    }
    auto delay = std::chrono::milliseconds(
        std::min<int64_t>(int64_t{options.backoff_ms} << std::min(j.tries - 1, 20), 10000));
    backoff.push({now + delay, j.id});
  }

  RunStats run(const std::vector<std::string>& input) {
    raw_names = &input;
    names.clear();
    names.reserve(input.size());
    for (const auto& n : input) names.push_back(dns_data_name(n).value_or(""));
    pairs_per_vantage = input.size() * options.qtypes.size();
    total = 0;
    for (size_t v = 0; v < vantages.size(); ++v)
      for (uint64_t pair = 0; pair < pairs_per_vantage; ++pair) total += !skipped(v, pair);
    stats = RunStats{};
    stopping = false;
    for (auto& vs : vantages) {
      vs.cursor = 0;
      vs.ready.clear();
      vs.abandoned = false;
    }
    auto start = Clock::now();
    for (auto& r : resolvers) {
      r.tokens = std::max(1.0, settings.qps / 50.0);
      r.refilled = start;
      r.last_reply = start;
    }
    if (total > 0) {
      timeval tv{0, 10000};
      event_add(tick.get(), &tv);
      pump();
      // Stopped before anything was sent: no event would ever break the loop.
      bool idle_stop = stopping && std::none_of(resolvers.begin(), resolvers.end(),
                                                [](const auto& r) { return r.in_flight > 0; });
      if (stats.results < total && !idle_stop) event_base_dispatch(base.get());
      event_del(tick.get());
    }
    stats.stopped = stopping;
    stats.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    for (auto& r : resolvers) {
      r.report.down = r.down;
      stats.resolvers.push_back(r.report);
    }
    return stats;
  }
};

const char* status_name(Status s) {
  static const char* const kNames[kStatusCount] = {
      "answer",         "nodata",       "nxdomain",   "servfail",      "refused",
      "rcode",          "timeout",      "malformed",  "network_error", "cname_loop",
      "cname_too_long", "invalid_name", "no_resolver"};
  return kNames[static_cast<int>(s)];
}

std::optional<Status> status_from_name(std::string_view name) {
  for (int i = 0; i < kStatusCount; ++i)
    if (name == status_name(static_cast<Status>(i))) return static_cast<Status>(i);
  return std::nullopt;
}

bool status_is_dns_answer(Status s) {
  return s == Status::kAnswer || s == Status::kNodata || s == Status::kNxdomain;
}

Engine::Engine(std::vector<config::VantagePoint> vantage_points, config::ResolverSettings settings,
               EngineOptions options)
    : impl_(std::make_unique<Impl>(std::move(vantage_points), settings, std::move(options))) {}

Engine::~Engine() = default;

RunStats Engine::run(const std::vector<std::string>& names) { return impl_->run(names); }

}  // namespace iotmap::resolver
