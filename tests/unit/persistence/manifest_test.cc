#include "persistence/manifest.h"

#include <doctest/doctest.h>

#include <cerrno>
#include <string>

#include "faulty_file_ops.h"
#include "persistence/file_ops.h"

namespace pykv::persistence {
namespace {

using testing::FaultyFileOps;
using testing::ScopedTempDir;

bool Same(const AofFileInfo& a, const AofFileInfo& b) {
  return a.name == b.name && a.seq == b.seq && a.type == b.type;
}

bool Same(const Manifest& a, const Manifest& b) {
  if (a.base.has_value() != b.base.has_value()) return false;
  if (a.base && !Same(*a.base, *b.base)) return false;
  if (a.incrs.size() != b.incrs.size()) return false;
  for (size_t i = 0; i < a.incrs.size(); ++i) {
    if (!Same(a.incrs[i], b.incrs[i])) return false;
  }
  return true;
}

Manifest Parsed(std::string_view text) {
  StatusOr<Manifest> m = Manifest::Parse(text);
  REQUIRE_MESSAGE(m.ok(), m.status().message());
  return *m;
}

std::string ParseError(std::string_view text) {
  StatusOr<Manifest> m = Manifest::Parse(text);
  REQUIRE_FALSE(m.ok());
  CHECK(m.status().code() == Status::Code::kCorruption);
  return m.status().message();
}

Manifest Sample() {
  Manifest m;
  m.base = AofFileInfo{Manifest::BaseName("appendonly.aof", 3), 3, 'b'};
  m.incrs.push_back({Manifest::IncrName("appendonly.aof", 4), 4, 'i'});
  m.incrs.push_back({Manifest::IncrName("appendonly.aof", 5), 5, 'i'});
  return m;
}

TEST_CASE("Manifest names follow Redis 7's scheme") {
  CHECK(Manifest::BaseName("appendonly.aof", 1) == "appendonly.aof.1.base.pkv");
  CHECK(Manifest::IncrName("appendonly.aof", 12) == "appendonly.aof.12.incr.aof");
  CHECK(Manifest::ManifestName("appendonly.aof") == "appendonly.aof.manifest");
}

TEST_CASE("Manifest::Serialize writes Redis's line format, base first") {
  CHECK(Sample().Serialize() ==
        "file appendonly.aof.3.base.pkv seq 3 type b\n"
        "file appendonly.aof.4.incr.aof seq 4 type i\n"
        "file appendonly.aof.5.incr.aof seq 5 type i\n");
  Manifest no_base;
  no_base.incrs.push_back({"appendonly.aof.1.incr.aof", 1, 'i'});
  CHECK(no_base.Serialize() == "file appendonly.aof.1.incr.aof seq 1 type i\n");
  CHECK(Manifest().Serialize().empty());
}

TEST_CASE("Manifest round trip: Parse(Serialize(m)) == m") {
  Manifest m = Sample();
  CHECK(Same(Parsed(m.Serialize()), m));

  Manifest incr_only;
  incr_only.incrs.push_back({"appendonly.aof.7.incr.aof", 7, 'i'});
  CHECK(Same(Parsed(incr_only.Serialize()), incr_only));

  Manifest base_only;
  base_only.base = AofFileInfo{"appendonly.aof.2.base.pkv", 2, 'b'};
  CHECK(Same(Parsed(base_only.Serialize()), base_only));

  // Names that need quoting: spaces, quotes, backslashes, control and high bytes.
  Manifest odd;
  odd.base = AofFileInfo{"my file.1.base.pkv", 1, 'b'};
  odd.incrs.push_back({"a\"b'c\\d.2.incr.aof", 2, 'i'});
  odd.incrs.push_back({std::string("tab\there\nnl\r\a\b\x01\xff"), 3, 'i'});
  const std::string text = odd.Serialize();
  CHECK(text.find("file \"my file.1.base.pkv\" seq 1 type b\n") == 0);
  CHECK(text.find("\\x01\\xff") != std::string::npos);
  CHECK(Same(Parsed(text), odd));
}

TEST_CASE("Manifest::Parse reads what Redis 7 writes") {
  // redis-server 7.0 with aof-use-rdb-preamble yes, after two rewrites.
  Manifest m = Parsed(
      "file appendonly.aof.2.base.rdb seq 2 type b\n"
      "file appendonly.aof.1.base.rdb seq 1 type h\n"
      "file appendonly.aof.1.incr.aof seq 1 type h\n"
      "file appendonly.aof.2.incr.aof seq 2 type h\n"
      "file appendonly.aof.3.incr.aof seq 3 type i\n");
  REQUIRE(m.base);
  CHECK(m.base->name == "appendonly.aof.2.base.rdb");
  CHECK(m.base->seq == 2);
  CHECK(m.base->type == 'b');
  REQUIRE(m.incrs.size() == 1);  // history entries are skipped
  CHECK(m.incrs[0].name == "appendonly.aof.3.incr.aof");
  CHECK(m.incrs[0].seq == 3);
  CHECK(m.MaxSeq() == 3);

  // sdscatrepr quoting of a name with a space (appendfilename "my aof").
  m = Parsed("file \"my aof.1.base.rdb\" seq 1 type b\nfile \"my aof.1.incr.aof\" seq 1 type i\n");
  REQUIRE(m.base);
  CHECK(m.base->name == "my aof.1.base.rdb");
  CHECK(m.incrs.at(0).name == "my aof.1.incr.aof");

  // Later versions add key/value pairs (startoffset/endoffset): ignored, as Redis does.
  m = Parsed("file appendonly.aof.1.incr.aof seq 1 type i startoffset 0 endoffset 120\n");
  CHECK(m.incrs.at(0).seq == 1);

  // Keys are case-insensitive; single quotes and \xHH escapes split like sdssplitargs.
  m = Parsed("FILE 'a b' SEQ 1 TYPE i\nfile \"c\\x41d\" seq 2 type i\n");
  CHECK(m.incrs.at(0).name == "a b");
  CHECK(m.incrs.at(1).name == "cAd");
}

TEST_CASE("Manifest::Parse tolerates comments, blank lines, CRLF, no final newline") {
  Manifest m = Parsed(
      "# written by hand\r\n"
      "\r\n"
      "file appendonly.aof.3.base.pkv seq 3 type b\r\n"
      "   \n"
      "  # indented comment\n"
      "file appendonly.aof.4.incr.aof   seq 4 type i  \r\n"
      "file appendonly.aof.5.incr.aof seq 5 type i");
  CHECK(Same(m, Sample()));
}

TEST_CASE("Manifest::Parse is strict otherwise and names the line") {
  CHECK(ParseError("") == "Invalid AOF manifest file format: Found an empty AOF manifest");
  CHECK(ParseError("# nothing\n\n").find("empty") != std::string::npos);

  const std::string good = "file appendonly.aof.1.base.pkv seq 1 type b\n";
  auto starts = [](const std::string& msg, std::string_view prefix) {
    return msg.rfind(prefix, 0) == 0;
  };
  CHECK(starts(ParseError(good + "file x seq 2\n"), "Invalid AOF manifest file format at line 2"));
  CHECK(starts(ParseError(good + "# c\nfile x seq 2 type i extra\n"),
               "Invalid AOF manifest file format at line 3"));
  CHECK(starts(ParseError("file x seq 1 type i\r\n\r\nfile y seq two type i\n"),
               "Invalid AOF manifest file format at line 3"));
  CHECK(ParseError("file x seq 0 type i\n") ==
        "Invalid AOF manifest file format at line 1: seq must be a positive integer");
  CHECK(ParseError("file x seq -1 type i\n").find("line 1") != std::string::npos);
  CHECK(ParseError("file x seq 1 type z\n") ==
        "Invalid AOF manifest file format at line 1: Unknown AOF file type");
  CHECK(ParseError("file x seq 1 type base\n").find("Unknown AOF file type") != std::string::npos);
  CHECK(ParseError(good + good) ==
        "Invalid AOF manifest file format at line 2: Found duplicate base file information");
  CHECK(ParseError("file a seq 2 type i\nfile b seq 2 type i\n") ==
        "Invalid AOF manifest file format at line 2: Found a non-monotonic sequence number");
  CHECK(ParseError("file a seq 3 type i\nfile b seq 1 type i\n").find("non-monotonic") !=
        std::string::npos);
  CHECK(ParseError("file ../etc/passwd seq 1 type i\n").find("just a filename") !=
        std::string::npos);
  CHECK(ParseError("seq 1 type i name x\n").find("needs file, seq and type") != std::string::npos);
  CHECK(ParseError("file \"unterminated seq 1 type i\n").find("unbalanced quotes") !=
        std::string::npos);
  CHECK(ParseError("file \"a\"b seq 1 type i\n").find("line 1") != std::string::npos);
  CHECK(ParseError("file '' seq 1 type i\n").find("empty file name") != std::string::npos);
  CHECK(ParseError("garbage\n").find("line 1") != std::string::npos);
}

TEST_CASE("Manifest::MaxSeq covers base and increments") {
  CHECK(Manifest().MaxSeq() == 0);
  Manifest m;
  m.base = AofFileInfo{"b", 9, 'b'};
  m.incrs.push_back({"i", 4, 'i'});
  CHECK(m.MaxSeq() == 9);
  CHECK(Sample().MaxSeq() == 5);
}

TEST_CASE("Manifest replaced atomically: a failed rename keeps the old one loadable") {
  ScopedTempDir dir;
  FaultyFileOps ops;
  const std::string path = dir.File(Manifest::ManifestName("appendonly.aof"));
  Manifest old_m = Sample();
  REQUIRE(WriteFileAtomically(&ops, path, old_m.Serialize()).ok());

  Manifest new_m;
  new_m.base = AofFileInfo{Manifest::BaseName("appendonly.aof", 6), 6, 'b'};
  new_m.incrs.push_back({Manifest::IncrName("appendonly.aof", 6), 6, 'i'});
  ops.FailRenames(1, EIO);
  CHECK_FALSE(WriteFileAtomically(&ops, path, new_m.Serialize()).ok());
  StatusOr<std::string> text = ReadWholeFile(&ops, path);
  REQUIRE(text.ok());
  CHECK(Same(Parsed(*text), old_m));

  REQUIRE(WriteFileAtomically(&ops, path, new_m.Serialize()).ok());
  text = ReadWholeFile(&ops, path);
  REQUIRE(text.ok());
  CHECK(Same(Parsed(*text), new_m));
}

}  // namespace
}  // namespace pykv::persistence
