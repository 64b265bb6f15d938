// UdpBatch (resolver/udp_batch.h) on real loopback sockets: datagrams wait for flush() and
// then arrive in order, reads hand out one datagram each from one batch, a failed send
// surfaces on the next read, TCP goes straight through.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <string>

#include "resolver/udp_batch.h"

using iotmap::resolver::UdpBatch;

namespace {

struct Fd {
  int fd;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

sockaddr_in loopback(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

uint16_t port_of(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof(a);
  REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  return ntohs(a.sin_port);
}

// A bound UDP socket on 127.0.0.1 (the peer).
int bound_udp() {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a = loopback(0);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
  return fd;
}

void connect_to(int fd, uint16_t port) {
  sockaddr_in a = loopback(port);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
}

bool readable(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, ms) == 1;
}

// Waits up to `ms` for the socket's pending error (an ICMP error for a connected UDP socket).
bool error_pending(int fd, int ms) {
  pollfd p{fd, 0, 0};  // POLLERR is reported whatever the events asked for
  return ::poll(&p, 1, ms) == 1 && (p.revents & POLLERR) != 0;
}

ssize_t send_text(UdpBatch& b, int fd, const std::string& head, const std::string& tail) {
  iovec iov[2] = {{const_cast<char*>(head.data()), head.size()},
                  {const_cast<char*>(tail.data()), tail.size()}};
  return b.send(fd, iov, 2);
}

std::string receive_text(UdpBatch& b, int fd, size_t len = 2048) {
  std::string buf(len, '\0');
  sockaddr_storage from{};
  socklen_t from_len = sizeof(from);
  ssize_t n =
      b.receive(fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &from_len);
  if (n < 0) return "error " + std::to_string(errno);
  CHECK(from_len == sizeof(sockaddr_in));
  CHECK(reinterpret_cast<sockaddr_in*>(&from)->sin_addr.s_addr == htonl(INADDR_LOOPBACK));
  return buf.substr(0, static_cast<size_t>(n));
}

// A batched UDP socket connected to a plain bound one (the peer).
struct Connected {
  UdpBatch b;
  Fd peer;
  int fd;
  explicit Connected(size_t max_datagram)
      : b(max_datagram, 0, 0), peer(bound_udp()), fd(b.open(AF_INET, SOCK_DGRAM, 0)) {
    REQUIRE(fd >= 0);
    connect_to(fd, port_of(peer.fd));
  }
  ~Connected() { b.close(fd); }
  Connected(const Connected&) = delete;
  Connected& operator=(const Connected&) = delete;
};

}  // namespace

TEST_CASE("udp batch: sends wait for flush and arrive in order", "[resolver]") {
  Connected c(16);
  auto& [b, peer, fd] = c;
  for (int i = 0; i < 100; ++i) CHECK(send_text(b, fd, "q", std::to_string(i)) == (i < 10 ? 2 : 3));
  CHECK(b.queued() == 100);
  CHECK_FALSE(readable(peer.fd, 50));  // nothing left before the flush
  CHECK(b.flush().empty());
  CHECK(b.queued() == 0);
  for (int i = 0; i < 100; ++i) {
    REQUIRE(readable(peer.fd, 1000));
    char buf[64];
    ssize_t n = ::recv(peer.fd, buf, sizeof(buf), 0);
    CHECK(std::string(buf, static_cast<size_t>(std::max<ssize_t>(n, 0))) ==
          "q" + std::to_string(i));
  }
  CHECK_FALSE(readable(peer.fd, 0));
  CHECK(b.flush().empty());  // nothing queued: nothing sent
  CHECK_FALSE(readable(peer.fd, 20));
}

TEST_CASE("udp batch: reads hand out a batch one datagram at a time, then EAGAIN", "[resolver]") {
  Connected c(16);
  auto& [b, peer, fd] = c;
  connect_to(peer.fd, port_of(fd));
  CHECK(receive_text(b, fd) == "error " + std::to_string(EAGAIN));
  const int count = static_cast<int>(UdpBatch::kBatch) + 10;  // more than one batch
  for (int i = 0; i < count; ++i) {
    std::string d = "r" + std::to_string(i);
    REQUIRE(::send(peer.fd, d.data(), d.size(), 0) == static_cast<ssize_t>(d.size()));
  }
  ::send(peer.fd, "0123456789abcdefXYZ", 19, 0);  // longer than the 16-byte datagram size
  REQUIRE(readable(fd, 1000));
  CHECK(receive_text(b, fd) == "r0");
  CHECK(b.buffered(fd));
  // One read took a whole batch: the kernel's next datagram is the first that did not fit.
  char direct[64];
  ssize_t n = ::recv(fd, direct, sizeof(direct), 0);
  const std::string first_left = "r" + std::to_string(UdpBatch::kBatch);
  CHECK(std::string(direct, static_cast<size_t>(std::max<ssize_t>(n, 0))) == first_left);
  for (int i = 1; i < count; ++i)
    if (i != static_cast<int>(UdpBatch::kBatch))
      CHECK(receive_text(b, fd) == "r" + std::to_string(i));
  CHECK(receive_text(b, fd) == "0123456789abcdef");  // cut, as recvfrom would
  CHECK(receive_text(b, fd, 4) == "error " + std::to_string(EAGAIN));
  CHECK_FALSE(b.buffered(fd));
}

TEST_CASE("udp batch: a failed flush is reported by the next read of the socket", "[resolver]") {
  UdpBatch b(64, 0, 0);
  uint16_t closed_port;
  {
    Fd gone(bound_udp());
    closed_port = port_of(gone.fd);
  }
  Fd s(b.open(AF_INET, SOCK_DGRAM, 0));
  REQUIRE(s.fd >= 0);
  connect_to(s.fd, closed_port);
  // A datagram brings back ICMP port unreachable, which the kernel keeps as the socket's
  // pending error (POLLERR) until a send or read takes it: the next send fails with it. Each
  // round waits for that error (up to 2 s: a loaded machine can run loopback's softirq late)
  // before sending again, so no ICMP of an earlier datagram is still on its way when a send
  // fails; a round without it (the ICMP rate limit can eat one) sends again, 5 rounds at most.
  std::vector<int> failed;
  for (int i = 0; i < 5 && failed.empty(); ++i) {
    CHECK(send_text(b, s.fd, "a", "") == 1);
    failed = b.flush();
    if (failed.empty()) error_pending(s.fd, 2000);
  }
  REQUIRE(failed == std::vector<int>{s.fd});
  // The kernel reported the error to the send; the read gets it from the batch.
  CHECK(receive_text(b, s.fd) == "error " + std::to_string(ECONNREFUSED));
  CHECK(receive_text(b, s.fd) == "error " + std::to_string(EAGAIN));
  b.close(s.fd);
  s.fd = -1;
}

TEST_CASE("udp batch: TCP sockets are not batched", "[resolver]") {
  UdpBatch b(64, 0, 0);
  Fd listener(::socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in a = loopback(0);
  REQUIRE(::bind(listener.fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
  REQUIRE(::listen(listener.fd, 1) == 0);
  Fd s(b.open(AF_INET, SOCK_STREAM, 0));
  REQUIRE(s.fd >= 0);
  sockaddr_in to = loopback(port_of(listener.fd));
  int rc = ::connect(s.fd, reinterpret_cast<sockaddr*>(&to), sizeof(to));
  REQUIRE((rc == 0 || errno == EINPROGRESS));
  Fd conn(::accept(listener.fd, nullptr, nullptr));
  REQUIRE(conn.fd >= 0);
  pollfd w{s.fd, POLLOUT, 0};
  REQUIRE(::poll(&w, 1, 1000) == 1);
  CHECK(send_text(b, s.fd, "he", "llo") == 5);
  CHECK(b.queued() == 0);
  REQUIRE(readable(conn.fd, 1000));
  char buf[16];
  CHECK(::recv(conn.fd, buf, sizeof(buf), 0) == 5);
  REQUIRE(::send(conn.fd, "back", 4, 0) == 4);
  REQUIRE(readable(s.fd, 1000));
  CHECK(b.receive(s.fd, buf, sizeof(buf), 0, nullptr, nullptr) == 4);
  b.close(s.fd);
  s.fd = -1;
}
