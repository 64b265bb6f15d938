// The manufacturer rule of docs/method.md section 6 (paper 000 section II-B).
#include <catch2/catch.hpp>

#include "certs/manufacturer.h"
#include "certs_fixtures.h"

using namespace iotmap::certs;
using namespace certs_test;

namespace {

// A device-like certificate: issued by a "device CA" key other than its own, so that only the
// rule's own self-signed test (issuer O) can make it self-signed.
Certificate issued(const Fields& subject, const Fields& issuer_subject,
                   const std::string& sans = "") {
  Spec ca;
  ca.subject = issuer_subject;
  ca.key = ec_key();
  X509Ptr issuer = make_x509(ca);
  Spec leaf;
  leaf.subject = subject;
  leaf.sans = sans;
  return parsed(make_der(leaf, issuer.get(), ec_key()));
}

Certificate self_signed(const Fields& subject, const std::string& sans = "") {
  Spec s;
  s.subject = subject;
  s.sans = sans;
  return make_cert(s);
}

KeywordList keywords(const std::string& toml) { return parse_keywords(toml, "test.toml"); }

const KeywordList& defaults() { return default_keywords(); }

}  // namespace

TEST_CASE("Match and Good-Match", "[certs]") {
  struct Case {
    const char* key;
    const char* field;
    bool match, good;
  };
  const Case cases[] = {
      {"GE", "Privilege", true, false},  // the seed's own example
      {"GE", "GE Healthcare", true, true},
      {"Axis", "Axis Communications AB", true, true},
      {"axis", "AXIS_Communications", true, true},
      {"Axis", "Praxis GmbH", true, false},
      {"Axis", "Maxis Communications Berhad", true, false},
      {"Axis", "Axis2 Systems", true, false},
      {"Axis", "(Axis)", true, true},
      {"Axis", "Praxis, Axis", true, true},  // the second occurrence is a Good-Match
      {"Axis", "Axisé", true, false},        // a non-ASCII letter next to it
      {"D-Link", "D-Link Corporation", true, true},
      {"D-Link", "D_LINK", true, true},
      {"D-Link", "D Link", true, true},
      {"D-Link", "DLink", false, false},
      {"NVR", "myNVR", true, false},
      {"", "x", false, false},
      {"longer", "long", false, false},
  };
  for (const auto& c : cases) {
    INFO(c.key << " in " << c.field);
    CHECK(key_match(c.key, c.field) == c.match);
    CHECK(key_good_match(c.key, c.field) == c.good);
  }
}

TEST_CASE("a Dahua device certificate issued by the maker's CA is an IoT device certificate",
          "[certs]") {
  Certificate c = issued(
      {{"C", "CN"}, {"O", "Dahua"}, {"CN", "192.168.1.108"}},
      {{"C", "CN"}, {"O", "ZheJiang Dahua Technology Co., Ltd."}, {"CN", "Product Root CA"}});
  REQUIRE_FALSE(c.self_signed);
  ManufacturerMatch m = match_manufacturer(c, defaults());
  CHECK(m.candidate);
  CHECK(m.device);
  CHECK(m.manufacturer == "Dahua");
  CHECK(m.field == "O");
  CHECK(m.product.empty());
  CHECK(m.self_signed);
  CHECK(m.public_domain_cn.empty());
}

TEST_CASE("Good-Match on the subject O: Praxis is not Axis", "[certs]") {
  CHECK_FALSE(match_manufacturer(self_signed({{"O", "Praxis GmbH"}, {"CN", "praxis"}}), defaults())
                  .candidate);
  CHECK_FALSE(match_manufacturer(self_signed({{"O", "Maxis Communications Berhad"}}), defaults())
                  .candidate);
  auto m = match_manufacturer(self_signed({{"O", "Axis Communications AB"}, {"CN", "axis-accc8e"}}),
                              defaults());
  CHECK(m.device);
  CHECK(m.manufacturer == "Axis");
}

TEST_CASE("a named O that is not the maker's: the key elsewhere does not count", "[certs]") {
  auto m = match_manufacturer(self_signed({{"O", "Some Integrator Ltd"}, {"CN", "Dahua NVR"}}),
                              defaults());
  CHECK_FALSE(m.candidate);
}

TEST_CASE("an empty or placeholder O: the key is Good-Matched in OU, CN and SANs", "[certs]") {
  auto ou =
      match_manufacturer(self_signed({{"O", "SomeOrganization"}, {"OU", "Hikvision"}}), defaults());
  CHECK(ou.device);
  CHECK(ou.field == "OU");
  auto cn = match_manufacturer(self_signed({{"CN", "Synology NAS"}}), defaults());
  CHECK(cn.device);
  CHECK(cn.field == "CN");
  auto san = match_manufacturer(self_signed({{"O", "company"}, {"CN", "IPC"}}, "DNS:qnap-ts453"),
                                defaults());
  CHECK(san.device);
  CHECK(san.manufacturer == "QNAP");
  CHECK(san.field == "SAN");
}

TEST_CASE("product keys: Match in O, OU, CN or SANs", "[certs]") {
  Fields tplink_ca{{"O", "TP-Link"}, {"CN", "TP-Link CA"}};
  auto router = match_manufacturer(
      issued({{"O", "TP-Link Technologies"}, {"CN", "Archer C7"}}, tplink_ca), defaults());
  CHECK_FALSE(router.candidate);  // TP-Link makes routers too: a product key must show
  auto cam = match_manufacturer(
      issued({{"O", "TP-Link Technologies"}, {"CN", "Tapo C200"}}, tplink_ca), defaults());
  CHECK(cam.device);
  CHECK(cam.product == "Tapo");
  auto nvr = match_manufacturer(issued({{"O", "TP-LINK"}, {"OU", "myNVR"}}, tplink_ca), defaults());
  CHECK(nvr.product == "NVR");
  auto san = match_manufacturer(issued({{"O", "TP-Link"}}, tplink_ca, "DNS:ipc-1234"), defaults());
  CHECK(san.product == "IPC");
  // A sub-brand is a product key: Tyco's American Dynamics.
  auto tyco = match_manufacturer(
      self_signed({{"O", "Tyco International"}, {"OU", "American Dynamics"}}), defaults());
  CHECK(tyco.device);
  CHECK(tyco.product == "American Dynamics");
}

TEST_CASE("the rule's self-signed condition", "[certs]") {
  Fields subject{{"O", "Hikvision"}, {"OU", "Cameras"}, {"CN", "DS-2CD2142"}};
  SECTION("a public CA's issuer O: a candidate, not a device") {
    auto m = match_manufacturer(issued(subject, {{"O", "DigiCert Inc"}, {"CN", "DigiCert CA"}}),
                                defaults());
    CHECK(m.candidate);
    CHECK_FALSE(m.self_signed);
    CHECK_FALSE(m.device);
  }
  SECTION("issuer O equal to the subject OU") {
    CHECK(match_manufacturer(issued(subject, {{"O", "cameras"}}), defaults()).device);
  }
  SECTION("issuer O equal to the subject CN") {
    CHECK(match_manufacturer(issued(subject, {{"O", "DS-2CD2142"}}), defaults()).device);
  }
  SECTION("issuer O containing the key") {
    CHECK(match_manufacturer(issued(subject, {{"O", "HIKVISION Digital"}}), defaults()).device);
  }
  SECTION("no issuer O, signed by another key") {
    CHECK_FALSE(match_manufacturer(issued(subject, {{"CN", "Some CA"}}), defaults()).self_signed);
  }
  SECTION("signed by its own key") {
    auto m = match_manufacturer(self_signed(subject), defaults());
    CHECK(m.self_signed);
    CHECK(m.device);
  }
}

TEST_CASE("a CN that is a valid public domain name disqualifies", "[certs]") {
  SECTION("a real domain") {
    auto m = match_manufacturer(self_signed({{"O", "Synology Inc."}, {"CN", "nas.example.com"}}),
                                defaults());
    CHECK(m.candidate);
    CHECK_FALSE(m.device);
    CHECK(m.public_domain_cn == "nas.example.com");
  }
  SECTION("a wildcard CN under a real domain") {
    auto m = match_manufacturer(self_signed({{"O", "Synology Inc."}, {"CN", "*.example.com"}}),
                                defaults());
    CHECK(m.public_domain_cn == "*.example.com");
  }
  SECTION("a domain in a SAN only does not") {
    CHECK(match_manufacturer(
              self_signed({{"O", "Synology Inc."}, {"CN", "DS918"}}, "DNS:nas.example.com"),
              defaults())
              .device);
  }
  SECTION("not domains: an IP, a single label, a private suffix") {
    for (const char* cn : {"192.168.1.20", "synology", "diskstation.local", "nas.lan"})
      CHECK(
          match_manufacturer(self_signed({{"O", "Synology Inc."}, {"CN", cn}}), defaults()).device);
  }
  SECTION("dynamic DNS names do not count") {
    CHECK(match_manufacturer(self_signed({{"O", "Synology Inc."}, {"CN", "home.synology.me"}}),
                             defaults())
              .device);
    CHECK(match_manufacturer(self_signed({{"O", "Synology Inc."}, {"CN", "cam.ddns.net"}}),
                             defaults())
              .device);
  }
  SECTION("www.<maker>.com is a placeholder") {
    auto m =
        match_manufacturer(self_signed({{"O", "Amcrest"}, {"CN", "www.amcrest.com"}}), defaults());
    CHECK(m.device);
    CHECK(match_manufacturer(self_signed({{"O", "Amcrest"}, {"CN", "www.amcrest.net"}}), defaults())
              .public_domain_cn == "www.amcrest.net");
  }
}

TEST_CASE("the Foscam rule: WoSign-issued *.myfoscam.org certificates are devices", "[certs]") {
  Certificate c = issued({{"O", "Foscam"}, {"CN", "*.myfoscam.org"}}, {{"O", "WoSign CA Limited"}});
  auto m = match_manufacturer(c, defaults());
  CHECK(m.device);
  CHECK(m.self_signed);
  KeywordList plain = keywords("[[manufacturer]]\nkey = \"Foscam\"\n");
  auto p = match_manufacturer(c, plain);
  CHECK(p.candidate);
  CHECK_FALSE(p.device);
  CHECK_FALSE(p.self_signed);
  CHECK(p.public_domain_cn == "*.myfoscam.org");
}

TEST_CASE("a field that is a URL or domain is matched by its domain label only", "[certs]") {
  KeywordList kw =
      keywords("[[manufacturer]]\nkey = \"Sharp\"\n[[manufacturer]]\nkey = \"Accedo\"\n");
  auto m = match_manufacturer(self_signed({{"CN", "*.sharp.accedo.tv"}}), kw);
  CHECK(m.manufacturer == "Accedo");
  CHECK(m.field == "CN");
  CHECK_FALSE(match_manufacturer(self_signed({{"CN", "*.sharp.accedo.tv"}}),
                                 keywords("[[manufacturer]]\nkey = \"Sharp\"\n"))
                  .candidate);
  CHECK(match_manufacturer(self_signed({{"O", "https://www.Sharp.co.jp:8443/x"}}),
                           keywords("[[manufacturer]]\nkey = \"Sharp\"\n"))
            .field == "O");
}

TEST_CASE("the first device match wins over an earlier candidate", "[certs]") {
  KeywordList kw = keywords(R"(
[[manufacturer]]
key = "Acme"
[[manufacturer]]
key = "Cam"
device_issuers = ["Acme Root"]
)");
  Certificate c = issued({{"O", "Acme Cam"}}, {{"O", "Acme Root"}});
  // Acme: issuer O contains "Acme", so both are devices; the first in list order is reported.
  CHECK(match_manufacturer(c, kw).manufacturer == "Acme");
  Certificate d = issued({{"O", "Beta Cam"}}, {{"O", "Public CA"}});
  CHECK_FALSE(match_manufacturer(d, kw).device);
  CHECK(match_manufacturer(d, kw).manufacturer == "Cam");
}

TEST_CASE("keyword lists: the default and errors in a file", "[certs]") {
  const KeywordList& kw = default_keywords();
  CHECK(kw.manufacturers.size() >= 10);
  auto has = [&](const std::string& key) {
    for (const auto& m : kw.manufacturers)
      if (m.key == key) return true;
    return false;
  };
  for (const char* k : {"Hikvision", "Dahua", "Axis", "Synology", "QNAP", "Ubiquiti", "TP-Link",
                        "D-Link", "Amcrest", "Foscam"})
    CHECK(has(k));
  CHECK_FALSE(kw.placeholder_organizations.empty());
  CHECK_FALSE(kw.ddns_suffixes.empty());

  auto error = [](const std::string& text) {
    try {
      parse_keywords(text, "kw.toml");
    } catch (const KeywordError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK(error("[[manufacturer]]\nkey = \"A\"\nproduct = [\"x\"]\n") ==
        "kw.toml:3: manufacturer[0].product: unknown key");
  CHECK(error("\n[[manufacturer]]\nproducts = [\"x\"]\n") ==
        "kw.toml:2: manufacturer[0]: missing key");
  CHECK(error("ddns_suffixes = \"x\"\n") ==
        "kw.toml:1: ddns_suffixes: expected an array of strings");
  CHECK(error("ddns_suffixes = [1]\n") == "kw.toml:1: ddns_suffixes: expected a string");
  CHECK(error("key = \n").starts_with("kw.toml:1: "));
  CHECK(error("colour = 1\n") == "kw.toml:1: colour: unknown key");
  CHECK_THROWS_AS(load_keywords("/nonexistent/kw.toml"), KeywordError);
}
