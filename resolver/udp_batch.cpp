#include "resolver/udp_batch.h"

#include <ares.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace iotmap::resolver {

namespace {

// sendmmsg takes at most UIO_MAXIOV (1024) messages per call.
constexpr size_t kMaxSendBatch = 1024;

UdpBatch& self(void* user_data) { return *static_cast<UdpBatch*>(user_data); }

const ares_socket_functions kFunctions = {
    [](int domain, int type, int protocol, void* ud) -> ares_socket_t {
      int fd = self(ud).open(domain, type, protocol);
      return fd < 0 ? ARES_SOCKET_BAD : fd;
    },
    [](ares_socket_t fd, void* ud) { return self(ud).close(fd); },
    [](ares_socket_t fd, const sockaddr* addr, ares_socklen_t len, void*) {
      return ::connect(fd, addr, len);
    },
    [](ares_socket_t fd, void* data, size_t len, int flags, sockaddr* from,
       ares_socklen_t* from_len,
       void* ud) -> ares_ssize_t { return self(ud).receive(fd, data, len, flags, from, from_len); },
    [](ares_socket_t fd, const iovec* iov, int iovcnt, void* ud) -> ares_ssize_t {
      return self(ud).send(fd, iov, iovcnt);
    },
};

}  // namespace

UdpBatch::UdpBatch(size_t max_datagram, int receive_buffer, int send_buffer)
    : max_datagram_(max_datagram), receive_buffer_(receive_buffer), send_buffer_(send_buffer) {}

const ares_socket_functions& UdpBatch::functions() { return kFunctions; }

int UdpBatch::open(int domain, int type, int protocol) {
  int fd = ::socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  if (fd < 0) return -1;
  bool udp = (type & 0xf) == SOCK_DGRAM;
  int one = 1;
  // What c-ares does to the sockets it creates itself; it fails the socket on an error too.
  bool ok = (send_buffer_ <= 0 ||
             setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &send_buffer_, sizeof(send_buffer_)) == 0) &&
            (receive_buffer_ <= 0 || setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer_,
                                                sizeof(receive_buffer_)) == 0) &&
            (udp || setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == 0);
  if (!ok) {
    int e = errno;
    ::close(fd);
    errno = e;
    return -1;
  }
  sockets_[fd] = Socket{};
  sockets_[fd].udp = udp;
  return fd;
}

int UdpBatch::close(int fd) {
  // Datagrams still queued for a closed socket must not go to whatever reuses its number.
  sockets_.erase(fd);
  dirty_.erase(std::remove(dirty_.begin(), dirty_.end(), fd), dirty_.end());
  return ::close(fd);
}

bool UdpBatch::fill(Socket& s, int fd) {
  if (s.in.empty()) {
    s.in.resize(kBatch * max_datagram_);
    s.in_len.resize(kBatch);
    s.in_from.resize(kBatch);
    s.in_from_len.resize(kBatch);
  }
  msgs_.assign(kBatch, mmsghdr{});
  iovs_.resize(kBatch);
  for (size_t i = 0; i < kBatch; ++i) {
    iovs_[i] = {s.in.data() + i * max_datagram_, max_datagram_};
    msghdr& h = msgs_[i].msg_hdr;
    h.msg_iov = &iovs_[i];
    h.msg_iovlen = 1;
    h.msg_name = &s.in_from[i];
    h.msg_namelen = sizeof(sockaddr_storage);
  }
  int n;
  do {
    n = ::recvmmsg(fd, msgs_.data(), kBatch, 0, nullptr);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) return false;
  for (size_t i = 0; i < static_cast<size_t>(n); ++i) {
    s.in_len[i] = msgs_[i].msg_len;
    s.in_from_len[i] = msgs_[i].msg_hdr.msg_namelen;
  }
  s.in_count = static_cast<size_t>(n);
  s.in_next = 0;
  return true;
}

ssize_t UdpBatch::receive(int fd, void* data, size_t len, int flags, sockaddr* from,
                          socklen_t* from_len) {
  auto it = sockets_.find(fd);
  if (it == sockets_.end() || !it->second.udp)
    return ::recvfrom(fd, data, len, flags, from, from_len);
  Socket& s = it->second;
  if (s.in_next == s.in_count) {
    if (s.error != 0) {
      errno = s.error;
      s.error = 0;
      return -1;
    }
    if (flags != 0) return ::recvfrom(fd, data, len, flags, from, from_len);
    if (!fill(s, fd)) return -1;
  }
  size_t i = s.in_next++;
  size_t n = std::min<size_t>(len, s.in_len[i]);
  std::memcpy(data, s.in.data() + i * max_datagram_, n);
  if (from != nullptr && from_len != nullptr) {
    std::memcpy(from, &s.in_from[i], std::min(*from_len, s.in_from_len[i]));
    *from_len = s.in_from_len[i];
  }
  return static_cast<ssize_t>(n);
}

ssize_t UdpBatch::send(int fd, const iovec* iov, int iovcnt) {
  auto it = sockets_.find(fd);
  if (it == sockets_.end() || !it->second.udp) return ::writev(fd, iov, iovcnt);
  Socket& s = it->second;
  if (s.error != 0) {  // kept for the next receive as well, which closes the socket
    errno = s.error;
    return -1;
  }
  size_t total = 0;
  for (int i = 0; i < iovcnt; ++i) {
    const auto* p = static_cast<const uint8_t*>(iov[i].iov_base);
    s.out.insert(s.out.end(), p, p + iov[i].iov_len);
    total += iov[i].iov_len;
  }
  if (s.out_len.empty()) dirty_.push_back(fd);
  s.out_len.push_back(static_cast<uint32_t>(total));
  return static_cast<ssize_t>(total);
}

UdpBatch::Sent UdpBatch::send_queued(Socket& s, int fd) {
  const size_t count = s.out_len.size();
  Sent result = Sent::kAll;
  size_t done = 0;
  uint8_t* next = s.out.data();
  while (done < count) {
    const size_t n = std::min(count - done, kMaxSendBatch);
    msgs_.assign(n, mmsghdr{});
    iovs_.resize(n);
    uint8_t* p = next;
    for (size_t i = 0; i < n; ++i) {
      iovs_[i] = {p, s.out_len[done + i]};
      p += s.out_len[done + i];
      msgs_[i].msg_hdr.msg_iov = &iovs_[i];
      msgs_[i].msg_hdr.msg_iovlen = 1;
    }
    int sent = ::sendmmsg(fd, msgs_.data(), static_cast<unsigned>(n), 0);
    if (sent < 0 && errno == EINTR) continue;
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      // A full send buffer is no error: the rest waits for the next flush (at most one tick).
      s.out.erase(s.out.begin(), s.out.begin() + (next - s.out.data()));
      s.out_len.erase(s.out_len.begin(), s.out_len.begin() + static_cast<ptrdiff_t>(done));
      return Sent::kSome;
    }
    if (sent <= 0) {
      s.error = sent < 0 ? errno : EIO;
      result = Sent::kFailed;
      break;
    }
    for (int i = 0; i < sent; ++i) next += s.out_len[done + static_cast<size_t>(i)];
    done += static_cast<size_t>(sent);
  }
  s.out.clear();
  s.out_len.clear();
  return result;
}

std::vector<int> UdpBatch::flush() {
  std::vector<int> failed;
  size_t waiting = 0;
  for (int fd : dirty_) {
    auto it = sockets_.find(fd);
    if (it == sockets_.end()) continue;
    switch (send_queued(it->second, fd)) {
      case Sent::kAll:
        break;
      case Sent::kSome:
        dirty_[waiting++] = fd;
        break;
      case Sent::kFailed:
        failed.push_back(fd);
        break;
    }
  }
  dirty_.resize(waiting);
  return failed;
}

bool UdpBatch::buffered(int fd) const {
  auto it = sockets_.find(fd);
  return it != sockets_.end() && it->second.in_next < it->second.in_count;
}

size_t UdpBatch::queued() const {
  size_t n = 0;
  for (int fd : dirty_) n += sockets_.at(fd).out_len.size();
  return n;
}

}  // namespace iotmap::resolver
