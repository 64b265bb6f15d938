#include "ethics/info_page.h"

#include <algorithm>
#include <cstdio>

#include "lib/text.h"

namespace iotmap::ethics {
namespace {

std::string port_list(std::vector<uint16_t> ports) {
  std::sort(ports.begin(), ports.end());
  ports.erase(std::unique(ports.begin(), ports.end()), ports.end());
  std::string out;
  for (size_t i = 0; i < ports.size(); ++i) {
    if (i > 0) out += i + 1 == ports.size() ? " and " : ", ";
    out += std::to_string(ports[i]);
  }
  return out;
}

std::string contact_html(const std::string& contact) {
  std::string href = contact_href(contact);
  if (href.empty()) return "<strong>" + html_escape(contact) + "</strong>";
  return "<a href=\"" + html_escape(href) + "\"><strong>" + html_escape(contact) + "</strong></a>";
}

// "one TCP connection without a server name and one with each name ... (at most N)".
std::string per_port_text(const InfoPageInput& in) {
  const int names = std::max(in.max_names, 0);
  const int most = std::max((in.without_sni ? 1 : 0) + names, 1);
  std::string t = "per TLS port ";
  if (names == 0) {
    t += "one TCP connection without a server name";
  } else {
    if (in.without_sni) t += "one TCP connection without a server name and ";
    t += "one with each name that resolved to the address, up to " + std::to_string(names) +
         (names == 1 ? " name" : " names");
  }
  t += " (at most " + std::to_string(most) + (most == 1 ? " connection" : " connections") +
       " per address and port in one scan; a server that refuses the application protocol we "
       "offer in the handshake sees that connection once more without it), and one connection "
       "per other port";
  return t;
}

constexpr const char* kStyle =
    "body{font-family:system-ui,sans-serif;max-width:46em;margin:2em auto;padding:0 1em;"
    "line-height:1.5;color:#222}h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em}"
    "code{background:#f3f3f3;padding:0 .2em}.box{border:1px solid #ccc;padding:.6em 1em;"
    "background:#fafafa}footer{margin-top:2em;font-size:.9em;color:#555}";

}  // namespace

std::string contact_href(std::string_view raw) {
  std::string c(trim(raw));
  if (c.rfind("https://", 0) == 0 || c.rfind("http://", 0) == 0) return c;
  if (c.rfind("mailto:", 0) == 0) return c;
  auto at = c.find('@');
  if (at != std::string::npos && at > 0 && at + 1 < c.size() &&
      c.find_first_of(" \t<>\"") == std::string::npos)
    return "mailto:" + c;
  return "";
}

std::string info_page_html(const InfoPageInput& in) {
  const std::string contact(trim(in.contact));
  if (contact.empty())
    throw InfoPageError(
        "no contact: set ethics.contact in the configuration (an e-mail address or URL); the "
        "page must say whom to ask for an opt-out");
  const std::string who(trim(in.operator_name));
  const std::string ports = port_list(in.ports);
  const std::string c = contact_html(contact);

  std::string h;
  h += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  h += "<title>IoT backend measurement: what this host does and how to opt out</title>\n";
  h += std::string("<style>") + kStyle + "</style>\n</head>\n<body>\n";

  h += "<h1>Research measurement of IoT backend servers</h1>\n";
  h += "<p>You probably reached this page because this host";
  if (!trim(in.prober).empty()) h += " (<code>" + html_escape(trim(in.prober)) + "</code>)";
  h += " connected to one of your servers. It belongs to a research measurement that maps the "
       "servers of IoT backend providers (such as AWS IoT Core, Azure IoT Hub, Alibaba Cloud "
       "IoT) and of IoT device services: which addresses, networks and locations serve them, "
       "and which of them are dedicated to IoT. It is run ";
  h += who.empty() ? std::string("by the people you can reach at ") + c
                   : "by " + html_escape(who) + ", contact " + c;
  h += ".</p>\n";

  h += "<div class=\"box\" id=\"opt-out\">\n<h2>How to opt out</h2>\n";
  h += "<p>Send the addresses or prefixes you want left out (for example "
       "<code>198.51.100.0/24</code> or <code>2001:db8::/32</code>) to " +
       c + ". ";
  h += "We add them to our opt-out list, and <strong>the next scan does not connect to them"
       "</strong>, nor does any later one. Scans run at most once a day, so this takes effect "
       "within a day. You do not need to give a reason, and we do not ask you to prove "
       "anything beyond the request coming from someone responsible for the addresses.</p>\n";
  h += "<p>If you think this traffic causes a problem, write to the same address: we will "
       "stop and answer.</p>\n</div>\n";

  h += "<h2>What is measured</h2>\n<ul>\n";
  h += "<li><strong>DNS.</strong> We resolve the public server names of IoT backend services "
       "(the name patterns their providers document publicly, and names seen in passive DNS "
       "and in TLS certificates) through a few recursive resolvers, at a low rate.</li>\n";
  h += "<li><strong>TLS.</strong> For each server address found this way we connect to its "
       "ports";
  if (!ports.empty()) h += " (TCP " + html_escape(ports) + ")";
  h += ": " + per_port_text(in) +
       ". On TLS ports we complete the handshake and record the server's certificate and TLS "
       "parameters. On MQTT ports we send one MQTT CONNECT without any credentials and read "
       "the answer; on AMQP ports the protocol header; on HTTPS ports one <code>GET /</code>. "
       "We read at most a few hundred kilobytes and close the connection.</li>\n";
  if (!in.hitlist_ports.empty())
    h += "<li><strong>IPv6 hitlists.</strong> We also connect to the addresses of public IPv6 "
         "hitlists (lists of IPv6 addresses that answered earlier measurements) on TCP " +
         html_escape(port_list(in.hitlist_ports)) +
         ", to find IoT servers that DNS does not reveal: one connection per address and port, "
         "without a server name. These lists also hold routers and other equipment in homes "
         "and offices; if yours is one of them, the opt-out above applies to it.</li>\n";
  h += "<li><strong>Load.</strong> At most that many connections per address and port per "
       "scan, in a random order spread over the whole target list, so that no network sees a "
       "burst";
  if (in.rate > 0) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%g", in.rate);
    h += std::string("; at most ") + buf + " new connections per second in total";
  }
  h += ". Addresses on our blocklist (including the IANA special-purpose IPv4 ranges and all "
       "IPv6 space outside 2000::/3, unless this measurement runs in a private test network) "
       "and on the opt-out list are never contacted, in IPv4 or IPv4-mapped IPv6 form.</li>\n"
       "</ul>\n";

  h += "<h2>What is not done</h2>\n<ul>\n";
  h += "<li>No login attempts, no passwords or keys, no exploits, no vulnerability tests.</li>\n";
  if (in.hitlist_ports.empty())
    h += "<li>No connections to devices in homes or offices: only to servers whose names the "
         "providers publish.</li>\n";
  else
    h += "<li>No connections to devices in homes or offices other than the IPv6 hitlist "
         "connections described above.</li>\n";
  h += "<li>No personal data is collected; results are aggregated per provider.</li>\n</ul>\n";

  h += "<h2>The research it follows</h2>\n<ul>\n";
  h += "<li>S. J. Saidi, S. Matic, O. Gasser, G. Smaragdakis, A. Feldmann. <em>Deep Dive into "
       "the IoT Backend Ecosystem</em>. ACM Internet Measurement Conference (IMC) 2022. "
       "<a href=\"https://doi.org/10.1145/3517745.3561431\">doi:10.1145/3517745.3561431</a></li>\n";
  h += "<li>S. J. Saidi, A. M. Mandalari, R. Kolcun, H. Haddadi, D. J. Dubois, D. Choffnes, "
       "G. Smaragdakis, A. Feldmann. <em>A Haystack Full of Needles: Scalable Detection of IoT "
       "Devices in the Wild</em>. ACM IMC 2020. "
       "<a href=\"https://doi.org/10.1145/3419394.3423650\">doi:10.1145/3419394.3423650</a></li>\n";
  h += "<li>The scanning follows the published good practices of Internet-wide scanning "
       "(Durumeric, Wustrow, Halderman: <em>ZMap: Fast Internet-wide Scanning and Its Security "
       "Applications</em>, USENIX Security 2013): low rate, random order, a blocklist, an "
       "opt-out list, this page, and coordination with our network operator.</li>\n</ul>\n";

  h += "<footer>Measurement software: iotmap";
  if (!trim(in.generated).empty())
    h += " &middot; page generated " + html_escape(trim(in.generated));
  h += " &middot; contact " + c + "</footer>\n</body>\n</html>\n";
  return h;
}

}  // namespace iotmap::ethics
