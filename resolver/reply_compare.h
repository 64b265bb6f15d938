// Whether two parses of the same reply say the same (resolver/reply.cpp against ldns): used by
// the differential unit test and the fuzz target, so both hold the parser to one definition.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "resolver/wire.h"

namespace iotmap::resolver {

// "" when `a` and `b` agree: both errors, or both replies with every field equal. Otherwise
// the first difference, in words.
std::string reply_difference(const ParseOutcome& a, const ParseOutcome& b);

// The rule parse_reply is held to against parse_reply_ldns, "" when it holds for `wire`: a reply
// ldns reads is read the same, field for field, unless ldns read on past a record whose length
// does not match its data (the parser goes by the length, ldns by the data); then the reply as
// ldns rewrites it, every length what ldns read, is read the same. A reply ldns refuses may be
// read (the data of record types the resolver ignores is not checked).
std::string parsers_disagree(std::span<const uint8_t> wire);

}  // namespace iotmap::resolver
