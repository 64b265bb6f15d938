// Flow records in the forms operators have (docs/detect.md): nfdump's CSV output
// (`nfdump -r FILE -o csv`, so every format nfdump reads comes in) and Zeek's conn.log, as TSV
// or as JSON lines. A line that is not a flow is skipped, counted and named (file:line: why);
// it never stops the reading.
#pragma once

#include <cstdint>
#include <functional>
#include <istream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "detect/detector.h"

namespace iotmap::detect {

// kIpfix is binary: read_ipfix (detect/ipfix.h) reads it, not FlowReader.
enum class FlowFormat { kAuto, kNfdumpCsv, kZeekTsv, kZeekJson, kIpfix };
// "auto", "nfdump", "zeek" (TSV or JSON, told apart by the first line), "zeek-json", "ipfix".
std::optional<FlowFormat> parse_flow_format(std::string_view text);

struct ReadStats {
  uint64_t lines = 0, flows = 0, malformed = 0;
  uint64_t notes = 0;                 // said, not bad: IPFIX/NetFlow sequence gaps
  std::vector<std::string> problems;  // "file:line: why", the first max_problems of them
};

class FlowReader {
 public:
  // `name` names the input in messages ("<stdin>" for standard input).
  FlowReader(std::string name, FlowFormat format, size_t max_problems = 20)
      : name_(std::move(name)), format_(format), max_problems_(max_problems) {}
  // One line, without its newline.
  void line(std::string_view text, const std::function<void(const Flow&)>& emit);
  // Every line of `in`.
  void read(std::istream& in, const std::function<void(const Flow&)>& emit);
  const ReadStats& stats() const { return stats_; }

 private:
  void nfdump(std::string_view text, const std::function<void(const Flow&)>& emit);
  void zeek_tsv(std::string_view text, const std::function<void(const Flow&)>& emit);
  void zeek_json(std::string_view text, const std::function<void(const Flow&)>& emit);
  void zeek_record(const std::function<std::string(const char*)>& field,
                   const std::function<bool(const char*)>& has, std::optional<int64_t> start,
                   std::string_view text, const std::function<void(const Flow&)>& emit);
  void bad(const std::string& why, std::string_view text);

  std::string name_;
  FlowFormat format_;
  size_t max_problems_;
  ReadStats stats_;
  std::map<std::string, size_t, std::less<>> columns_;  // field name -> index
  char separator_ = '\t';
  bool summary_ = false;  // nfdump: past the data, in the summary
};

}  // namespace iotmap::detect
