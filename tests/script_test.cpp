// The script language, headless: parsing against the commands' entries (app/gui/commands), their
// arguments, ranges and errors, and the one list the parser, the help and the docs read.
#include <doctest/doctest.h>

#include <filesystem>
#include <set>
#include <string>

#include "commands/command.h"
#include "commands/script.h"
#include "latentlab/util/errors.h"

using namespace latentlab;
using namespace latentlab::gui;

TEST_CASE("script parsing: commands, comments, and errors with the line number") {
  Script s = parseScript(
      "# demo\n"
      "load assets/models/mnist\n"
      "\n"
      "select 12\n"
      "drag 1.5 -0.25\n"
      "caption Look: the 7 becomes a 1\n"
      "frobnicate 3\n"
      "drag 1\n"
      "select -4\n"
      "color rainbow\n"
      "wait 3\n"
      "quit\n",
      "demo.txt");
  REQUIRE(s.commands.size() == 6);
  CHECK(s.commands[0].name == "load");
  CHECK(s.commands[0].line == 2);
  CHECK(s.commands[2].args == std::vector<std::string>{"1.5", "-0.25"});
  CHECK(s.commands[3].args == std::vector<std::string>{"Look: the 7 becomes a 1"});
  CHECK(s.commands[5].name == "quit");
  REQUIRE(s.errors.size() == 4);
  CHECK(s.errors[0].line == 7);
  CHECK(s.errors[0].message.find("demo.txt:7: unknown command 'frobnicate'") == 0);
  CHECK(s.errors[1].line == 8);
  CHECK(s.errors[1].message.find("takes 2 to 3 argument(s), got 1") != std::string::npos);
  CHECK(s.errors[2].message.find("'-4' is not a whole number") != std::string::npos);
  CHECK(s.errors[3].message.find("unknown colour mode 'rainbow'") != std::string::npos);
  CHECK(parseScript("caption\n", "x").commands.size() == 1);  // clears the caption
  CHECK_THROWS_AS(loadScriptFile("/nonexistent/script.txt"), InputError);
  CHECK(commands().size() >= 10);
}

TEST_CASE("script parsing: train-model settings are KEY=VALUE with known keys and whole numbers") {
  Script s = parseScript(
      "train-model fashion-mnist out.bundle\n"
      "train-model data/pngs my.bundle epochs=2 limit-train=512 ensemble=0\n"
      "train-model fashion-mnist\n"
      "train-model mnist b epochs=two\n"
      "train-model mnist b colour=3\n"
      "train-model mnist b epochs\n"
      "train-model mnist b seed=-1\n",
      "t.txt");
  REQUIRE(s.commands.size() == 2);
  CHECK(s.commands[0].args == std::vector<std::string>{"fashion-mnist", "out.bundle"});
  CHECK(s.commands[1].args ==
        std::vector<std::string>{"data/pngs", "my.bundle", "epochs=2", "limit-train=512", "ensemble=0"});
  REQUIRE(s.errors.size() == 5);
  CHECK(s.errors[0].message.find("t.txt:3: 'train-model' takes") == 0);
  CHECK(s.errors[1].message.find("'two' (epochs) is not a whole number") != std::string::npos);
  CHECK(s.errors[2].message.find("unknown setting 'colour'") != std::string::npos);
  CHECK(s.errors[3].message.find("'epochs' is not KEY=VALUE") != std::string::npos);
  CHECK(s.errors[4].message.find("'-1' (seed) is not a whole number") != std::string::npos);
  for (const char* k : {"epochs", "latent-dim", "seed", "ensemble", "decoder-epochs", "vae-epochs", "limit-train"})
    CHECK(parseScript(std::string("train-model a b ") + k + "=2\n", "k").errors.empty());
}

TEST_CASE("script parsing: numbers beyond their command's range are refused with the line, not run") {
  Script s = parseScript(
      "select 99999999999999999999\n"
      "wait 99999999999\n"
      "zoom 1e308\n"
      "zoom 0.0000000001\n"
      "drag 1e30 0\n"
      "center 0 1e300\n"
      "wait-for x 99999999999\n"
      "train-model a b epochs=4294967297\n"
      "train-model a b latent-dim=1\n"
      "select 9999\n"
      "zoom 2\n",
      "r.txt");
  REQUIRE(s.errors.size() == 9);
  for (int i = 0; i < 9; ++i) CHECK(s.errors[size_t(i)].line == i + 1);
  CHECK(s.errors[0].message.find("r.txt:1: '99999999999999999999' is not a whole number") == 0);
  CHECK(s.errors[1].message.find("is out of range (0..1e+06)") != std::string::npos);
  CHECK(s.errors[2].message.find("'1e308' is out of range") != std::string::npos);
  CHECK(s.errors[7].message.find("epochs=4294967297 is out of range (1..1000)") != std::string::npos);
  CHECK(s.commands.size() == 2);
  // A huge line is quoted only in part.
  Script big = parseScript("caption\nfrobnicate " + std::string(100000, 'x') + "\n", "b.txt");
  REQUIRE(big.errors.size() == 1);
  CHECK(big.errors[0].message.size() < 300);
}

TEST_CASE("script parsing: clue-batch takes a folder, N or lasso, and the clue settings") {
  Script s = parseScript(
      "clue-batch out 500\n"
      "clue-batch out lasso method=vae-clue\n"
      "clue-batch out 0\n"
      "clue-batch out 1000001\n"
      "clue-batch out some\n"
      "clue-batch out 5 method=nope\n"
      "clue-batch out\n"
      "clue steps=30 steps=5\n"
      "ig target=entropy\n"
      "scrub 1.5\n"
      "ig baseline=blur steps=32\n"
      "scrub 0.25\n",
      "cb.txt");
  CHECK(s.commands.size() == 4);
  REQUIRE(s.errors.size() == 8);
  CHECK(s.errors[6].message.find("target must be class:K") != std::string::npos);
  CHECK(s.errors[7].message.find("'1.5' is out of range") != std::string::npos);
  CHECK(s.errors[5].message.find("steps is given twice") != std::string::npos);
  CHECK(s.errors[0].message.find("'0' must be lasso or a number of points from 1 to 1000000") != std::string::npos);
  CHECK(s.errors[1].message.find("'1000001' must be lasso") != std::string::npos);
  CHECK(s.errors[2].message.find("'some' must be lasso") != std::string::npos);
  CHECK(s.errors[3].message.find("method must be") != std::string::npos);
  CHECK(s.errors[4].message.find("takes at least 2 argument(s)") != std::string::npos);
}

TEST_CASE("the shipped demo scripts parse without errors") {
  int scripts = 0;
  for (const auto& e : std::filesystem::directory_iterator(std::string(LATENTLAB_SOURCE_DIR) + "/assets/demos")) {
    if (e.path().extension() != ".txt") continue;
    ++scripts;
    Script s = loadScriptFile(e.path().string());
    for (const auto& err : s.errors) MESSAGE(err.message);
    CHECK(s.errors.empty());
    CHECK(s.commands.size() > 5);
  }
  CHECK(scripts >= 1);
}

TEST_CASE("script parsing: a byte order mark, a bare expect, hex and non-finite numbers, a train setting twice") {
  Script bom = parseScript("\xEF\xBB\xBFselect 3\nfit\n", "bom.txt");
  CHECK(bom.errors.empty());
  REQUIRE(bom.commands.size() == 2);
  CHECK(bom.commands[0].name == "select");
  Script e = parseScript("expect\n", "e.txt");
  REQUIRE(e.errors.size() == 1);
  CHECK(e.errors[0].message.find("expect needs KEY OP VALUE") != std::string::npos);
  for (const char* bad : {"zoom 0x10", "center inf 0", "center 0 nan", "scrub 0x1p-2", "drag 1e400 0"})
    CHECK_MESSAGE(parseScript(bad, "h").errors.size() == 1, bad);
  CHECK(parseScript("zoom 1.5e1\ncenter -2.5 +3\n", "ok").errors.empty());
  Script twice = parseScript("train-model a b epochs=1 epochs=2\n", "t.txt");
  REQUIRE(twice.errors.size() == 1);
  CHECK(twice.errors[0].message.find("epochs is given twice") != std::string::npos);
}
