#include "backend_map/psl.h"

namespace iotmap::backend_map {

Psl::Psl() : owned_(psl_latest(nullptr)) { ctx_ = owned_ ? owned_.get() : psl_builtin(); }

std::string Psl::registrable(std::string_view name) const {
  if (name.starts_with("*.")) name.remove_prefix(2);
  std::string text(name);
  if (ctx_ == nullptr) return text;
  const char* reg = psl_registrable_domain(ctx_, text.c_str());
  return reg ? std::string(reg) : text;
}

bool Psl::is_public_suffix(std::string_view name) const {
  if (ctx_ == nullptr) return name.find('.') == std::string_view::npos;
  std::string text(name);
  return psl_is_public_suffix(ctx_, text.c_str()) != 0;
}

const Psl& Psl::system() {
  static const Psl psl;
  return psl;
}

}  // namespace iotmap::backend_map
