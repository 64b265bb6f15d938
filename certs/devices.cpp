#include "certs/devices.h"

namespace iotmap::certs {

std::optional<DeviceCertificate> device_certificate(const Certificate& c,
                                                    const KeywordList& keywords) {
  ManufacturerMatch m = match_manufacturer(c, keywords);
  if (!m.device) return std::nullopt;
  return DeviceCertificate{m.manufacturer, m.product, c.self_signed ? "self" : "maker_ca"};
}

}  // namespace iotmap::certs
