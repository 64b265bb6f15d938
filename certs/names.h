// The names a certificate carries, as candidate names for the resolver (docs/method.md section 2),
// and the domain-name tests the manufacturer rule needs (libpsl for public suffixes).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "certs/certificate.h"

namespace iotmap::certs {

// CNs then DNS SANs: ASCII-lowercased, surrounding blanks and one trailing dot removed, empty
// values dropped, de-duplicated (first occurrence kept). Wildcards stay ("*.example.com").
std::vector<std::string> names(const Certificate& c);

// names() as the resolver wants them: FQDN form with a trailing dot ("example.com."), a wildcard
// "*.x" contributing x, de-duplicated, and only names that pass is_domain_name (so no IP
// literals, single labels, spaces or other wildcards).
std::vector<std::string> candidate_names(const Certificate& c);

// True when the certificate is valid at some moment of [from, to] (unix seconds, inclusive).
bool valid_in_window(const Certificate& c, int64_t from, int64_t to);

// True when a certificate with these dates (nullopt: not known, no bound) was valid at some
// moment of the UTC day that holds `t` (unix seconds). A sighting counts by its day because the
// method counts certificates valid on the days it looks at, and some data sets (Rapid7 Sonar)
// give a record's day only: a certificate issued at noon was served on that day's scan.
// db/store_tls.cpp's query of imported provider addresses says the same in SQL.
bool valid_on_day(std::optional<int64_t> not_before, std::optional<int64_t> not_after, int64_t t);

std::string ascii_lower(std::string_view s);

// Syntax only: 2 or more labels of 1-63 characters from [A-Za-z0-9_-], no label starting or
// ending with '-', at most 253 characters, a last label that is not all digits. One trailing dot
// is allowed. No wildcard.
bool is_domain_name(std::string_view name);

// The registrable domain ("example.co.uk" for "www.example.co.uk") when `name` is a domain name
// under a suffix the public suffix list names (libpsl; the implicit "*" rule does not count, so
// "foo.local" has none). Lowercase, no trailing dot.
std::optional<std::string> registrable_domain(std::string_view name);

// "A valid public domain name": has a registrable domain as above.
inline bool is_public_domain(std::string_view name) { return registrable_domain(name).has_value(); }

}  // namespace iotmap::certs
