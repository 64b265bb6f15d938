// `iotmap optout add CIDR --reason TEXT` and `iotmap optout list`: the operator's side of the
// opt-out promise made on the info page. The next scan reads the same file.
#include <cstdio>

#include "db/store.h"
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
    for (const auto& o : ethics::read_optouts(path))
      std::printf("%s\t%s\n", o.prefix.str().c_str(), o.comment.c_str());
    return kOk;
  }
  if (pos[0] == "add" && pos.size() == 2) {
    auto prefix = Prefix::parse(pos[1]);
    if (!prefix) throw UsageError("'" + pos[1] + "' is not an address or CIDR prefix");
    if (!reason || reason->empty()) throw UsageError("optout add needs --reason TEXT");
    ethics::add_optout(path, *prefix, *reason, db::utc_date(clock_now()));
    std::printf("opted out %s\n", prefix->str().c_str());
    return kOk;
  }
  throw UsageError("expected `add CIDR --reason TEXT` or `list`");
}

}  // namespace iotmap::cli
