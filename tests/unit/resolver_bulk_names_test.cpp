// Provider names in a forward-DNS data set become candidate names (issue #12, the gap left by
// item 3): as a record's owner or as a CNAME's target, with the last time seen.
#include <catch2/catch.hpp>

#include "resolver/address_evidence.h"

using namespace iotmap::resolver;

TEST_CASE("bulk names: provider names as owners and CNAME targets, the latest time",
          "[resolver][evidence]") {
  ProviderNames found([](const std::string& n) { return n.ends_with(".iot.example.net."); });
  found.see({"a1.iot.example.net", "A", "198.51.100.1", 10, 20});
  found.see({"a1.iot.example.net", "AAAA", "2001:db8::1", 5, 30});
  found.see({"www.customer.example", "CNAME", "b2.iot.example.net.", 1, 15});
  found.see({"b2.iot.example.net", "CNAME", "edge.cdn.example.", 1, 12});
  found.see({"www.shop.example", "A", "198.51.100.1", 1, 40});
  found.see({"c3.iot.example.net.other", "A", "192.0.2.1", 1, 50});
  auto names = found.names();
  REQUIRE(names.size() == 2);
  CHECK(names[0] == std::pair<std::string, int64_t>{"a1.iot.example.net.", 30});
  CHECK(names[1] == std::pair<std::string, int64_t>{"b2.iot.example.net.", 15});
}
