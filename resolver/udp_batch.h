// Socket functions for c-ares (ares_set_socket_functions) that batch UDP system calls: the
// datagrams a channel writes are queued and go out with one sendmmsg(2) per socket at flush(),
// and the first read of a readable socket takes up to kBatch datagrams with one recvmmsg(2),
// which the following reads hand out one by one. TCP sockets go straight to the kernel.
//
// c-ares calls asendv while the engine hands it queries, so a send error can only surface at
// flush(): the socket keeps the error and its next read returns it, which makes c-ares close
// the connection and end each query on it with an error, as when a read fails.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

struct ares_socket_functions;

namespace iotmap::resolver {

class UdpBatch {
 public:
  static constexpr size_t kBatch = 64;

  // max_datagram: the longest datagram a read hands out whole; a longer one is cut to it, as
  // recvfrom with a buffer of that size would. The buffer sizes (0: the kernel's) are set on
  // every socket, since c-ares leaves the options of sockets it does not create to us.
  UdpBatch(size_t max_datagram, int receive_buffer, int send_buffer);
  UdpBatch(const UdpBatch&) = delete;
  UdpBatch& operator=(const UdpBatch&) = delete;

  // The ares_socket_functions callbacks; user data: this UdpBatch.
  static const ares_socket_functions& functions();

  int open(int domain, int type, int protocol);  // non-blocking, close-on-exec; -1: errno
  int close(int fd);
  ssize_t receive(int fd, void* data, size_t len, int flags, sockaddr* from, socklen_t* from_len);
  ssize_t send(int fd, const iovec* iov, int iovcnt);

  // Sends the queued datagrams. Returns the sockets whose send failed (each keeps its error
  // for its next receive; the datagrams not sent are dropped). Datagrams that do not fit in a
  // full send buffer stay queued for the next flush.
  std::vector<int> flush();

  bool buffered(int fd) const;  // datagrams read from the kernel but not handed out yet
  size_t queued() const;        // datagrams waiting for flush()

 private:
  struct Socket {
    bool udp = false;
    int error = 0;  // a failed flush, reported by the next receive
    // Received datagrams: slot i of `in` holds in_len[i] bytes from in_from[i].
    std::vector<uint8_t> in;
    std::vector<uint32_t> in_len;
    std::vector<sockaddr_storage> in_from;
    std::vector<socklen_t> in_from_len;
    size_t in_count = 0;
    size_t in_next = 0;
    // Queued datagrams, back to back in `out`.
    std::vector<uint8_t> out;
    std::vector<uint32_t> out_len;
  };

  enum class Sent { kAll, kSome, kFailed };  // kSome: the send buffer is full, the rest waits

  bool fill(Socket& s, int fd);
  Sent send_queued(Socket& s, int fd);

  size_t max_datagram_;
  int receive_buffer_;
  int send_buffer_;
  std::unordered_map<int, Socket> sockets_;
  std::vector<int> dirty_;  // sockets with queued datagrams
  // Scratch for the system calls, reused.
  std::vector<mmsghdr> msgs_;
  std::vector<iovec> iovs_;
};

}  // namespace iotmap::resolver
