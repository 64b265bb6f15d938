// `iotmap optout add CIDR --reason TEXT` and `iotmap optout list`: the operator's side of the
// opt-out promise made on the info page. The next scan reads the same file.
#include <cstdio>
#include <filesystem>

#include "db/store.h"
#include "ethics/blocklist.h"
#include "ethics/optout.h"
#include "lib/clock.h"
#include "src/commands.h"

namespace iotmap::cli {

int run_optout(Context& ctx, Args& args) {
  auto reason = args.option("--reason");
  auto pos = args.positionals();
  if (pos.empty()) throw UsageError("expected add or list");
  const auto& path = ctx.config().ethics.optout_file;
  if (path.empty()) {
    std::fprintf(stderr, "iotmap optout: ethics.optout_file is not set in the configuration\n");
    return kConfig;
  }
  if (pos[0] == "list" && pos.size() == 1) {
    if (ethics::list_file_problem(path) == ethics::kMissing) {
      std::fprintf(stderr,
                   "iotmap optout: %s does not exist: nobody opted out, but a scan refuses to "
                   "start until it exists (create it empty)\n",
                   path.c_str());
      return kOk;
    }
    for (const auto& o : ethics::read_optouts(path))
      std::printf("%s\t%s\n", o.prefix.str().c_str(), o.comment.c_str());
    return kOk;
  }
  if (pos[0] == "add" && pos.size() == 2) {
    auto prefix = Prefix::parse(pos[1]);
    if (!prefix) throw UsageError("'" + pos[1] + "' is not an address or CIDR prefix");
    if (!reason || reason->empty()) throw UsageError("optout add needs --reason TEXT");
    if (auto problem = ethics::list_file_problem(path);
        !problem.empty() && problem != ethics::kMissing) {
      std::fprintf(stderr, "iotmap optout: %s %s\n", path.c_str(), problem.c_str());
      return kConfig;
    }
    ethics::add_optout(path, *prefix, *reason, db::utc_date(clock_now()));
    // The absolute path: the operator sees which file the next scan must read.
    std::printf("opted out %s in %s\n", prefix->str().c_str(),
                std::filesystem::absolute(path).lexically_normal().c_str());
    return kOk;
  }
  throw UsageError("expected `add CIDR --reason TEXT` or `list`");
}

}  // namespace iotmap::cli
