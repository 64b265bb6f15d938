#include "scanner/grab.h"

namespace iotmap::scanner {

std::string_view to_string(Status s) {
  switch (s) {
    case Status::kOk:
      return "ok";
    case Status::kCertOnly:
      return "cert_only";
    case Status::kBlocked:
      return "blocked";
    case Status::kRefused:
      return "refused";
    case Status::kUnreachable:
      return "unreachable";
    case Status::kTimeout:
      return "timeout";
    case Status::kClosed:
      return "closed";
    case Status::kTlsError:
      return "tls_error";
    case Status::kClientCertRequired:
      return "client_cert_required";
    case Status::kProtocolError:
      return "protocol_error";
    case Status::kTooMuchData:
      return "too_much_data";
    case Status::kLocalError:
      return "local_error";
  }
  return "local_error";
}

std::string_view to_string(Phase p) {
  switch (p) {
    case Phase::kConnect:
      return "connect";
    case Phase::kTls:
      return "tls";
    case Phase::kProbe:
      return "probe";
    case Phase::kDone:
      return "done";
    case Phase::kNone:
      break;
  }
  return "none";
}

}  // namespace iotmap::scanner
