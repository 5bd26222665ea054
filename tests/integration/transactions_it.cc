// MULTI/EXEC/DISCARD/WATCH end to end, including two connections racing on a watched
// key. Expected replies are Redis 7.0's.
#include <string>

#include "integration/server_harness.h"

namespace pykv::it {
namespace {

const Reply kQueued = St("QUEUED");

TEST_CASE("MULTI EXEC") {
  Fx s;
  Conn other = s.srv.Connect();
  CHECK(s({"MULTI"}) == Ok());
  CHECK(s({"SET", "a", "1"}) == kQueued);
  CHECK(s({"INCR", "a"}) == kQueued);
  CHECK(s({"GET", "a"}) == kQueued);
  // Nothing ran yet: another client sees no key.
  CHECK(Cmd(other, {"EXISTS", "a"}) == Int(0));
  CHECK(s({"EXEC"}) == Arr({Ok(), Int(2), Bulk("2")}));
  CHECK(Cmd(other, {"GET", "a"}) == Bulk("2"));
  // An empty transaction.
  CHECK(s({"MULTI"}) == Ok());
  CHECK(s({"EXEC"}) == Arr({}));
  CHECK(s({"EXEC"}) == Err("ERR EXEC without MULTI"));
  CHECK(s({"DISCARD"}) == Err("ERR DISCARD without MULTI"));
  CHECK(s({"MULTI"}) == Ok());
  CHECK(s({"MULTI"}) == Err("ERR MULTI calls can not be nested"));
  CHECK(s({"EXEC"}) == Arr({}));
}

TEST_CASE("DISCARD") {
  Fx s;
  CHECK(s({"MULTI"}) == Ok());
  CHECK(s({"SET", "a", "1"}) == kQueued);
  CHECK(s({"DISCARD"}) == Ok());
  CHECK(s({"EXISTS", "a"}) == Int(0));
  CHECK(s({"SET", "a", "2"}) == Ok());  // back to normal mode
}

TEST_CASE("a queueing error aborts EXEC") {
  Fx s;
  CHECK(s({"MULTI"}) == Ok());
  CHECK(s({"SET", "a", "1"}) == kQueued);
  CHECK(s({"NOSUCHCMD", "x"}) ==
        Err("ERR unknown command 'NOSUCHCMD', with args beginning with: 'x' "));
  CHECK(s({"GET"}) == Err("ERR wrong number of arguments for 'get' command"));
  CHECK(s({"SET", "b", "2"}) == kQueued);
  CHECK(s({"EXEC"}) == Err("EXECABORT Transaction discarded because of previous errors."));
  CHECK(s({"EXISTS", "a", "b"}) == Int(0));
  CHECK(s({"EXEC"}) == Err("ERR EXEC without MULTI"));
}

TEST_CASE("a runtime error inside EXEC does not stop the others") {
  Fx s;
  CHECK(s({"MULTI"}) == Ok());
  CHECK(s({"SET", "a", "abc"}) == kQueued);
  CHECK(s({"INCR", "a"}) == kQueued);
  CHECK(s({"SET", "b", "1"}) == kQueued);
  CHECK(s({"EXEC"}) == Arr({Ok(), Err("ERR value is not an integer or out of range"), Ok()}));
  CHECK(s({"MGET", "a", "b"}) == Bulks({"abc", "1"}));
}

TEST_CASE("WATCH from two connections") {
  Fx s;
  Conn other = s.srv.Connect();
  CHECK(s({"SET", "k", "0"}) == Ok());

  // Untouched: EXEC runs.
  CHECK(s({"WATCH", "k"}) == Ok());
  CHECK(s({"MULTI"}) == Ok());
  CHECK(s({"INCR", "k"}) == kQueued);
  CHECK(s({"EXEC"}) == Arr({Int(1)}));

  // Touched by another client between WATCH and EXEC: EXEC returns a null array.
  CHECK(s({"WATCH", "k"}) == Ok());
  CHECK(Cmd(other, {"SET", "k", "10"}) == Ok());
  CHECK(s({"MULTI"}) == Ok());
  CHECK(s({"INCR", "k"}) == kQueued);
  CHECK(s({"EXEC"}) == Nil());
  CHECK(s({"GET", "k"}) == Bulk("10"));

  // EXEC unwatches everything: the next transaction runs.
  CHECK(Cmd(other, {"SET", "k", "20"}) == Ok());
  CHECK(s({"MULTI"}) == Ok());
  CHECK(s({"INCR", "k"}) == kQueued);
  CHECK(s({"EXEC"}) == Arr({Int(21)}));

  // UNWATCH.
  CHECK(s({"WATCH", "k"}) == Ok());
  CHECK(Cmd(other, {"SET", "k", "30"}) == Ok());
  CHECK(s({"UNWATCH"}) == Ok());
  CHECK(s({"MULTI"}) == Ok());
  CHECK(s({"INCR", "k"}) == kQueued);
  CHECK(s({"EXEC"}) == Arr({Int(31)}));

  // Touching by the watcher itself also counts; so do DEL, EXPIRE and FLUSHALL.
  CHECK(s({"WATCH", "k"}) == Ok());
  CHECK(s({"SET", "k", "40"}) == Ok());
  CHECK(s({"MULTI"}) == Ok());
  CHECK(s({"INCR", "k"}) == kQueued);
  CHECK(s({"EXEC"}) == Nil());

  CHECK(s({"WATCH", "k"}) == Ok());
  CHECK(Cmd(other, {"EXPIRE", "k", "1000"}) == Int(1));
  CHECK(s({"MULTI"}) == Ok());
  CHECK(s({"GET", "k"}) == kQueued);
  CHECK(s({"EXEC"}) == Nil());

  CHECK(s({"WATCH", "k"}) == Ok());
  CHECK(Cmd(other, {"FLUSHALL"}) == Ok());
  CHECK(s({"MULTI"}) == Ok());
  CHECK(s({"SET", "k", "x"}) == kQueued);
  CHECK(s({"EXEC"}) == Nil());
  CHECK(s({"EXISTS", "k"}) == Int(0));
  // ...but only for keys it removed: a watched key that did not exist is unchanged.
  CHECK(s({"WATCH", "k"}) == Ok());
  CHECK(Cmd(other, {"FLUSHALL"}) == Ok());
  CHECK(s({"MULTI"}) == Ok());
  CHECK(s({"SET", "k", "x"}) == kQueued);
  CHECK(s({"EXEC"}) == Arr({Ok()}));
  CHECK(s({"DEL", "k"}) == Int(1));

  // Watching a missing key that another client creates.
  CHECK(s({"WATCH", "m"}) == Ok());
  CHECK(Cmd(other, {"SET", "m", "1"}) == Ok());
  CHECK(s({"MULTI"}) == Ok());
  CHECK(s({"SET", "m", "2"}) == kQueued);
  CHECK(s({"EXEC"}) == Nil());
  CHECK(s({"GET", "m"}) == Bulk("1"));

  // A write to another key does not matter.
  CHECK(s({"WATCH", "m"}) == Ok());
  CHECK(Cmd(other, {"SET", "unrelated", "1"}) == Ok());
  CHECK(s({"MULTI"}) == Ok());
  CHECK(s({"SET", "m", "3"}) == kQueued);
  CHECK(s({"EXEC"}) == Arr({Ok()}));

  CHECK(s({"MULTI"}) == Ok());
  CHECK(s({"WATCH", "k"}) == Err("ERR WATCH inside MULTI is not allowed"));
  CHECK(s({"DISCARD"}) == Ok());
}

TEST_CASE("two clients increment with optimistic locking") {
  Fx s;
  Conn a = s.srv.Connect();
  Conn b = s.srv.Connect();
  CHECK(s({"SET", "counter", "0"}) == Ok());
  int committed = 0;
  int aborted = 0;
  for (int round = 0; round < 50; ++round) {
    // Both read, both try to commit; exactly one wins each round.
    REQUIRE(Cmd(a, {"WATCH", "counter"}) == Ok());
    REQUIRE(Cmd(b, {"WATCH", "counter"}) == Ok());
    long long va = std::stoll(Cmd(a, {"GET", "counter"}).str);
    long long vb = std::stoll(Cmd(b, {"GET", "counter"}).str);
    REQUIRE(Cmd(a, {"MULTI"}) == Ok());
    REQUIRE(Cmd(a, {"SET", "counter", std::to_string(va + 1)}) == kQueued);
    REQUIRE(Cmd(b, {"MULTI"}) == Ok());
    REQUIRE(Cmd(b, {"SET", "counter", std::to_string(vb + 1)}) == kQueued);
    for (auto* c : {a.get(), b.get()}) {
      Reply r = Cmd(c, {"EXEC"});
      if (r.is_nil()) {
        ++aborted;
      } else {
        CHECK(r == Arr({Ok()}));
        ++committed;
      }
    }
  }
  CHECK(committed == 50);
  CHECK(aborted == 50);
  CHECK(s({"GET", "counter"}) == Bulk("50"));
}

}  // namespace
}  // namespace pykv::it
