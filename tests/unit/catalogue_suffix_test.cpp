// config/name_suffixes.h: the literal ends read from RE2 patterns, and the filter
// Catalogue::match asks before its RE2 set. The filter may only ever spare the set names the
// set would not match: the differential case below holds it against the patterns themselves.
#include <re2/re2.h>

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "config/catalogue.h"
#include "config/name_suffixes.h"
#include "lib/dns_name.h"

using iotmap::config::literal_suffixes;
using iotmap::config::SuffixFilter;
using Texts = std::vector<std::string>;

TEST_CASE("name suffixes: the literal end of a pattern", "[catalogue][suffix]") {
  CHECK(literal_suffixes(R"((?:[a-z0-9_-]+\.)*mqtt\.googleapis\.com\.)") ==
        Texts{"mqtt.googleapis.com."});
  CHECK(literal_suffixes(R"(x\.Example\.COM\.)") == Texts{"x.example.com."});  // case-insensitive
  CHECK(literal_suffixes(R"((?:[a-z0-9_-]+\.)+azure-devices\.(?:net|cn|us)\.)") ==
        Texts{"azure-devices.net.", "azure-devices.cn.", "azure-devices.us."});
  CHECK(literal_suffixes(R"([a-z]+\.(?P<region>eu|us)\.x\.)") == Texts{".eu.x.", ".us.x."});
  CHECK(literal_suffixes(R"(command\-[0-9]+\.amcrestcloud\.com\.)") == Texts{".amcrestcloud.com."});
  // Each alternative of the whole pattern has its own end.
  CHECK(literal_suffixes(R"(a\.example\.|b\.other\.)") == Texts{"a.example.", "b.other."});
  CHECK(literal_suffixes(R"(a\\)") == Texts{"a\\"});  // an escaped backslash is a character
  // A group other than literal alternatives ends the literal text.
  CHECK(literal_suffixes(R"(example\.(?:com|[a-z]+)\.)") == Texts{"."});
  CHECK(literal_suffixes(R"(example\.(?i:com)\.)") == Texts{"."});
}

TEST_CASE("name suffixes: ends that cannot be told turn the filter off", "[catalogue][suffix]") {
  for (const char* re :
       {R"(example\.com\.?)", R"(example\.com[.])", R"(example\.com\x2e)", R"(a\pL)",
        R"(a\Q.com.\E)", R"(example\.com\.$)", R"(a\.b\.|)", R"(example\.com.)", R"(a{2})",
        R"(ab(c)", R"(ab)c)", R"(example\.(?:com|net)*)", R"(\d)"}) {
    INFO(re);
    CHECK_FALSE(literal_suffixes(re));
    SuffixFilter f;
    f.add(R"(a\.example\.)");
    f.add(re);
    f.finish();
    CHECK(f.may_match("anything.else"));
  }
}

TEST_CASE("name suffixes: the filter answers as the normaliser spells names",
          "[catalogue][suffix]") {
  SuffixFilter f;
  f.add(R"((?:[a-z0-9_-]+\.)*iot\.sap\.)");
  f.add(R"([a-z0-9_-]+\.iot\.sap\.)");  // a longer duplicate end changes nothing
  f.add(R"((?:[a-z0-9_-]+\.)+azure-devices\.(?:net|cn|us)\.)");
  f.finish();
  CHECK(f.may_match("hub1.azure-devices.net"));
  CHECK(f.may_match("HUB1.Azure-Devices.NET."));
  CHECK(f.may_match("iot.sap"));
  CHECK(f.may_match("*.azure-devices.zz"));  // a wildcard is left to the set
  CHECK_FALSE(f.may_match("hub1.azure-devices.org"));
  CHECK(f.may_match("xiot.sap"));  // a suffix need not start a label: the set says no
  CHECK_FALSE(f.may_match("iot.sap.example"));
  CHECK_FALSE(f.may_match("www.example.com"));
  SuffixFilter none;
  none.finish();
  CHECK_FALSE(none.may_match("a.example"));  // no pattern: nothing matches
}

TEST_CASE("name suffixes: the filter never drops a name a catalogue pattern matches",
          "[catalogue][suffix]") {
  // Differential: every name below is matched against each pattern of the embedded catalogue
  // with RE2 itself (as the set does: whole name, case-insensitive); where one matches, the
  // filter must let the name through. Names: the catalogue's candidate names, each below a
  // new label, in upper case, with its first label changed, with its last label changed.
  auto cat = iotmap::config::Catalogue::embedded();
  RE2::Options o;
  o.set_case_sensitive(false);
  o.set_encoding(RE2::Options::EncodingLatin1);
  std::vector<std::unique_ptr<RE2>> patterns;
  SuffixFilter f;
  auto add = [&](const std::string& re) {
    patterns.push_back(std::make_unique<RE2>(re, o));
    f.add(re);
  };
  for (const auto& p : cat.providers())
    for (const auto& re : p.patterns) add(re);
  for (const auto& s : cat.services())
    for (const auto& d : s.domains) add(d.pattern);
  f.finish();
  std::vector<std::string> names;
  for (const auto& n : cat.candidate_names()) {
    const std::string bare = n.substr(0, n.size() - 1);
    const auto first_dot = bare.find('.'), last_dot = bare.rfind('.');
    names.insert(names.end(), {bare, "a1-b." + bare, "x.y." + n, "*." + bare});
    std::string upper = bare;
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    names.push_back(upper);
    if (first_dot != std::string::npos) names.push_back("q9" + bare.substr(first_dot));
    if (last_dot != std::string::npos) names.push_back(bare.substr(0, last_dot) + ".org");
  }
  size_t matched = 0, dropped = 0;
  for (const auto& name : names) {
    auto norm = iotmap::normalise_dns_name(name);
    if (!norm) continue;
    if ((*norm)[0] == '*') (*norm)[0] = 'x';
    bool any = false;
    for (const auto& re : patterns) any = any || RE2::FullMatch(*norm, *re);
    INFO(name);
    if (any) CHECK(f.may_match(name));
    matched += any ? 1 : 0;
    dropped += f.may_match(name) ? 0 : 1;
  }
  // The case means something: many names match, and the filter is on and drops many others.
  CHECK(matched > 500);
  CHECK(dropped > 300);
}
