// [pages]: keys, defaults and errors word for word.
#include <doctest/doctest.h>

#include "web/pages/pages_config.hpp"

using namespace botwarden;
using namespace botwarden::web;

namespace {
std::string error_of(const std::string& text) {
  try {
    load_pages_config(ConfigFile::parse(text, "b.toml"));
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "valid";
}
}  // namespace

TEST_CASE("a full [pages] section loads") {
  const auto c = load_pages_config(ConfigFile::parse(R"(
[pages]
isp_name = "ExampleNet"
support_phone = "0800 1"
support_url = "https://isp.example/help"
metrics_from = ["10.0.0.0/8"]
[pages.cleanup_steps]
en = ["one", "two"]
[[pages.tools]]
name = "Scanner"
url = "https://tools.example/scan"
[[pages.users]]
name = "ada"
role = "admin"
password_hash = "$argon2id$v=19$m=65536,t=2,p=1$abc$def"
[[pages.api_tokens]]
name = "bot"
role = "operator"
token = "0123456789abcdef0123456789"
)", "b.toml"));
  CHECK(c.isp_name == "ExampleNet");
  CHECK(c.cleanup_steps.at("en") == std::vector<std::string>{"one", "two"});
  CHECK(c.tools.at(0).url == "https://tools.example/scan");
  CHECK(c.find_user("ada")->role == Role::admin);
  CHECK(c.api_tokens.at(0).role == Role::operator_);
  CHECK(c.metrics_from.size() == 1);
  CHECK(load_pages_config(ConfigFile::parse("", "b.toml")).metrics_from.size() == 2);
}

TEST_CASE("errors name file, line and key") {
  CHECK(error_of("[pages]\nsupport_url = \"http://x\"\n") ==
        "b.toml:2: pages.support_url: expected an https:// URL without blanks or quotes");
  CHECK(error_of("[[pages.tools]]\nname = \"x\"\nurl = \"javascript:alert(1)\"\n") ==
        "b.toml:3: pages.tools[1].url: expected an https:// URL without blanks or quotes");
  CHECK(error_of("[[pages.users]]\nname = \"a\"\nrole = \"root\"\npassword_hash = \"$argon2id$x\"\n") ==
        "b.toml:3: pages.users[1].role: 'root' is not one of: viewer, operator, admin");
  CHECK(error_of("[[pages.users]]\nname = \"a\"\npassword_hash = \"plain\"\n") ==
        "b.toml:3: pages.users[1].password_hash: expected an argon2id hash (\"$argon2id$...\") from "
        "botwarden-hash-password");
  CHECK(error_of("[[pages.api_tokens]]\nname = \"a\"\ntoken = \"short\"\n") ==
        "b.toml:3: pages.api_tokens[1].token: the token must be at least 24 characters");
  CHECK(error_of("[pages]\ncolour = 1\n") == "b.toml:2: pages.colour: unknown key");
}

TEST_CASE("the shipped configs/botwarden.toml has a valid [pages] section") {
  const auto c = load_pages_config(ConfigFile::load(BOTWARDEN_SOURCE_DIR "/configs/botwarden.toml"));
  CHECK(c.isp_name == "Example ISP");
  CHECK(c.session_idle_minutes == 30);
  CHECK(c.login_failures_allowed == 5);
  CHECK(c.metrics_from.size() == 2);
}
