// The info page (ethics/info_page.h): contact, opt-out instructions, escaping, refusal.
#include <catch2/catch.hpp>

#include "ethics/info_page.h"

using namespace iotmap::ethics;

TEST_CASE("the info page names the contact and says how to opt out", "[ops][info_page]") {
  InfoPageInput in;
  in.contact = "scan-research@example.org";
  in.operator_name = "Example University, Network Measurement Group";
  in.prober = "prober1.example.org";
  in.ports = {8883, 443, 8883, 5671, 1883};
  in.rate = 100;
  in.generated = "2024-05-01";
  std::string page = info_page_html(in);
  CHECK(page.find("<!DOCTYPE html>") == 0);
  CHECK(page.find("mailto:scan-research@example.org") != std::string::npos);
  CHECK(page.find("scan-research@example.org</strong>") != std::string::npos);
  CHECK(page.find("Example University, Network Measurement Group") != std::string::npos);
  CHECK(page.find("How to opt out") != std::string::npos);
  CHECK(page.find("the next scan does not connect to them") != std::string::npos);
  CHECK(page.find("TCP 443, 1883, 5671 and 8883") != std::string::npos);
  CHECK(page.find("at most 100 new connections per second") != std::string::npos);
  CHECK(page.find("prober1.example.org") != std::string::npos);
  CHECK(page.find("10.1145/3517745.3561431") != std::string::npos);  // IMC'22
  CHECK(page.find("No login attempts") != std::string::npos);
  CHECK(page.find("<script") == std::string::npos);
  CHECK(page.find("2024-05-01") != std::string::npos);
}

TEST_CASE("the info page escapes what it is given", "[ops][info_page]") {
  InfoPageInput in;
  in.contact = "https://example.org/optout?a=1&b=<2>";
  in.operator_name = "<script>alert(1)</script> & Co";
  std::string page = info_page_html(in);
  CHECK(page.find("<script>") == std::string::npos);
  CHECK(page.find("&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co") != std::string::npos);
  CHECK(page.find("href=\"https://example.org/optout?a=1&amp;b=&lt;2&gt;\"") != std::string::npos);
}

TEST_CASE("no contact, no page", "[ops][info_page]") {
  InfoPageInput in;
  in.contact = "   ";
  CHECK_THROWS_AS(info_page_html(in), InfoPageError);
}

TEST_CASE("contact_href", "[ops][info_page]") {
  CHECK(contact_href("a@b.org") == "mailto:a@b.org");
  CHECK(contact_href(" mailto:a@b.org ") == "mailto:a@b.org");
  CHECK(contact_href("https://x.org/opt-out") == "https://x.org/opt-out");
  CHECK(contact_href("Jane Doe, room 12") == "");
  CHECK(contact_href("@nobody") == "");
}

TEST_CASE("the info page says what the scan does per address and port, and about homes",
          "[ops][info_page]") {
  // It promised one connection per address and port while a TLS port of an address with k
  // names got k + 1, and "no connections to homes" while IPv6 hitlists hold home equipment.
  InfoPageInput in;
  in.contact = "scan@example.org";
  in.max_names = 4;
  std::string page = info_page_html(in);
  CHECK(page.find("one TCP connection without a server name and one with each name that "
                  "resolved to the address, up to 4 names (at most 5 connections per address "
                  "and port in one scan;") != std::string::npos);
  CHECK(page.find("one TCP connection per port") == std::string::npos);
  CHECK(page.find("No connections to devices in homes or offices: only to servers") !=
        std::string::npos);
  CHECK(page.find("IPv6 hitlists") == std::string::npos);
  in.max_names = 0;
  CHECK(info_page_html(in).find("per TLS port one TCP connection without a server name (at "
                                "most 1 connection per address") != std::string::npos);
  in.hitlist_ports = {8883, 443, 1883, 5671};
  page = info_page_html(in);
  CHECK(page.find("hitlists (lists of IPv6 addresses that answered earlier measurements) on "
                  "TCP 443, 1883, 5671 and 8883") != std::string::npos);
  CHECK(page.find("routers and other equipment in homes") != std::string::npos);
  CHECK(page.find("No connections to devices in homes or offices: only") == std::string::npos);
}
