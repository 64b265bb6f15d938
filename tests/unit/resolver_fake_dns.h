// A fake DNS server for the resolver's tests: UDP and TCP on one port of 127.0.0.1, run by a
// thread of the test process, answering through a handler that may reply, drop, truncate, or
// send bytes that are not DNS. Stopped (thread joined, sockets closed) by its destructor.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <ldns/ldns.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "lib/handle.h"

namespace iotmap::testing {

struct FakeQuery {
  std::vector<uint8_t> wire;
  uint16_t id = 0;
  std::string qname;  // lower case, no trailing dot
  uint16_t qtype = 0;
  bool tcp = false;
  std::vector<uint8_t> edns_data;  // raw EDNS options of the query
};

// What the server does with one query: nothing (drop), or send `bytes`.
struct FakeAction {
  bool drop = false;
  std::vector<uint8_t> bytes;
  static FakeAction dropped() { return {true, {}}; }
};

inline void fake_free_bytes(uint8_t* p) { std::free(p); }
using FakePkt = Handle<ldns_pkt, ldns_pkt_free>;

// Builds a reply to `q`: rcode, answer records in zone syntax ("a.example. 300 IN A 192.0.2.1"),
// an optional SOA in the authority section, the TC bit, and the query's EDNS options echoed.
inline std::vector<uint8_t> fake_reply(const FakeQuery& q, int rcode,
                                       const std::vector<std::string>& answers,
                                       bool truncated = false, bool soa = false) {
  ldns_pkt* raw = nullptr;
  if (ldns_wire2pkt(&raw, q.wire.data(), q.wire.size()) != LDNS_STATUS_OK)
    throw std::runtime_error("fake_reply: query does not parse");
  FakePkt pkt(raw);
  ldns_pkt_set_qr(raw, true);
  ldns_pkt_set_ra(raw, true);
  ldns_pkt_set_tc(raw, truncated);
  ldns_pkt_set_rcode(raw, static_cast<uint8_t>(rcode));
  for (const auto& text : answers) {
    ldns_rr* rr = nullptr;
    if (ldns_rr_new_frm_str(&rr, text.c_str(), 300, nullptr, nullptr) != LDNS_STATUS_OK)
      throw std::runtime_error("fake_reply: bad record " + text);
    ldns_pkt_push_rr(raw, LDNS_SECTION_ANSWER, rr);
  }
  if (soa) {
    ldns_rr* rr = nullptr;
    ldns_rr_new_frm_str(&rr, "example. 60 IN SOA ns.example. host.example. 1 60 60 60 60", 300,
                        nullptr, nullptr);
    ldns_pkt_push_rr(raw, LDNS_SECTION_AUTHORITY, rr);
  }
  uint8_t* out = nullptr;
  size_t size = 0;
  if (ldns_pkt2wire(&out, raw, &size) != LDNS_STATUS_OK)
    throw std::runtime_error("fake_reply: pkt2wire failed");
  std::vector<uint8_t> bytes(out, out + size);
  std::free(out);
  return bytes;
}

class FakeDns {
 public:
  using Handler = std::function<FakeAction(const FakeQuery&)>;

  explicit FakeDns(Handler handler) : handler_(std::move(handler)) {
    udp_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    tcp_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (udp_ < 0 || tcp_ < 0) throw std::runtime_error("fake dns: socket");
    int one = 1;
    ::setsockopt(tcp_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    // The same port for UDP and TCP: try ports the kernel hands out for UDP until TCP fits.
    for (int attempt = 0; attempt < 50; ++attempt) {
      a.sin_port = 0;
      if (::bind(udp_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
        throw std::runtime_error("fake dns: bind udp");
      socklen_t len = sizeof a;
      ::getsockname(udp_, reinterpret_cast<sockaddr*>(&a), &len);
      if (::bind(tcp_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) break;
      ::close(udp_);
      udp_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    }
    port_ = ntohs(a.sin_port);
    if (::listen(tcp_, 16) != 0) throw std::runtime_error("fake dns: listen");
    if (::pipe(stop_) != 0) throw std::runtime_error("fake dns: pipe");
    thread_ = std::thread([this] { loop(); });
  }

  ~FakeDns() {
    char c = 1;
    if (::write(stop_[1], &c, 1) != 1) {
      std::fprintf(stderr, "fake dns: stop pipe %d: %s\n", stop_[1], std::strerror(errno));
      std::abort();
    }
    thread_.join();
    for (auto& [fd, buf] : conns_) ::close(fd);
    ::close(udp_);
    ::close(tcp_);
    ::close(stop_[0]);
    ::close(stop_[1]);
  }

  FakeDns(const FakeDns&) = delete;
  FakeDns& operator=(const FakeDns&) = delete;

  uint16_t port() const { return port_; }
  std::string endpoint() const { return "127.0.0.1:" + std::to_string(port_); }
  int udp_queries() const { return udp_count_.load(); }
  int tcp_queries() const { return tcp_count_.load(); }
  std::vector<FakeQuery> queries() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }

 private:
  std::optional<FakeQuery> decode(const uint8_t* data, size_t n, bool tcp) {
    ldns_pkt* raw = nullptr;
    if (ldns_wire2pkt(&raw, data, n) != LDNS_STATUS_OK) return std::nullopt;
    FakePkt pkt(raw);
    FakeQuery q;
    q.wire.assign(data, data + n);
    q.id = ldns_pkt_id(raw);
    q.tcp = tcp;
    if (ldns_rr_list_rr_count(ldns_pkt_question(raw)) > 0) {
      const ldns_rr* rr = ldns_rr_list_rr(ldns_pkt_question(raw), 0);
      char* s = ldns_rdf2str(ldns_rr_owner(rr));
      q.qname = s;
      std::free(s);
      for (auto& c : q.qname) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (!q.qname.empty() && q.qname.back() == '.') q.qname.pop_back();
      q.qtype = static_cast<uint16_t>(ldns_rr_get_type(rr));
    }
    if (const ldns_rdf* e = ldns_pkt_edns_data(raw))
      q.edns_data.assign(ldns_rdf_data(e), ldns_rdf_data(e) + ldns_rdf_size(e));
    {
      std::lock_guard<std::mutex> lock(mu_);
      seen_.push_back(q);
    }
    (tcp ? tcp_count_ : udp_count_)++;
    return q;
  }

  void on_udp() {
    uint8_t buf[65536];
    sockaddr_storage from{};
    socklen_t len = sizeof from;
    ssize_t n =
        ::recvfrom(udp_, buf, sizeof buf, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from), &len);
    if (n <= 0) return;
    auto q = decode(buf, static_cast<size_t>(n), false);
    if (!q) return;
    FakeAction act = handler_(*q);
    if (!act.drop)
      ::sendto(udp_, act.bytes.data(), act.bytes.size(), 0, reinterpret_cast<sockaddr*>(&from),
               len);
  }

  void on_tcp_data(int fd) {
    uint8_t buf[65536];
    ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n <= 0) {
      ::close(fd);
      conns_.erase(fd);
      return;
    }
    auto& pending = conns_[fd];
    pending.insert(pending.end(), buf, buf + n);
    while (pending.size() >= 2) {
      size_t len = static_cast<size_t>(pending[0] << 8 | pending[1]);
      if (pending.size() < 2 + len) break;
      auto q = decode(pending.data() + 2, len, true);
      pending.erase(pending.begin(), pending.begin() + 2 + static_cast<long>(len));
      if (!q) continue;
      FakeAction act = handler_(*q);
      if (act.drop) continue;
      std::vector<uint8_t> out = {static_cast<uint8_t>(act.bytes.size() >> 8),
                                  static_cast<uint8_t>(act.bytes.size() & 0xff)};
      out.insert(out.end(), act.bytes.begin(), act.bytes.end());
      if (::send(fd, out.data(), out.size(), MSG_NOSIGNAL) < 0) break;
    }
  }

  void loop() {
    while (true) {
      std::vector<pollfd> fds = {{stop_[0], POLLIN, 0}, {udp_, POLLIN, 0}, {tcp_, POLLIN, 0}};
      for (auto& [fd, buf] : conns_) fds.push_back({fd, POLLIN, 0});
      if (::poll(fds.data(), fds.size(), 1000) < 0) continue;
      if (fds[0].revents) return;
      if (fds[1].revents & POLLIN) on_udp();
      if (fds[2].revents & POLLIN) {
        int c = ::accept(tcp_, nullptr, nullptr);
        if (c >= 0) conns_[c];
      }
      for (size_t i = 3; i < fds.size(); ++i)
        if (fds[i].revents) on_tcp_data(fds[i].fd);
    }
  }

  Handler handler_;
  int udp_ = -1, tcp_ = -1;
  int stop_[2] = {-1, -1};
  uint16_t port_ = 0;
  std::map<int, std::vector<uint8_t>> conns_;
  std::atomic<int> udp_count_{0}, tcp_count_{0};
  std::mutex mu_;
  std::vector<FakeQuery> seen_;
  std::thread thread_;
};

}  // namespace iotmap::testing
