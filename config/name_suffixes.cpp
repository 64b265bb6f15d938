#include "config/name_suffixes.h"

#include <algorithm>

namespace iotmap::config {
namespace {

// One element of a pattern at the level being read: a literal character, a group (its body
// without the parentheses) or anything else (a class, '.', an anchor, a quantified element).
struct Item {
  enum class Kind { literal, group, other } kind;
  char c = 0;
  std::string_view body;
};
using Alternatives = std::vector<std::vector<Item>>;

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Index just past the element that starts at re[i] when it is an escape, a class or a group;
// npos when it cannot be read (an escape of more than one letter, an unclosed class or group).
size_t skip(std::string_view re, size_t i);

size_t skip_escape(std::string_view re, size_t i) {
  if (i + 1 >= re.size()) return std::string_view::npos;
  const char n = re[i + 1];
  // \x2e, \pL, \Q...\E and octal escapes run on past the next character.
  if (std::string_view("xpPQ0123456789").find(n) != std::string_view::npos)
    return std::string_view::npos;
  return i + 2;
}

size_t skip_class(std::string_view re, size_t i) {
  size_t j = i + 1;
  if (j < re.size() && re[j] == '^') ++j;
  if (j < re.size() && re[j] == ']') ++j;  // a leading ']' is a member
  while (j < re.size() && re[j] != ']') {
    if (re[j] == '\\') {
      j += 2;
    } else if (re.substr(j, 2) == "[:") {
      const size_t end = re.find(":]", j + 2);
      if (end == std::string_view::npos) return end;
      j = end + 2;
    } else {
      ++j;
    }
  }
  return j < re.size() ? j + 1 : std::string_view::npos;
}

size_t skip_group(std::string_view re, size_t i) {
  for (size_t j = i + 1; j < re.size();) {
    if (re[j] == ')') return j + 1;
    j = re[j] == '(' || re[j] == '[' || re[j] == '\\' ? skip(re, j) : j + 1;
    if (j == std::string_view::npos) return j;
  }
  return std::string_view::npos;
}

size_t skip(std::string_view re, size_t i) {
  if (re[i] == '\\') return skip_escape(re, i);
  if (re[i] == '[') return skip_class(re, i);
  return skip_group(re, i);
}

// A quantifier makes the element before it other than literal; `{` is taken as one whatever
// follows (RE2 reads "{x}" as text, but taking it for a quantifier only loses a suffix).
bool quantify(std::string_view re, size_t& i, std::vector<Item>& seq) {
  if (seq.empty()) return false;
  seq.back().kind = Item::Kind::other;
  if (re[i] != '{') return ++i, true;
  i = re.find('}', i);
  if (i == std::string_view::npos) return false;
  return ++i, true;
}

// The top-level alternatives of `re`, each a sequence of items; nullopt when unreadable.
std::optional<Alternatives> parse(std::string_view re) {
  Alternatives alts(1);
  for (size_t i = 0; i < re.size();) {
    const char c = re[i];
    auto& seq = alts.back();
    if (c == '|') {
      alts.emplace_back();
      ++i;
    } else if (c == '*' || c == '+' || c == '?' || c == '{') {
      if (!quantify(re, i, seq)) return std::nullopt;
    } else if (c == '\\' || c == '[' || c == '(') {
      const size_t end = skip(re, i);
      if (end == std::string_view::npos) return std::nullopt;
      if (c == '\\' && !is_alnum(re[i + 1]))
        seq.push_back({Item::Kind::literal, re[i + 1], {}});
      else if (c == '(')
        seq.push_back({Item::Kind::group, 0, re.substr(i + 1, end - i - 2)});
      else
        seq.push_back({Item::Kind::other, 0, {}});
      i = end;
    } else if (c == ')') {
      return std::nullopt;  // unbalanced
    } else {
      const bool special = c == '.' || c == '^' || c == '$';
      seq.push_back({special ? Item::Kind::other : Item::Kind::literal, lower(c), {}});
      ++i;
    }
  }
  return alts;
}

// Every text a group's body can match, when it is alternatives of literal characters only
// ("(?:net|cn|us)", "(?P<r>eu|us)"); nullopt otherwise.
std::optional<std::vector<std::string>> exact_texts(std::string_view body) {
  if (body.starts_with("?:")) {
    body.remove_prefix(2);
  } else if (body.starts_with("?P<")) {
    const size_t end = body.find('>');
    if (end == std::string_view::npos) return std::nullopt;
    body.remove_prefix(end + 1);
  } else if (body.starts_with("?")) {
    return std::nullopt;  // flags
  }
  auto alts = parse(body);
  if (!alts) return std::nullopt;
  std::vector<std::string> out;
  for (const auto& seq : *alts) {
    std::string text;
    for (const auto& item : seq) {
      if (item.kind != Item::Kind::literal) return std::nullopt;
      text += item.c;
    }
    out.push_back(std::move(text));
  }
  return out;
}

// The suffixes one sequence's matches end with: its literal tail, through groups of literal
// alternatives. An empty text means the sequence ends in something else.
std::vector<std::string> sequence_suffixes(const std::vector<Item>& seq) {
  constexpr size_t kMaxTexts = 256;
  std::vector<std::string> ends = {""};
  for (auto it = seq.rbegin(); it != seq.rend(); ++it) {
    if (it->kind == Item::Kind::literal) {
      for (auto& e : ends) e.insert(e.begin(), it->c);
      continue;
    }
    auto texts = it->kind == Item::Kind::group ? exact_texts(it->body) : std::nullopt;
    if (!texts || texts->size() * ends.size() > kMaxTexts) break;
    std::vector<std::string> longer;
    for (const auto& t : *texts)
      for (const auto& e : ends) longer.push_back(t + e);
    ends = std::move(longer);
  }
  return ends;
}

// The name as normalised, read backwards without a copy: the root dot, then its characters
// from the end in lower case (`name` without its root dot).
class Backwards {
 public:
  explicit Backwards(std::string_view name) : name_(name) {}
  size_t size() const { return name_.size() + 1; }
  char operator[](size_t k) const { return k == 0 ? '.' : lower(name_[name_.size() - k]); }
  // The length of the text `s` and this have in common at their start.
  size_t common(std::string_view s) const {
    size_t k = 0;
    while (k < s.size() && k < size() && s[k] == (*this)[k]) ++k;
    return k;
  }
  // Whether this sorts before `s` (as std::string does: by unsigned characters).
  bool before(std::string_view s) const {
    const size_t k = common(s);
    if (k == s.size()) return false;
    return k == size() || static_cast<unsigned char>((*this)[k]) < static_cast<unsigned char>(s[k]);
  }

 private:
  std::string_view name_;
};

}  // namespace

std::optional<std::vector<std::string>> literal_suffixes(std::string_view regex) {
  auto alts = parse(regex);
  if (!alts) return std::nullopt;
  std::vector<std::string> out;
  for (const auto& seq : *alts)
    for (auto& e : sequence_suffixes(seq)) {
      if (e.empty()) return std::nullopt;
      out.push_back(std::move(e));
    }
  return out;
}

void SuffixFilter::add(std::string_view regex) {
  auto ends = literal_suffixes(regex);
  if (!ends) {
    off_ = true;
    return;
  }
  for (auto& e : *ends) reversed_.emplace_back(e.rbegin(), e.rend());
}

void SuffixFilter::finish() {
  std::sort(reversed_.begin(), reversed_.end());
  // Sorted, a text's prefixes come before it: keep only texts no kept text is a prefix of.
  std::vector<std::string> kept;
  for (auto& r : reversed_)
    if (kept.empty() || !r.starts_with(kept.back())) kept.push_back(std::move(r));
  reversed_ = std::move(kept);
}

bool SuffixFilter::may_match(std::string_view name) const {
  if (off_ || name.empty() || name.front() == '*') return true;  // '*' is matched as a letter
  if (name.back() == '.') name.remove_suffix(1);
  const Backwards b(name);
  // Among texts none of which is a prefix of another, only the greatest not above the name
  // (read backwards) can be a prefix of it.
  auto it = std::upper_bound(reversed_.begin(), reversed_.end(), b,
                             [](const Backwards& v, const std::string& s) { return v.before(s); });
  return it != reversed_.begin() && b.common(*std::prev(it)) == std::prev(it)->size();
}

}  // namespace iotmap::config
