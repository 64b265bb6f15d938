// The resolver engine alone (no SQLite, no catalogue): resolves the names of a file, A only,
// against one resolver and prints names/s. bench/dns/run.sh builds it against the static
// libraries of the build that holds the iotmap binary.
//   engine_only NAMES-FILE ADDRESS PORT MAX_IN_FLIGHT TIMEOUT_MS
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "resolver/engine.h"
#include "resolver/wire.h"

int main(int argc, char** argv) {
  using namespace iotmap;
  if (argc != 6) {
    std::fprintf(stderr, "usage: engine_only NAMES-FILE ADDRESS PORT MAX_IN_FLIGHT TIMEOUT_MS\n");
    return 2;
  }
  std::vector<std::string> names;
  std::ifstream in(argv[1]);
  for (std::string line; std::getline(in, line);) names.push_back(line);
  config::VantagePoint vp;
  vp.name = "bench";
  vp.resolvers.push_back({*IpAddress::parse(argv[2]), static_cast<uint16_t>(std::atoi(argv[3]))});
  config::ResolverSettings s;
  s.max_in_flight = std::atoi(argv[4]);
  s.timeout_ms = std::atoi(argv[5]);
  s.retries = 3;
  s.qps = 1e7;
  resolver::EngineOptions o;
  o.qtypes = {resolver::kTypeA};
  uint64_t answers = 0;
  o.on_result = [&](const resolver::Result& r) {
    answers += r.status == resolver::Status::kAnswer;
  };
  resolver::Engine engine({vp}, s, o);
  auto st = engine.run(names);
  std::printf("engine only: %zu names, %llu answers, %llu queries, %.2f s, %.0f names/s\n",
              names.size(), static_cast<unsigned long long>(answers),
              static_cast<unsigned long long>(st.queries), st.seconds,
              static_cast<double>(names.size()) / st.seconds);
  return answers == names.size() ? 0 : 1;
}
