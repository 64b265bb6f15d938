// The resolution engine: asynchronous on one libevent loop, c-ares for transport (one channel
// per resolver, no cache, TCP retry on truncation), ldns for queries and replies. It takes names,
// vantage points and settings and emits one Result per name x type x vantage point through a
// callback; it knows nothing of the database.
//
// Load control per resolver: a cap on queries in flight and a token bucket (queries per
// second). A query that times out is retried with back-off, preferably on another resolver of
// the same vantage point. A resolver with many timeouts in a row is reported as down and only
// probed now and then until it answers again; while every resolver of a vantage point is down,
// the vantage point's remaining names end as `no_resolver` once the give-up time has passed.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "resolver/result.h"

namespace iotmap::resolver {

struct ResolverReport {
  std::string vantage;
  std::string resolver;  // "address:port"
  uint64_t sent = 0;     // queries handed to the resolver
  uint64_t replies = 0;  // replies received (any rcode, malformed included)
  uint64_t timeouts = 0;
  uint64_t errors = 0;  // socket errors
  bool down = false;    // down when the run ended
  int times_down = 0;   // how often it was declared down
};

struct RunStats {
  uint64_t results = 0;
  uint64_t queries = 0;
  uint64_t by_status[kStatusCount] = {};
  std::vector<ResolverReport> resolvers;
  double seconds = 0;
  bool stopped = false;  // EngineOptions::stop was raised: results < name x type x vantage pairs
};

struct EngineOptions {
  std::vector<uint16_t> qtypes;  // default: A and AAAA
  std::function<void(const Result&)> on_result;
  std::function<void(const std::string&)> on_notice;  // resolver down / up again; default: stderr
  int down_after_timeouts = 8;  // consecutive timeouts that mark a resolver down
  int backoff_ms = 100;         // delay before the first retry; doubles per retry
  int give_up_ms = 0;           // 0: 3 x timeout_ms (at least 1 s)
  // Polled at least every 10 ms (a signal handler may set it). Once set, no query is sent:
  // queries in flight end with their reply or timeout, and a job that would need another query
  // (a retry, the next link of a chain) ends without a result, as do the jobs not started.
  const std::atomic<bool>* stop = nullptr;
  // Jobs that already have their result (an earlier run of the hour got an answer): not run,
  // no result. Called with the vantage point's index in the constructor's list, the name's
  // index in run()'s list and the type's index in `qtypes`. Unset: every job runs.
  std::function<bool(size_t vantage, uint32_t name_index, size_t type)> skip;
};

class Engine {
 public:
  Engine(std::vector<config::VantagePoint> vantage_points, config::ResolverSettings settings,
         EngineOptions options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Resolves every name x type x vantage point (but those EngineOptions::skip names) and
  // returns when each has had its one result.
  // Names are normalized first; a name that cannot be queried ends as kInvalidName.
  RunStats run(const std::vector<std::string>& names);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace iotmap::resolver
