// `iotmap info-page [--serve ADDR:PORT | --write FILE]`: the page the prober's reverse-DNS name
// shows (ethics/info_page.h). Without an option the page goes to stdout. `--serve` is a tiny
// HTTP/1.0-style server on that one address (plain sockets and poll: GET and HEAD of `/`, one
// request per connection, bounded request size and time), meant to sit on the prober's own
// address; `--write` is for an existing web server.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>  // NOLINT(modernize-deprecated-headers): POSIX sigaction, kill
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <set>
#include <vector>

#include "backend_map/dataset.h"
#include "config/catalogue.h"
#include "ethics/info_page.h"
#include "lib/clock.h"
#include "lib/fd.h"
#include "scanner/ports.h"
#include "src/commands.h"

namespace iotmap::cli {
namespace {

volatile sig_atomic_t g_stop = 0;
void on_stop(int) { g_stop = 1; }

// The TCP ports a scan probes: [scan] ports, else every TCP port of the catalogue.
std::vector<uint16_t> scanned_ports(const config::Config& cfg) {
  if (!cfg.scan.ports.empty()) return cfg.scan.ports;
  std::set<uint16_t> ports;
  auto cat = config::Catalogue::load(cfg);
  auto take = [&](const std::vector<config::PortSpec>& specs) {
    for (const auto& p : specs)
      if (p.protocol != "coap") ports.insert(p.port);
  };
  for (const auto& p : cat.providers()) take(p.ports);
  for (const auto& s : cat.services()) take(s.ports);
  return {ports.begin(), ports.end()};
}

struct Listen {
  sockaddr_storage addr{};
  socklen_t len = 0;
  bool v6 = false;
};

// "127.0.0.1:8080", "[::1]:8080". Port 0 picks a free port (printed when serving).
Listen parse_listen(const std::string& text) {
  AddressPort at;
  try {
    at = parse_address_port(text);
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--serve ") + e.what());
  }
  const IpAddress& ip = at.ip;
  Listen l;
  l.v6 = ip.v6;
  const uint16_t p = at.port;
  if (ip.v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&l.addr);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(p);
    std::memcpy(&a->sin6_addr, ip.bytes.data(), 16);
    l.len = sizeof(sockaddr_in6);
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&l.addr);
    a->sin_family = AF_INET;
    a->sin_port = htons(p);
    std::memcpy(&a->sin_addr, ip.bytes.data(), 4);
    l.len = sizeof(sockaddr_in);
  }
  return l;
}

std::string describe(const sockaddr_storage& ss) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof buf);
    return "[" + std::string(buf) + "]:" + std::to_string(ntohs(a->sin6_port));
  }
  const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
  inet_ntop(AF_INET, &a->sin_addr, buf, sizeof buf);
  return std::string(buf) + ":" + std::to_string(ntohs(a->sin_port));
}

std::string response(int code, const char* reason, const std::string& type, const std::string& body,
                     bool head) {
  std::string r = "HTTP/1.1 " + std::to_string(code) + " " + reason + "\r\n";
  r += "Content-Type: " + type + "\r\n";
  r += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  r += "Cache-Control: max-age=300\r\nX-Content-Type-Options: nosniff\r\n";
  r += "Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'\r\n";
  r += "Connection: close\r\n\r\n";
  if (!head) r += body;
  return r;
}

// The answer to one request head ("GET / HTTP/1.1\r\n...").
std::string answer(const std::string& request, const std::string& page) {
  auto eol = request.find("\r\n");
  std::string line = request.substr(0, eol == std::string::npos ? request.find('\n') : eol);
  auto sp1 = line.find(' ');
  auto sp2 = sp1 == std::string::npos ? std::string::npos : line.find(' ', sp1 + 1);
  if (sp1 == std::string::npos)
    return response(400, "Bad Request", "text/plain", "bad request\n", false);
  std::string method = line.substr(0, sp1);
  std::string target =
      line.substr(sp1 + 1, sp2 == std::string::npos ? std::string::npos : sp2 - sp1 - 1);
  bool head = method == "HEAD";
  if (method != "GET" && !head)
    return response(405, "Method Not Allowed", "text/plain", "GET or HEAD\n", false);
  auto q = target.find('?');
  if (q != std::string::npos) target.resize(q);
  if (target == "/" || target == "/index.html" || target == "/opt-out")
    return response(200, "OK", "text/html; charset=utf-8", page, head);
  if (target == "/robots.txt")
    return response(200, "OK", "text/plain", "User-agent: *\nAllow: /\n", head);
  return response(404, "Not Found", "text/html; charset=utf-8",
                  "<!DOCTYPE html><title>Not found</title><p>Nothing here; the measurement "
                  "and opt-out information is at <a href=\"/\">/</a>.</p>\n",
                  head);
}

struct Client {
  Fd fd;
  std::string in, out;
  size_t sent = 0;
  std::chrono::steady_clock::time_point deadline;
};

constexpr size_t kMaxRequest = 8192;
constexpr size_t kMaxClients = 64;
constexpr auto kClientTime = std::chrono::seconds(10);

// The client that has waited longest without sending a whole request, or end() when every
// client is being answered. With every slot taken, it makes room for a new connection: clients
// that connect and send nothing cannot keep the page from everyone else.
std::vector<Client>::iterator slowest_reader(std::vector<Client>& clients) {
  auto slowest = clients.end();
  for (auto it = clients.begin(); it != clients.end(); ++it)
    if (it->out.empty() && (slowest == clients.end() || it->deadline < slowest->deadline))
      slowest = it;
  return slowest;
}

bool room_for_one(std::vector<Client>& clients) {
  return clients.size() < kMaxClients || slowest_reader(clients) != clients.end();
}

// A non-blocking socket listening on `where`, or an empty Fd after saying why.
Fd listen_on(const std::string& where) {
  Listen l = parse_listen(where);
  Fd fd(::socket(l.v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) {
    std::fprintf(stderr, "iotmap info-page: socket: %s\n", std::strerror(errno));
    return fd;
  }
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (l.v6) ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&l.addr), l.len) != 0 ||
      ::listen(fd.get(), 64) != 0) {
    std::fprintf(stderr, "iotmap info-page: cannot listen on %s: %s\n", where.c_str(),
                 std::strerror(errno));
    fd.reset();
  }
  return fd;
}

void stop_on_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_stop;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGINT, &sa, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
}

// One connection at a time per client, one request per connection; the state of every client
// between two polls.
class PageServer {
 public:
  PageServer(Fd listener, const std::string& page) : listener_(std::move(listener)), page_(page) {}

  // Waits up to a second and serves what is ready; false when poll itself failed.
  bool turn() {
    std::vector<pollfd> fds;
    fds.push_back({listener_.get(), static_cast<short>(room_for_one(clients_) ? POLLIN : 0), 0});
    for (const auto& c : clients_)
      fds.push_back({c.fd.get(), static_cast<short>(c.out.empty() ? POLLIN : POLLOUT), 0});
    int n = ::poll(fds.data(), fds.size(), 1000);
    if (n < 0 && errno != EINTR) {
      std::fprintf(stderr, "iotmap info-page: poll: %s\n", std::strerror(errno));
      return false;
    }
    const auto now = std::chrono::steady_clock::now();
    std::vector<bool> done(clients_.size(), false);
    for (size_t i = 0; n > 0 && i < clients_.size(); ++i)
      if (fds[i + 1].revents != 0)
        done[i] = clients_[i].out.empty() ? read_from(clients_[i]) : write_to(clients_[i]);
    for (size_t i = 0; i < clients_.size(); ++i)
      if (now > clients_[i].deadline) done[i] = true;
    drop(done);
    if (n > 0 && (fds[0].revents & POLLIN)) accept_new();
    return true;
  }

  uint64_t served() const { return served_; }

 private:
  // Reads what the client sent and prepares the answer once the request head is whole; true
  // when the connection is over.
  bool read_from(Client& c) {
    char buf[2048];
    ssize_t r = ::recv(c.fd.get(), buf, sizeof buf, 0);
    if (r <= 0) return !(r < 0 && (errno == EAGAIN || errno == EINTR));
    c.in.append(buf, static_cast<size_t>(r));
    if (c.in.find("\r\n\r\n") != std::string::npos || c.in.find("\n\n") != std::string::npos) {
      c.out = answer(c.in, page_);
      ++served_;
    } else if (c.in.size() > kMaxRequest) {
      c.out = response(431, "Request Header Fields Too Large", "text/plain", "too large\n", false);
    }
    return false;
  }

  // Sends more of the answer; true when it is all sent or the client is gone.
  static bool write_to(Client& c) {
    ssize_t w = ::send(c.fd.get(), c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
    if (w < 0 && (errno == EAGAIN || errno == EINTR)) return false;
    if (w <= 0) return true;
    c.sent += static_cast<size_t>(w);
    return c.sent == c.out.size();
  }

  void drop(const std::vector<bool>& done) {
    std::vector<Client> keep;
    for (size_t i = 0; i < clients_.size(); ++i) {
      if (done[i])
        ::shutdown(clients_[i].fd.get(), SHUT_WR);
      else
        keep.push_back(std::move(clients_[i]));
    }
    clients_ = std::move(keep);  // the dropped clients' sockets close here
  }

  void accept_new() {
    while (room_for_one(clients_)) {
      Fd c(::accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
      if (!c) break;
      if (clients_.size() >= kMaxClients) clients_.erase(slowest_reader(clients_));
      clients_.push_back({std::move(c), {}, {}, 0, std::chrono::steady_clock::now() + kClientTime});
    }
  }

  Fd listener_;
  const std::string& page_;
  std::vector<Client> clients_;
  uint64_t served_ = 0;
};

int serve(const std::string& where, const std::string& page) {
  Fd listener = listen_on(where);
  if (!listener) return kFailure;
  sockaddr_storage bound{};
  socklen_t blen = sizeof bound;
  ::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&bound), &blen);
  stop_on_signals();
  std::fprintf(stderr, "iotmap info-page: serving http://%s/ (SIGTERM or Ctrl-C stops)\n",
               describe(bound).c_str());
  std::fflush(stderr);
  PageServer server(std::move(listener), page);
  while (!g_stop && server.turn()) {
  }
  std::fprintf(stderr, "iotmap info-page: stopped after %llu requests\n",
               static_cast<unsigned long long>(server.served()));
  return kOk;
}

}  // namespace

int run_info_page(Context& ctx, Args& args) {
  auto serve_at = args.option("--serve");
  auto write_to = args.option("--write");
  auto who = args.option("--operator");
  auto prober = args.option("--prober");
  auto contact = args.option("--contact");
  args.positionals();
  if (serve_at && write_to) throw UsageError("give --serve or --write, not both");
  // Checked before the contact is: a bad address is a usage error, not a refusal.
  if (serve_at) parse_listen(*serve_at);
  if (contact && !config::contact_problem(*contact).empty())
    throw UsageError("--contact " + config::contact_problem(*contact));

  const auto& cfg = ctx.config();
  ethics::InfoPageInput in;
  in.contact = contact ? *contact : cfg.ethics.contact;
  in.operator_name = who.value_or("");
  in.prober = prober.value_or("");
  in.ports = scanned_ports(cfg);
  in.rate = std::min(cfg.scan.rate, cfg.ethics.max_rate);
  in.without_sni = cfg.scan.probe_without_sni;
  in.max_names = cfg.scan.probe_with_names ? cfg.scan.max_names_per_address : 0;
  if (!cfg.sources.ipv6_hitlists.empty()) in.hitlist_ports = scanner::kHitlistPorts;
  in.generated = backend_map::day_str(backend_map::day_of(clock_now()));
  std::string page;
  try {
    page = ethics::info_page_html(in);
  } catch (const ethics::InfoPageError& e) {
    std::fprintf(stderr, "iotmap info-page: %s\n", e.what());
    return kRefused;
  }

  if (write_to) {
    // Replaced only when complete, so a web server never sees half a page.
    try {
      write_output(write_to, page);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "iotmap info-page: %s\n", e.what());
      return kFailure;
    }
    std::fprintf(stderr, "iotmap info-page: wrote %s (%zu bytes)\n", write_to->c_str(),
                 page.size());
    return kOk;
  }
  if (serve_at) return serve(*serve_at, page);
  std::fwrite(page.data(), 1, page.size(), stdout);
  return kOk;
}

}  // namespace iotmap::cli
