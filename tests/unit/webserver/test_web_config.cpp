// The [web] section: defaults, endpoints, and errors naming file, line and key.
#include <doctest/doctest.h>

#include "web/server/web_config.hpp"

using namespace botwarden;
using namespace botwarden::web;

namespace {
std::string error_of(const std::string& text) {
  try {
    load_web_config(ConfigFile::parse(text, "test.toml"));
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}
}  // namespace

TEST_CASE("an absent [web] section gives the documented defaults") {
  const auto c = load_web_config(ConfigFile::parse("[sensor]\nname = \"x\"\n", "test.toml"));
  REQUIRE(c.listen.size() == 1);
  CHECK(c.listen[0].to_string() == "127.0.0.1:8080");
  CHECK_FALSE(c.listen[0].tls);
  CHECK(c.threads == 4);
  CHECK(c.header_limit_bytes == 8192);
  CHECK(c.body_limit_bytes == 65536);
  CHECK(c.read_timeout_seconds == 30);
  CHECK(c.trusted_proxies.empty());
}

TEST_CASE("endpoints: IPv4, bracketed IPv6, and trusted proxies") {
  const auto c = load_web_config(ConfigFile::parse(
      "[web]\nlisten = [\"0.0.0.0:80\", \"[::]:8080\"]\nthreads = 8\nbody_limit_bytes = 1024\n"
      "trusted_proxies = [\"10.0.0.0/8\"]\n",
      "test.toml"));
  REQUIRE(c.listen.size() == 2);
  CHECK(c.listen[1].to_string() == "[::]:8080");
  CHECK(c.listen[1].port == 8080);
  CHECK(c.threads == 8);
  CHECK(c.body_limit_bytes == 1024);
  CHECK(c.trusted_proxies.at(0).to_string() == "10.0.0.0/8");
}

TEST_CASE("bad [web] values are named with file, line and key") {
  CHECK(error_of("[web]\nlisten = [\"127.0.0.1\"]\n") ==
        "test.toml:2: web.listen: '127.0.0.1' is not address:port (e.g. 127.0.0.1:8080 or [::1]:8443)");
  CHECK(error_of("[web]\nlisten = [\"::1:8080\"]\n") ==
        "test.toml:2: web.listen: '::1:8080' is not address:port (e.g. 127.0.0.1:8080 or [::1]:8443)");
  CHECK(error_of("[web]\nlisten = [\"127.0.0.1:65536\"]\n") ==
        "test.toml:2: web.listen: '127.0.0.1:65536' is not address:port (e.g. 127.0.0.1:8080 or [::1]:8443)");
  CHECK(error_of("[web]\nlisten = []\n") ==
        "test.toml:2: web.listen: no endpoint to listen on: listen and tls_listen are both empty");
  CHECK(error_of("[web]\ntls_listen = [\"0.0.0.0:443\"]\n") ==
        "test.toml:1: web.tls_certificate: required when tls_listen is set (a PEM certificate chain)");
  CHECK(error_of("[web]\nthreads = 0\n") == "test.toml:2: web.threads: 0 is out of range 1..256");
  CHECK(error_of("[web]\nheader_limit = 10\n") == "test.toml:2: web.header_limit: unknown key");
  CHECK(error_of("[web]\ntls_listen = [\"0.0.0.0:443\"]\ntls_certificate = \"/nonexistent/cert.pem\"\n"
                 "tls_private_key = \"/nonexistent/key.pem\"\n") ==
        "test.toml:3: web.tls_certificate: file '/nonexistent/cert.pem' does not exist or cannot be read");
}

TEST_CASE("the shipped configs/botwarden.toml [web] section loads with its documented defaults") {
  const auto c = load_web_config(ConfigFile::load(std::string(BOTWARDEN_SOURCE_DIR) + "/configs/botwarden.toml"));
  REQUIRE(c.listen.size() == 1);
  CHECK(c.listen[0].to_string() == "127.0.0.1:8080");
  CHECK(c.threads == 4);
  CHECK(c.header_limit_bytes == 8192);
  CHECK(c.shutdown_grace_seconds == 10);
}
