// The engine against in-process servers on loopback (127.0.0.1, 127.0.0.2, ::1).
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "certs/certificate.h"
#include "scanner/connection.h"
#include "scanner/engine.h"
#include "tests/unit/scanner_servers.h"
#include "tests/unit/scanner_support.h"

using namespace iotmap;
using namespace iotmap::scanner;
using scanner_test::Server;
using scanner_test::TlsOptions;
using scanner_test::TlsServer;

namespace {

using Clock = std::chrono::steady_clock;

ethics::Policy loopback_policy(std::initializer_list<const char*> blocked = {}) {
  ethics::Policy p;
  for (const char* b : blocked) p.blocklist.add(*Prefix::parse(b), "test");
  p.rate = 100000;
  p.contact = "test@example.org";
  return p;
}

EngineOptions fast_options(int timeout_ms = 2000) {
  EngineOptions o;
  o.rate = 10000;
  o.max_in_flight = 64;
  o.timeout_ms = timeout_ms;
  o.per_ip_spacing_ms = 0;
  o.per_prefix_spacing_ms = 0;
  o.workers = 2;
  o.batch_ms = 20;
  return o;
}

struct Endpoint {
  std::string ip;
  PortPlan plan;
  std::vector<std::string> names;
  bool without_sni = true;
};

// Builds one task per (endpoint, SNI choice) exactly as listed.
TaskSet tasks_for(const std::vector<Endpoint>& endpoints) {
  TaskSet set;
  for (const auto& e : endpoints) {
    set.targets.push_back({*IpAddress::parse(e.ip), e.names});
    auto found = std::find(set.plans.begin(), set.plans.end(), e.plan);
    auto plan = static_cast<uint16_t>(found - set.plans.begin());
    if (found == set.plans.end()) set.plans.push_back(e.plan);
    auto t = static_cast<uint32_t>(set.targets.size() - 1);
    if (e.without_sni) set.tasks.push_back({t, plan, -1});
    for (size_t n = 0; n < e.names.size(); ++n)
      set.tasks.push_back({t, plan, static_cast<int32_t>(n)});
  }
  return set;
}

struct Run {
  std::vector<GrabResult> results;
  ScanSummary summary;
  double seconds = 0;
  const GrabResult& at(const std::string& ip, uint16_t port, const std::string& sni = "") const {
    for (const auto& r : results)
      if (r.ip.str() == ip && r.port == port && r.sni == sni) return r;
    throw std::runtime_error("no result for " + ip + ":" + std::to_string(port) + " " + sni);
  }
};

Run scan(const TaskSet& set, const ethics::Policy& policy, const EngineOptions& options,
         uint64_t seed = 1) {
  ScanOrder order(set.tasks.size(), seed, Shard{});
  Run run;
  auto start = Clock::now();
  run.summary =
      run_scan(set, order, {}, policy, options, [&](std::vector<GrabResult>& batch, uint64_t) {
        for (auto& r : batch) run.results.push_back(std::move(r));
      });
  run.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return run;
}

PortPlan plan(uint16_t port, AppProtocol protocol, bool tls, std::vector<std::string> alpn = {}) {
  std::vector<AppProtocol> protocols(alpn.size(), protocol);
  return PortPlan{port, protocol, tls, std::move(alpn), std::move(protocols)};
}

const std::string kConnack("\x20\x02\x00\x00", 4);
const std::string kHttpReply =
    "HTTP/1.1 200 OK\r\nServer: test-nginx/1.0\r\nContent-Length: 0\r\n\r\n";

}  // namespace

TEST_CASE("engine: TLS certificates with and without SNI, over IPv4 and IPv6, and app probes",
          "[scanner][engine]") {
  auto fallback = scanner_test::make_cert("default.test");
  auto named = scanner_test::make_cert("named.test", {"named.test"});
  TlsOptions https{&fallback, {{"named.test", &named}}, kHttpReply};
  https.alpn = "http/1.1";
  TlsServer web4("127.0.0.1", https), web6("::1", https);
  TlsServer mqtts("127.0.0.1", TlsOptions{&fallback, {}, kConnack});
  Server mqtt("127.0.0.1", scanner_test::plain_reply(kConnack));
  Server amqp("::1",
              scanner_test::plain_reply(scanner_test::amqp_connection_start("RabbitMQ", "3.12.1")));
  TlsOptions aws{&fallback, {}, kConnack};
  aws.alpn = "x-amzn-mqtt-ca";
  TlsServer mqtt443("127.0.0.1", aws);

  auto set = tasks_for({
      {"127.0.0.1", plan(web4.port(), AppProtocol::kHttp, true, {"http/1.1"}), {"named.test"}},
      {"::1", plan(web6.port(), AppProtocol::kHttp, true, {"http/1.1"}), {"named.test"}},
      {"127.0.0.1", plan(mqtts.port(), AppProtocol::kMqtt, true), {}},
      {"127.0.0.1", plan(mqtt.port(), AppProtocol::kMqtt, false), {}},
      {"::1", plan(amqp.port(), AppProtocol::kAmqp, false), {}},
      // The catalogue's "MQTT on 443 with ALPN x-amzn-mqtt-ca, else HTTPS": the probe follows
      // the ALPN the server selects.
      {"127.0.0.1",
       PortPlan{mqtt443.port(), AppProtocol::kHttp, true, {"x-amzn-mqtt-ca"}, {AppProtocol::kMqtt}},
       {}},
      {"::1",
       PortPlan{web6.port(), AppProtocol::kHttp, true, {"x-amzn-mqtt-ca"}, {AppProtocol::kMqtt}},
       {"other.test"},
       false},
      {"127.0.0.1", plan(mqtt.port(), AppProtocol::kNone, false), {}},  // connect only
  });
  auto run = scan(set, loopback_policy(), fast_options());
  REQUIRE(run.results.size() == set.tasks.size());
  CHECK(run.summary.watermark == set.tasks.size());
  CHECK_FALSE(run.summary.stopped);

  for (const char* ip : {"127.0.0.1", "::1"}) {
    uint16_t port = std::string(ip) == "::1" ? web6.port() : web4.port();
    const auto& plain = run.at(ip, port);
    const auto& sni = run.at(ip, port, "named.test");
    for (const auto* r : {&plain, &sni}) {
      INFO(ip << " sni=" << r->sni << " " << to_string(r->status) << " " << r->error);
      CHECK(r->status == Status::kOk);
      CHECK(r->tls_version == "TLSv1.3");
      CHECK_FALSE(r->cipher.empty());
      CHECK(r->alpn == "http/1.1");
      CHECK(r->app.confirmed);
      CHECK(r->app.http_status == 200);
      CHECK(r->app.http_server == "test-nginx/1.0");
      REQUIRE(r->chain.size() == 1);
    }
    CHECK(plain.chain[0] == fallback.der);  // the default certificate without SNI
    CHECK(sni.chain[0] == named.der);       // the named one with it
  }
  const auto& m = run.at("127.0.0.1", mqtts.port());
  CHECK(m.status == Status::kOk);
  CHECK(m.app.confirmed);
  CHECK(m.app.mqtt_return_code == 0);
  int plain_mqtt = 0, connect_only = 0;
  for (const auto& r : run.results) {
    if (r.port != mqtt.port()) continue;
    CHECK(r.status == Status::kOk);
    CHECK(r.phase == Phase::kDone);
    CHECK(r.chain.empty());
    CHECK(r.app.confirmed == (r.app.protocol == AppProtocol::kMqtt));
    (r.app.protocol == AppProtocol::kMqtt ? plain_mqtt : connect_only)++;
  }
  CHECK(plain_mqtt == 1);
  CHECK(connect_only == 1);
  const auto& a = run.at("::1", amqp.port());
  CHECK(a.status == Status::kOk);
  CHECK(a.app.amqp_product == "RabbitMQ");
  const auto& alpn = run.at("127.0.0.1", mqtt443.port());
  CHECK(alpn.alpn == "x-amzn-mqtt-ca");
  CHECK(alpn.alpn_offered == std::vector<std::string>{"x-amzn-mqtt-ca"});
  CHECK(alpn.app.protocol == AppProtocol::kMqtt);
  CHECK(alpn.app.mqtt_return_code == 0);
  const auto& no_alpn = run.at("::1", web6.port(), "other.test");
  CHECK(no_alpn.alpn.empty());
  CHECK(no_alpn.app.protocol == AppProtocol::kHttp);
  CHECK(no_alpn.app.http_status == 200);
}

TEST_CASE("engine: a server refusing every offered ALPN is asked again without ALPN",
          "[scanner][engine]") {
  auto cert = scanner_test::make_cert("strict.test");
  TlsOptions strict{&cert, {}, kConnack};
  strict.alpn = "http/1.1";
  strict.strict_alpn = true;
  TlsServer server("127.0.0.1", strict);
  auto set = tasks_for(
      {{"127.0.0.1",
        PortPlan{server.port(), AppProtocol::kMqtt, true, {"x-amzn-mqtt-ca"}, {AppProtocol::kMqtt}},
        {}}});
  auto run = scan(set, loopback_policy(), fast_options());
  REQUIRE(run.results.size() == 1);
  const auto& r = run.results[0];
  INFO(to_string(r.status) << " " << r.error);
  CHECK(r.status == Status::kOk);
  CHECK(r.alpn_offered.empty());  // what the recorded handshake offered
  CHECK(r.chain.size() == 1);
  CHECK(r.app.mqtt_return_code == 0);
  CHECK(server.accepted() == 2);
}

TEST_CASE("engine: silent, trickling, garbage and flooding servers end at the deadline or cap",
          "[scanner][engine]") {
  auto cert = scanner_test::make_cert("ok.test");
  TlsServer good("127.0.0.1", TlsOptions{&cert, {}, kHttpReply});
  Server silent("127.0.0.1", scanner_test::silent());
  // A TLS record header promising 16 KiB, one byte a second.
  Server trickle_tls("127.0.0.1",
                     scanner_test::trickle(std::string("\x16\x03\x03\x40\x00\x02\x00\x3f\xfc", 9)));
  Server trickle_mqtt("127.0.0.1", scanner_test::trickle(std::string("\x20\x02\x00", 3)));
  Server garbage_tls("127.0.0.1", scanner_test::plain_reply("SSH-2.0-OpenSSH_9.2\r\n", false));
  Server garbage_mqtt("127.0.0.1", scanner_test::plain_reply("HTTP/1.1 400 Bad Request\r\n\r\n"));
  TlsOptions flood{&cert};
  flood.flood = true;
  TlsServer flooding("127.0.0.1", flood);
  Server closing("127.0.0.1", [](int, const std::atomic<bool>&) {});  // accepts, closes

  auto set = tasks_for({
      {"127.0.0.1", plan(good.port(), AppProtocol::kHttp, true), {}},
      {"127.0.0.1", plan(silent.port(), AppProtocol::kNone, true), {}},
      {"127.0.0.1", plan(trickle_tls.port(), AppProtocol::kNone, true), {}},
      {"127.0.0.1", plan(trickle_mqtt.port(), AppProtocol::kMqtt, false), {}},
      {"127.0.0.1", plan(garbage_tls.port(), AppProtocol::kNone, true), {}},
      {"127.0.0.1", plan(garbage_mqtt.port(), AppProtocol::kMqtt, false), {}},
      {"127.0.0.1", plan(flooding.port(), AppProtocol::kHttp, true), {}},
      {"127.0.0.1", plan(closing.port(), AppProtocol::kMqtt, false), {}},
  });
  const int deadline_ms = 1500;
  auto options = fast_options(deadline_ms);
  options.max_bytes = 8192;
  auto run = scan(set, loopback_policy(), options);
  REQUIRE(run.results.size() == set.tasks.size());
  // Everything is over shortly after one deadline, though the bad servers never finish.
  CHECK(run.seconds < deadline_ms / 1000.0 + 2.0);

  const auto& ok = run.at("127.0.0.1", good.port());
  CHECK(ok.status == Status::kOk);
  CHECK(ok.duration_ms < 1000);  // the rest finishes on time

  for (uint16_t port : {silent.port(), trickle_tls.port()}) {
    const auto& r = run.at("127.0.0.1", port);
    INFO("port " << port << ": " << to_string(r.status) << " " << r.error);
    CHECK(r.status == Status::kTimeout);
    CHECK(r.phase == Phase::kTls);
    CHECK(r.duration_ms >= deadline_ms - 50);
    CHECK(r.duration_ms < deadline_ms + 500);
    CHECK(r.error.find("1500 ms") != std::string::npos);
  }
  CHECK(run.at("127.0.0.1", trickle_tls.port()).bytes_read >= 1);
  const auto& slow_mqtt = run.at("127.0.0.1", trickle_mqtt.port());
  CHECK(slow_mqtt.status == Status::kTimeout);
  CHECK(slow_mqtt.phase == Phase::kProbe);

  const auto& bad_tls = run.at("127.0.0.1", garbage_tls.port());
  CHECK(bad_tls.status == Status::kTlsError);
  CHECK(bad_tls.duration_ms < 1000);
  CHECK_FALSE(bad_tls.error.empty());
  const auto& bad_mqtt = run.at("127.0.0.1", garbage_mqtt.port());
  CHECK(bad_mqtt.status == Status::kProtocolError);
  CHECK(bad_mqtt.app.error.find("not an MQTT CONNACK") != std::string::npos);
  const auto& flood_r = run.at("127.0.0.1", flooding.port());
  CHECK(flood_r.status == Status::kTooMuchData);
  CHECK(flood_r.chain.size() == 1);  // the certificate is kept all the same
  const auto& closed = run.at("127.0.0.1", closing.port());
  CHECK(closed.status == Status::kClosed);
  CHECK_FALSE(closed.error.empty());
}

TEST_CASE("engine: a connection started late in a busy loop turn still gets its whole deadline",
          "[scanner][engine]") {
  // libevent times timers from the time it cached at the start of the loop's turn; a worker
  // that spent 300 ms in that turn (handshakes under load) gave the next connection a deadline
  // 300 ms short, and the lab's silent server "timed out" before its time.
  Server silent("127.0.0.1", scanner_test::silent());
  Handle<event_base, event_base_free> base(event_base_new());
  auto ctx = make_scan_context(1 << 16);
  std::string scratch(4096, '\0');
  const auto policy = loopback_policy();
  const int timeout_ms = 600;
  ConnectionEnv env{base.get(), ctx.get(), &policy, timeout_ms, 1 << 16, "t", &scratch};
  GrabResult seed;
  seed.ip = *IpAddress::parse("127.0.0.1");
  seed.port = silent.port();
  PortPlan grab_only{silent.port(), AppProtocol::kNone, true, {}, {}};
  std::optional<GrabResult> result;
  Connection c(env, seed, grab_only, "", [&](Connection& x) { result = x.result(); });
  Clock::time_point started;
  auto busy_then_start = [&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    started = Clock::now();
    c.start();
  };
  Handle<event, event_free> turn(evtimer_new(
      base.get(),
      [](evutil_socket_t, short, void* f) { (*static_cast<decltype(busy_then_start)*>(f))(); },
      &busy_then_start));
  timeval now{0, 0};
  evtimer_add(turn.get(), &now);
  event_base_dispatch(base.get());
  const auto waited =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
  REQUIRE(result);
  CHECK(result->status == Status::kTimeout);
  CHECK(waited >= timeout_ms - 20);
  CHECK(result->duration_ms >= timeout_ms - 20);
}

// A Connection started straight away, past the dispatcher, must still refuse a blocked target.
static void check_connection_blocked(const ethics::Policy& policy, const char* ip, uint16_t port) {
  Handle<event_base, event_base_free> base(event_base_new());
  auto ctx = make_scan_context(1 << 16);
  std::string scratch(4096, '\0');
  ConnectionEnv env{base.get(), ctx.get(), &policy, 1000, 1 << 16, "t", &scratch};
  GrabResult seed;
  seed.ip = *IpAddress::parse(ip);
  seed.port = port;
  bool done = false;
  PortPlan grab_only{port, AppProtocol::kNone, true, {}, {}};
  Connection c(env, seed, grab_only, "", [&](Connection& x) {
    done = true;
    CHECK(x.result().status == Status::kBlocked);
  });
  c.start();
  CHECK(done);
}

TEST_CASE("engine: a blocklisted address receives no connection", "[scanner][engine][ethics]") {
  auto cert = scanner_test::make_cert("x.test");
  TlsServer allowed("127.0.0.1", TlsOptions{&cert});
  TlsServer forbidden("127.0.0.2", TlsOptions{&cert});
  TlsServer forbidden6("::1", TlsOptions{&cert});
  auto set = tasks_for({
      {"127.0.0.1", plan(allowed.port(), AppProtocol::kNone, true), {"a.test", "b.test"}},
      {"127.0.0.2", plan(forbidden.port(), AppProtocol::kNone, true), {"a.test", "b.test"}},
      {"::1", plan(forbidden6.port(), AppProtocol::kNone, true), {}},
  });
  auto policy = loopback_policy({"127.0.0.2/32", "::1/128"});
  auto run = scan(set, policy, fast_options());
  REQUIRE(run.results.size() == 7);
  CHECK(forbidden.accepted() == 0);
  CHECK(forbidden6.accepted() == 0);
  CHECK(allowed.accepted() == 3);
  for (const auto& r : run.results) {
    bool blocked = r.ip.str() != "127.0.0.1";
    CHECK((r.status == Status::kBlocked) == blocked);
    if (blocked) CHECK(r.error.find("blocklist") != std::string::npos);
  }
  CHECK(run.summary.by_status["blocked"] == 4);

  // The connection itself asks the policy too: no path around the dispatcher sends a packet.
  check_connection_blocked(policy, "127.0.0.2", forbidden.port());
  CHECK(forbidden.accepted() == 0);
}

TEST_CASE("engine: an IPv4-mapped target meets the IPv4 entries, in the dispatcher and at connect",
          "[scanner][engine][ethics]") {
  // ::ffff:127.0.0.2 reaches 127.0.0.2; the blocklist entry 127.0.0.2/32 used to miss it.
  auto cert = scanner_test::make_cert("x.test");
  TlsServer forbidden("127.0.0.2", TlsOptions{&cert});
  auto set = tasks_for(
      {{"::ffff:127.0.0.2", plan(forbidden.port(), AppProtocol::kNone, true), {"a.test"}}});
  auto policy = loopback_policy({"127.0.0.2/32"});
  auto run = scan(set, policy, fast_options());
  REQUIRE(run.results.size() == 2);
  CHECK(run.summary.by_status["blocked"] == 2);
  CHECK(forbidden.accepted() == 0);

  check_connection_blocked(policy, "::ffff:127.0.0.2", forbidden.port());
  CHECK(forbidden.accepted() == 0);
}

TEST_CASE("engine: a server that demands a client certificate is recorded as such",
          "[scanner][engine]") {
  auto cert = scanner_test::make_cert("mtls.test");
  TlsOptions tls12{&cert, {}, kConnack};
  tls12.require_client_cert = true;
  tls12.max_version = TLS1_2_VERSION;
  TlsServer old_server("127.0.0.1", tls12);
  TlsOptions tls13 = tls12;
  tls13.max_version = TLS1_3_VERSION;
  TlsServer new_server("127.0.0.1", tls13);
  auto set = tasks_for({
      {"127.0.0.1", plan(old_server.port(), AppProtocol::kNone, true), {}},
      {"127.0.0.1", plan(new_server.port(), AppProtocol::kMqtt, true), {}},
  });
  auto run = scan(set, loopback_policy(), fast_options());
  for (uint16_t port : {old_server.port(), new_server.port()}) {
    const auto& r = run.at("127.0.0.1", port);
    INFO(to_string(r.status) << " " << r.error);
    CHECK(r.status == Status::kClientCertRequired);
    CHECK(r.client_cert_requested);
    REQUIRE(r.chain.size() == 1);
    CHECK(r.chain[0] == cert.der);  // the server's certificate arrived before the refusal
  }
}

TEST_CASE("engine: tls_mode cert stops each handshake after the server's certificate",
          "[scanner][engine]") {
  auto cert = scanner_test::make_cert("cert-only.test");
  auto named = scanner_test::make_cert("named.test", {"named.test"});
  TlsOptions tls12{&cert, {{"named.test", &named}}, kConnack};
  tls12.max_version = TLS1_2_VERSION;
  TlsServer only12("127.0.0.1", tls12);
  TlsOptions tls13{&cert, {{"named.test", &named}}, kConnack};
  tls13.min_version = TLS1_3_VERSION;
  TlsServer only13("::1", tls13);
  TlsOptions mtls12 = tls12;
  mtls12.require_client_cert = true;
  TlsServer client_cert12("127.0.0.1", mtls12);
  TlsOptions mtls13 = tls13;
  mtls13.require_client_cert = true;
  TlsServer client_cert13("127.0.0.1", mtls13);
  TlsServer with_probe("127.0.0.1", TlsOptions{&cert, {}, kConnack});

  auto set = tasks_for({
      {"127.0.0.1", plan(only12.port(), AppProtocol::kNone, true), {"named.test"}},
      {"::1", plan(only13.port(), AppProtocol::kNone, true), {"named.test"}},
      {"127.0.0.1", plan(client_cert12.port(), AppProtocol::kNone, true), {}},
      {"127.0.0.1", plan(client_cert13.port(), AppProtocol::kNone, true), {}},
      {"127.0.0.1", plan(with_probe.port(), AppProtocol::kMqtt, true), {}},
  });
  auto options = fast_options();
  options.tls_mode = TlsMode::kCertificate;
  auto run = scan(set, loopback_policy(), options);

  auto check_cut = [&](const GrabResult& r, const scanner_test::TestCert& want,
                       const char* version) {
    INFO(r.ip.str() << ":" << r.port << " '" << r.sni << "' " << to_string(r.status) << " "
                    << r.error);
    CHECK(r.status == Status::kCertOnly);
    CHECK(r.phase == Phase::kDone);
    CHECK(r.stopped_at_certificate);
    CHECK(r.tls_version == version);
    CHECK_FALSE(r.cipher.empty());
    REQUIRE(r.chain.size() == 1);
    CHECK(r.chain[0] == want.der);
  };
  check_cut(run.at("127.0.0.1", only12.port()), cert, "TLSv1.2");
  check_cut(run.at("127.0.0.1", only12.port(), "named.test"), named, "TLSv1.2");
  check_cut(run.at("::1", only13.port()), cert, "TLSv1.3");
  check_cut(run.at("::1", only13.port(), "named.test"), named, "TLSv1.3");
  // A server that demands a client certificate has sent its own by then. Under TLS 1.3 its
  // CertificateRequest comes first and is noted; under TLS 1.2 it follows the Certificate.
  check_cut(run.at("127.0.0.1", client_cert12.port()), cert, "TLSv1.2");
  check_cut(run.at("127.0.0.1", client_cert13.port()), cert, "TLSv1.3");
  CHECK(run.at("127.0.0.1", client_cert13.port()).client_cert_requested);
  // Nobody finished a handshake with us, except where a probe had to follow.
  CHECK(only12.handshakes() == 0);
  CHECK(only13.handshakes() == 0);
  CHECK(client_cert13.handshakes() == 0);
  const auto& probed = run.at("127.0.0.1", with_probe.port());
  CHECK(probed.status == Status::kOk);
  CHECK_FALSE(probed.stopped_at_certificate);
  CHECK(probed.app.confirmed);
  CHECK(with_probe.handshakes() == 1);
}

TEST_CASE("engine: tls_mode cert fallback, the verify callback ends the handshake",
          "[scanner][engine][tls]") {
  // CertificateStop::kAfterDecoding: what happens with an OpenSSL that hands the message callback
  // a copy. The chain and status must be those of the usual stop, the chain that of a full
  // handshake.
  auto leaf = scanner_test::make_cert("leaf.test");
  auto middle = scanner_test::make_cert("middle.test");
  auto top = scanner_test::make_cert("top.test");
  TlsOptions tls12{&leaf};
  tls12.chain = {&middle, &top};
  tls12.max_version = TLS1_2_VERSION;
  TlsServer only12("127.0.0.1", tls12);
  TlsOptions tls13 = tls12;
  tls13.min_version = TLS1_3_VERSION;
  tls13.max_version = TLS1_3_VERSION;
  TlsServer only13("::1", tls13);
  auto set = tasks_for({
      {"127.0.0.1", plan(only12.port(), AppProtocol::kNone, true), {}},
      {"::1", plan(only13.port(), AppProtocol::kNone, true), {}},
  });
  const std::vector<std::string> sent{certs::fingerprint(leaf.der), certs::fingerprint(middle.der),
                                      certs::fingerprint(top.der)};
  auto fingerprints = [](const GrabResult& r) {
    std::vector<std::string> out;
    for (const auto& der : r.chain) out.push_back(certs::fingerprint(der));
    return out;
  };

  // Which way the client stopped, as the alert it sent: decode_error for the spoilt message,
  // certificate_unknown for the verify callback's refusal (it sets no X509 error). Up to 10 s:
  // the server's thread reads it on its own time, later on a loaded machine.
  auto alert_of = [](TlsServer& server) {
    int alert = 0;
    for (int i = 0; i < 1000 && alert == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      alert = server.take_alert();
    }
    return alert;
  };

  auto options = fast_options();
  options.tls_mode = TlsMode::kCertificate;
  auto primary = scan(set, loopback_policy(), options);
  CHECK(alert_of(only12) == SSL_AD_DECODE_ERROR);
  CHECK(alert_of(only13) == SSL_AD_DECODE_ERROR);
  options.certificate_stop = CertificateStop::kAfterDecoding;
  auto fallback = scan(set, loopback_policy(), options);
  CHECK(alert_of(only12) == SSL_AD_CERTIFICATE_UNKNOWN);
  CHECK(alert_of(only13) == SSL_AD_CERTIFICATE_UNKNOWN);
  CHECK(only12.handshakes() == 0);  // before the full scan, which completes them
  CHECK(only13.handshakes() == 0);
  auto full = scan(set, loopback_policy(), fast_options());

  for (auto [ip, port, version] : {std::tuple{"127.0.0.1", only12.port(), "TLSv1.2"},
                                   std::tuple{"::1", only13.port(), "TLSv1.3"}}) {
    const auto& f = fallback.at(ip, port);
    const auto& p = primary.at(ip, port);
    const auto& whole = full.at(ip, port);
    INFO(version << " fallback: " << to_string(f.status) << " " << f.error
                 << ", primary: " << to_string(p.status) << " " << p.error
                 << ", full: " << to_string(whole.status) << " " << whole.error);
    CHECK(f.status == Status::kCertOnly);
    CHECK(f.error.empty());
    CHECK(f.stopped_at_certificate);
    CHECK(f.tls_version == version);
    CHECK(f.cipher == p.cipher);
    CHECK(fingerprints(f) == sent);
    CHECK(p.status == Status::kCertOnly);
    CHECK(fingerprints(p) == sent);
    CHECK_FALSE(whole.stopped_at_certificate);
    CHECK(whole.tls_version == version);
    CHECK(fingerprints(whole) == sent);
  }
}

TEST_CASE("tls: the certificate list of a Certificate message, TLS 1.2 and 1.3 layouts",
          "[scanner][tls]") {
  auto u24 = [](size_t n) {
    return std::string{static_cast<char>(n >> 16), static_cast<char>(n >> 8), static_cast<char>(n)};
  };
  auto message = [&](const std::string& body) {
    return std::string("\x0b", 1) + u24(body.size()) + body;
  };
  const std::string a = "first-der", b = "second";
  std::string list12 = u24(a.size()) + a + u24(b.size()) + b;
  std::string list13 =
      u24(a.size()) + a + std::string("\0\0", 2) + u24(b.size()) + b + std::string("\0\x03xyz", 5);
  std::vector<std::string> chain;
  auto at = read_certificate_message(message(u24(list12.size()) + list12), false, chain);
  REQUIRE(at);
  CHECK(*at == 4);
  CHECK(chain == std::vector<std::string>{a, b});
  chain.clear();
  at = read_certificate_message(
      message(std::string("\x02", 1) + "cx" + u24(list13.size()) + list13), true, chain);
  REQUIRE(at);
  CHECK(*at == 7);
  CHECK(chain == std::vector<std::string>{a, b});

  // Anything malformed leaves the chain alone (OpenSSL then refuses the message itself).
  const std::vector<std::string> before{"kept"};
  for (const std::string& bad : {
           message(u24(list12.size() + 1) + list12),            // list longer than the message
           message(u24(list12.size()) + list12).substr(0, 20),  // truncated
           message(u24(0)),                                     // no certificate
           message(u24(3) + u24(0)),                            // an empty certificate
           message(u24(4) + u24(9) + "x"),                      // a certificate past the end
           std::string("\x0b\0\0", 3),                          // shorter than a header
       }) {
    chain = before;
    CHECK_FALSE(read_certificate_message(bad, false, chain));
    CHECK(chain == before);
  }
  std::string bad_ext = u24(a.size()) + a + std::string("\0\x09", 2);
  chain = before;
  CHECK_FALSE(read_certificate_message(
      message(std::string("\0", 1) + u24(bad_ext.size()) + bad_ext), true, chain));
  CHECK(chain == before);
  CHECK(parse_tls_mode("cert") == TlsMode::kCertificate);
  CHECK(parse_tls_mode("full") == TlsMode::kFull);
  CHECK_FALSE(parse_tls_mode("fast"));
}

TEST_CASE("engine: connection refused and the global rate", "[scanner][engine]") {
  // A port that was just free: nothing listens there.
  uint16_t closed_port = 0;
  {
    Server s("127.0.0.1", scanner_test::silent());
    closed_port = s.port();
  }
  auto cert = scanner_test::make_cert("r.test");
  TlsServer server("127.0.0.1", TlsOptions{&cert});
  std::vector<std::string> names;
  for (int i = 0; i < 29; ++i) names.push_back("n" + std::to_string(i) + ".test");
  auto set = tasks_for({{"127.0.0.1", plan(server.port(), AppProtocol::kNone, true), names},
                        {"127.0.0.1", plan(closed_port, AppProtocol::kNone, true), {}}});
  auto options = fast_options();
  options.rate = 50;  // 31 connections: at least 0.6 s at 50/s (the bucket holds one)
  auto run = scan(set, loopback_policy(), options);
  REQUIRE(run.results.size() == 31);
  CHECK(run.at("127.0.0.1", closed_port).status == Status::kRefused);
  CHECK(run.seconds >= 0.55);
  CHECK(run.seconds < 3.0);
  // The policy's rate caps the configured one.
  auto slow = loopback_policy();
  slow.rate = 25;
  options.rate = 10000;
  auto capped = scan(set, slow, options);
  CHECK(capped.summary.rate == 25);
  CHECK(capped.seconds >= 1.1);
}

TEST_CASE("engine: spacing per address and per prefix", "[scanner][engine]") {
  auto cert = scanner_test::make_cert("s.test");
  TlsServer a("127.0.0.1", TlsOptions{&cert});
  auto set =
      tasks_for({{"127.0.0.1", plan(a.port(), AppProtocol::kNone, true), {"x.test", "y.test"}}});
  auto options = fast_options();
  options.per_ip_spacing_ms = 300;
  auto run = scan(set, loopback_policy(), options);
  REQUIRE(run.results.size() == 3);
  CHECK(run.seconds >= 0.6);
  options.per_ip_spacing_ms = 0;
  options.per_prefix_spacing_ms = 300;  // 127.0.0.1 and 127.0.0.3 share a /24
  TlsServer b("127.0.0.3", TlsOptions{&cert});
  auto two = tasks_for({{"127.0.0.1", plan(a.port(), AppProtocol::kNone, true), {}},
                        {"127.0.0.3", plan(b.port(), AppProtocol::kNone, true), {}}});
  auto run2 = scan(two, loopback_policy(), options);
  REQUIRE(run2.results.size() == 2);
  CHECK(run2.seconds >= 0.3);
}

TEST_CASE("engine: a scan cut short resumes without repeating or losing a step",
          "[scanner][engine]") {
  auto cert = scanner_test::make_cert("c.test");
  TlsServer server("127.0.0.1", TlsOptions{&cert});
  std::vector<std::string> names;
  for (int i = 0; i < 199; ++i) names.push_back("n" + std::to_string(i) + ".test");
  auto set = tasks_for({{"127.0.0.1", plan(server.port(), AppProtocol::kNone, true), names}});
  ScanOrder order(set.tasks.size(), 99, Shard{});
  auto options = fast_options();
  options.rate = 2000;

  // First run: the sink "dies" after about 60 results, as a killed process would.
  std::set<uint64_t> delivered;
  uint64_t checkpoint = 0;
  REQUIRE_THROWS_AS(run_scan(set, order, {}, loopback_policy(), options,
                             [&](std::vector<GrabResult>& batch, uint64_t watermark) {
                               for (const auto& r : batch) REQUIRE(delivered.insert(r.step).second);
                               checkpoint = watermark;
                               if (delivered.size() >= 60) throw std::runtime_error("killed");
                             }),
                    std::runtime_error);
  REQUIRE(delivered.size() < set.tasks.size());
  for (uint64_t s = 0; s < checkpoint; ++s) REQUIRE(delivered.count(s) == 1);

  // Resume: from the checkpoint, skipping what was delivered above it.
  ResumePoint resume{checkpoint, {}};
  for (auto s : delivered)
    if (s >= checkpoint) resume.done_above.push_back(s);
  auto summary = run_scan(set, order, resume, loopback_policy(), options,
                          [&](std::vector<GrabResult>& batch, uint64_t) {
                            for (const auto& r : batch) REQUIRE(delivered.insert(r.step).second);
                          });
  CHECK(summary.watermark == set.tasks.size());
  CHECK(delivered.size() == set.tasks.size());
  CHECK(*delivered.rbegin() == set.tasks.size() - 1);
}

TEST_CASE("engine: the stop flag ends a scan early with a consistent watermark",
          "[scanner][engine]") {
  auto cert = scanner_test::make_cert("stop.test");
  TlsServer server("127.0.0.1", TlsOptions{&cert});
  std::vector<std::string> names;
  for (int i = 0; i < 99; ++i) names.push_back("n" + std::to_string(i) + ".test");
  auto set = tasks_for({{"127.0.0.1", plan(server.port(), AppProtocol::kNone, true), names}});
  ScanOrder order(set.tasks.size(), 5, Shard{});
  std::atomic<bool> stop{false};
  auto options = fast_options();
  options.rate = 200;
  options.stop = &stop;
  std::set<uint64_t> delivered;
  uint64_t watermark = 0;
  auto summary = run_scan(set, order, {}, loopback_policy(), options,
                          [&](std::vector<GrabResult>& batch, uint64_t wm) {
                            for (const auto& r : batch) delivered.insert(r.step);
                            watermark = wm;
                            if (delivered.size() >= 20) stop = true;
                          });
  CHECK(summary.stopped);
  CHECK(summary.watermark == watermark);
  CHECK(watermark < set.tasks.size());
  for (uint64_t s = 0; s < watermark; ++s) CHECK(delivered.count(s) == 1);
}

TEST_CASE("engine: blocked tasks name their blocklist entry and use no rate tokens",
          "[scanner][engine][ethics][mutation]") {
  auto cert = scanner_test::make_cert("x.test");
  TlsServer allowed("127.0.0.1", TlsOptions{&cert});
  std::vector<Endpoint> endpoints{
      {"127.0.0.1", plan(allowed.port(), AppProtocol::kNone, true), {}}};
  for (int i = 1; i <= 40; ++i)
    endpoints.push_back(
        {"127.0.1." + std::to_string(i), plan(allowed.port(), AppProtocol::kNone, true), {}});
  auto options = fast_options();
  options.rate = 10;  // 41 tokens would take 4 s; the one allowed connection takes one
  auto run = scan(tasks_for(endpoints), loopback_policy({"127.0.1.0/24"}), options);
  REQUIRE(run.results.size() == 41);
  CHECK(run.summary.by_status["blocked"] == 40);
  CHECK(allowed.accepted() == 1);
  for (const auto& r : run.results)
    if (r.status == Status::kBlocked) CHECK(r.error == "on the blocklist: test (127.0.1.0/24)");
  CHECK(run.seconds < 2.0);
}
