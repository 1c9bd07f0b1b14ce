// core/flags.h: a table binds flag names to members; validate() and to_json() read them through it.
#include "core/flags.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/error.h"

namespace ascent {
namespace {

struct Example {
  bool on = false;
  int count = 3;
  int64_t steps = -1;
  uint64_t seed = 1234;
  float rate = 1e-4f;
  double minutes = 0.5;
  std::string mode = "fast";
  std::vector<std::string> paths;
  bool legacy = false;

  flags::Table flags() {
    flags::Table t("example");
    t.add("--on", on, "switch it on");
    t.add("--count", count).check(flags::positive());
    t.add("--steps", steps);
    t.add("--seed", seed);
    t.add("--rate", rate).check(flags::in_unit_interval());
    t.add("--minutes", minutes).check(flags::at_least(0)).reported_as("other");
    t.add("--mode", mode, "fast or slow").check(flags::one_of({"fast", "slow"}));
    t.add("--paths", paths)
        .check(flags::holds([](const nlohmann::json& v) { return !v.empty(); }, "is required"));
    t.add("--legacy", legacy).not_saved();
    return t;
  }
};

std::string error_of(const flags::Table& t) {
  try {
    flags::validate(t);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Flags, TableDescribesEveryMember) {
  Example e;
  const flags::Table t = e.flags();
  ASSERT_EQ(t.flags().size(), 9u);
  const flags::Flag* rate = t.find("--rate");
  ASSERT_NE(rate, nullptr);
  EXPECT_EQ(rate->key(), "rate");
  EXPECT_EQ(rate->default_text, "0.0001");
  EXPECT_EQ(rate->scope, "example");
  EXPECT_EQ(t.find("--seed")->default_text, "1234");
  EXPECT_EQ(t.find("--minutes")->default_text, "0.5");
  EXPECT_EQ(t.find("--on")->default_text, "false");
  EXPECT_EQ(t.find("--mode")->default_text, "fast");
  EXPECT_EQ(t.find("--paths")->default_text, "");
  EXPECT_EQ(t.find("--mode")->help, "fast or slow");
  EXPECT_TRUE(t.find("--on")->is_switch());
  EXPECT_TRUE(t.find("--paths")->is_list());
  EXPECT_FALSE(t.find("--count")->is_switch());
  EXPECT_EQ(t.find("--nope"), nullptr);
}

TEST(Flags, BindsTheInstance) {
  Example e;
  const flags::Table t = e.flags();
  e.count = 7;
  e.paths = {"a", "b"};
  EXPECT_EQ(t.find("--count")->value(), 7);
  EXPECT_EQ(t.find("--paths")->value_text(), "a b");
  *std::get<int*>(t.find("--count")->target) = 9;
  EXPECT_EQ(e.count, 9);
}

TEST(Flags, JsonKeepsTypesAndSkipsUnsaved) {
  Example e;
  e.paths = {"p"};
  const nlohmann::json j = flags::to_json(flags::read_only(e));
  EXPECT_EQ(j.size(), 8u);
  EXPECT_FALSE(j.contains("legacy"));
  EXPECT_TRUE(j["on"].is_boolean());
  EXPECT_TRUE(j["count"].is_number_integer());
  EXPECT_TRUE(j["seed"].is_number_unsigned());
  EXPECT_TRUE(j["rate"].is_number_float());
  // The float as typed (its shortest text), not widened: 1e-4f reads back as the same float.
  EXPECT_EQ(j["rate"].get<double>(), 1e-4);
  EXPECT_EQ(j["rate"].get<float>(), 1e-4f);
  EXPECT_EQ(j["paths"], nlohmann::json::array({"p"}));
  EXPECT_EQ(j["mode"], "fast");
}

// run_config.json: --adam-beta1 0.9 is written 0.9, not 0.8999999761581421, and every float
// reads back bit for bit.
TEST(Flags, FloatsAreWrittenAsTyped) {
  Example e;
  for (float v : {0.9f, 0.95f, 1e-8f, 3e-4f, 0.1f, 1.0f, 123456.78f, 2.5e-38f}) {
    e.rate = v;
    const nlohmann::json j = flags::to_json(flags::read_only(e));
    EXPECT_EQ(nlohmann::json::parse(j.dump())["rate"].get<float>(), v);
  }
  e.rate = 0.9f;
  EXPECT_EQ(flags::to_json(flags::read_only(e))["rate"].dump(), "0.9");
  e.rate = 0.95f;
  EXPECT_EQ(flags::to_json(flags::read_only(e))["rate"].dump(), "0.95");
  e.rate = 1e-8f;
  EXPECT_EQ(flags::to_json(flags::read_only(e))["rate"].dump(), "1e-08");
}

TEST(Flags, BadValueNamesTheFlag) {
  Example e;
  e.paths = {"p"};
  EXPECT_EQ(error_of(e.flags()), "");
  e.count = 0;
  EXPECT_EQ(error_of(e.flags()), "[example] --count must be positive");
  e.count = 1;
  e.rate = 1.f;
  EXPECT_EQ(error_of(e.flags()), "[example] --rate must be in [0, 1)");
  e.rate = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(error_of(e.flags()), "[example] --rate must be in [0, 1)");
  e.rate = 0.f;
  e.minutes = -1;
  EXPECT_EQ(error_of(e.flags()), "[other] --minutes must be >= 0");
  e.minutes = 0;
  e.mode = "medium";
  EXPECT_EQ(error_of(e.flags()), "[example] --mode 'medium' is not one of fast, slow");
  e.mode = "slow";
  e.paths.clear();
  EXPECT_EQ(error_of(e.flags()), "[example] --paths is required");
}

TEST(Flags, OneOfMayAllowEmpty) {
  const flags::Rule strict = flags::one_of({"a"}), lax = flags::one_of({"a"}, true);
  EXPECT_EQ(strict(""), "'' is not one of a");
  EXPECT_EQ(lax(""), "");
  EXPECT_EQ(lax("a"), "");
  EXPECT_EQ(flags::greater_than(0)(0.0), "must be > 0");
  EXPECT_EQ(flags::at_least(1)(0), "must be >= 1");
}

TEST(Flags, TablesCompose) {
  Example e;
  flags::Table t("outer");
  int extra = 0;
  t.add("--extra", extra).check(flags::positive());
  t.append(e.flags());
  EXPECT_EQ(t.flags().size(), 10u);
  EXPECT_EQ(t.find("--count")->scope, "example");     // a part's flags keep their scope
  EXPECT_THROW(t.append(e.flags()), std::exception);  // each flag is declared once
  const flags::Table some = t.only({"--mode", "--on"});
  ASSERT_EQ(some.flags().size(), 2u);
  EXPECT_EQ(some.flags()[0].name, "--mode");
  flags::Table renamed = e.flags();
  renamed.set_help("--on", "another sense");
  EXPECT_EQ(renamed.find("--on")->help, "another sense");
  EXPECT_THROW(t.only({"--missing"}), Error);
}

// A flag is set when the parser saw it (even at its default value) or, for a config built in
// code, when its value is not the default.
TEST(Flags, IsSetByGivenOrByValue) {
  Example e;
  e.steps = 0;  // -1 by default
  Example fresh;
  const flags::Table defaults = fresh.flags();
  const flags::Table t = e.flags();
  EXPECT_TRUE(flags::is_set(t, defaults, "--steps", {}));
  EXPECT_FALSE(flags::is_set(t, defaults, "--count", {}));
  EXPECT_TRUE(flags::is_set(t, defaults, "--count", {"--count"}));  // given, at its default
  EXPECT_FALSE(flags::is_set(t, defaults, "--mode", {"--count"}));
  EXPECT_THROW(flags::is_set(t, defaults, "--nope", {}), Error);
}

}  // namespace
}  // namespace ascent
