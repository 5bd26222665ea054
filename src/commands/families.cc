#include "commands/families.h"

#include <utility>

#include "commands/dispatcher.h"

namespace pykv::cmd {

Command MakeCommand(const char* name, int arity, uint32_t flags, std::vector<KeySpec> keys,
                    Handler handler, const char* group, const char* summary, const char* since,
                    const char* complexity) {
  Command c;
  c.name = name;
  c.arity = arity;
  c.flags = flags;
  c.key_specs = std::move(keys);
  c.handler = handler;
  c.group = group;
  c.summary = summary;
  c.since = since;
  c.complexity = complexity;
  return c;
}

void RegisterAllCommands(CommandTable* table) {
  RegisterConnectionCommands(table);
  RegisterStringCommands(table);
  RegisterKeyCommands(table);
  RegisterExpireCommands(table);
  RegisterServerCommands(table);
  RegisterTransactionCommands(table);
  RegisterPubSubCommands(table);
  RegisterReplicationCommands(table);
  RegisterIntrospectionCommands(table);
}

}  // namespace pykv::cmd
