// The command families. Each family file ends with one Register<Family>Commands()
// listing its commands; RegisterAllCommands (dispatcher.h) calls them all.
#pragma once

#include <vector>

#include "commands/command.h"
#include "store/keyspace.h"

namespace pykv::cmd {

// One table row; the documentation fields feed COMMAND DOCS. The optional parts (tips,
// history, arguments, subcommands, ...) are added with Command's With... setters.
Command MakeCommand(const char* name, int arity, uint32_t flags, std::vector<KeySpec> keys,
                    Handler handler, const char* group, const char* summary, const char* since,
                    const char* complexity = "O(1)");

// OBJECT ENCODING's answer for a string value ("int", "embstr" or "raw").
const char* StringEncodingName(const store::Entry& e);

void RegisterConnectionCommands(CommandTable* table);
void RegisterStringCommands(CommandTable* table);
void RegisterKeyCommands(CommandTable* table);
void RegisterExpireCommands(CommandTable* table);
void RegisterServerCommands(CommandTable* table);
void RegisterTransactionCommands(CommandTable* table);
void RegisterPubSubCommands(CommandTable* table);
void RegisterReplicationCommands(CommandTable* table);
// COMMAND and its subcommands (the table describing itself).
void RegisterIntrospectionCommands(CommandTable* table);

}  // namespace pykv::cmd
