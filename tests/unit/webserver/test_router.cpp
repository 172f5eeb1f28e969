// Routes are pure functions: matched, limited and answered without sockets.
#include <doctest/doctest.h>

#include <stdexcept>

#include "web/server/router.hpp"

using namespace botwarden;
using namespace botwarden::web;

namespace {
Request request(Verb method, std::string target) {
  Request r{method, target, 11};
  r.set(beast_http::field::host, "example.net");
  return r;
}

Response answer(const Router& router, Verb method, const std::string& target) {
  const auto q = request(method, target);
  RequestContext ctx;
  std::tie(ctx.path, ctx.query) = split_target(q.target());
  return router.handle(q, ctx);
}

Handler says(std::string text) {
  return [text](const Request& q, const RequestContext& ctx) {
    return make_response(q, Status::ok, text + " " + std::string(ctx.path) + "?" + std::string(ctx.query));
  };
}
}  // namespace

TEST_CASE("exact routes beat prefixes and the longest prefix wins") {
  Router router;
  router.add_prefix(Verb::get, "/static/", says("static"));
  router.add_prefix(Verb::get, "/static/css/", says("css"));
  router.add(Verb::get, "/static/css/exact.css", says("exact"));
  router.add(Verb::get, "/", says("root"));
  CHECK(answer(router, Verb::get, "/static/app.js").body() == "static /static/app.js?");
  CHECK(answer(router, Verb::get, "/static/css/site.css?v=2").body() == "css /static/css/site.css?v=2");
  CHECK(answer(router, Verb::get, "/static/css/exact.css").body() == "exact /static/css/exact.css?");
  CHECK(answer(router, Verb::get, "/?a=b").body() == "root /?a=b");
}

TEST_CASE("no route and no fallback is 404; a known path with another method is 405 with Allow") {
  Router router;
  router.add(Verb::post, "/api/v1/events", says("events"));
  router.add(Verb::get, "/api/v1/events", says("list"));
  router.add(Verb::post, "/cleanup", says("cleanup"));
  const auto missing = answer(router, Verb::get, "/nowhere");
  CHECK(missing.result() == Status::not_found);
  CHECK(missing.body() == "404 Not Found\n");
  CHECK(missing[beast_http::field::content_type] == "text/plain; charset=utf-8");
  const auto wrong = answer(router, Verb::delete_, "/api/v1/events");
  CHECK(wrong.result() == Status::method_not_allowed);
  CHECK(wrong.body() == "405 Method Not Allowed\n");
  CHECK(wrong[beast_http::field::allow] == "POST, GET, HEAD");
  CHECK(answer(router, Verb::get, "/cleanup")[beast_http::field::allow] == "POST");
}

TEST_CASE("the fallback answers any other method and path, but not a known path's wrong method") {
  Router router;
  router.add(Verb::post, "/api/v1/events", says("events"));
  router.set_fallback(says("walled garden"));
  CHECK(answer(router, Verb::get, "/any/path?x=1").body() == "walled garden /any/path?x=1");
  CHECK(answer(router, Verb::post, "/login.php").body() == "walled garden /login.php?");
  CHECK(answer(router, Verb::get, "/api/v1/events").result() == Status::method_not_allowed);
}

TEST_CASE("HEAD is answered by the GET handler") {
  Router router;
  router.add(Verb::get, "/page", says("page"));
  const auto r = answer(router, Verb::head, "/page");
  CHECK(r.result() == Status::ok);
  CHECK(r.body() == "page /page?");  // the server drops the body when writing a HEAD response
}

TEST_CASE("a handler that throws gives a 500 and nothing of the exception") {
  Router router;
  router.add(Verb::get, "/boom", [](const Request&, const RequestContext&) -> Response {
    throw std::runtime_error("database is locked: /var/lib/botwarden/secret.db");
  });
  const auto r = answer(router, Verb::get, "/boom");
  CHECK(r.result() == Status::internal_server_error);
  CHECK(r.body() == "500 Internal Server Error\n");
}

TEST_CASE("body limits are per route, with the default elsewhere") {
  Router router;
  router.add(Verb::post, "/api/v1/events", says("events"), {.body_limit = 1 << 20});
  router.add(Verb::post, "/cleanup", says("cleanup"));
  router.set_fallback(says("garden"), {.body_limit = 0});
  CHECK(router.body_limit(Verb::post, "/api/v1/events", 65536) == 1 << 20);
  CHECK(router.body_limit(Verb::post, "/cleanup", 65536) == 65536);
  CHECK(router.body_limit(Verb::post, "/elsewhere", 65536) == 0);
}

TEST_CASE("registering the same route twice is a programming error") {
  Router router;
  router.add(Verb::get, "/a", says("a"));
  CHECK_THROWS_WITH_AS(router.add(Verb::get, "/a", says("b")), "route GET /a registered twice", std::logic_error);
}

TEST_CASE("responses keep the request's version and keep-alive; redirects reject CR/LF") {
  auto q = request(Verb::get, "/");
  q.version(10);
  const auto r = make_response(q, Status::ok, "hi", "text/html; charset=utf-8");
  CHECK(r.version() == 10);
  CHECK_FALSE(r.keep_alive());
  CHECK(r[beast_http::field::content_length] == "2");
  const auto see = make_redirect(request(Verb::post, "/cleanup"), "/cleanup/done");
  CHECK(see.result() == Status::see_other);
  CHECK(see[beast_http::field::location] == "/cleanup/done");
  CHECK_THROWS_AS(make_redirect(q, "/x\r\nSet-Cookie: a=b"), std::invalid_argument);
}

TEST_CASE("X-Forwarded-For is believed only from trusted proxies, right to left") {
  const PrefixSet proxies({*Prefix::parse("10.0.0.0/8"), *Prefix::parse("::1/128")});
  const auto peer_proxy = *IpAddress::parse("10.1.2.3");
  const auto peer_other = *IpAddress::parse("198.51.100.7");
  CHECK(client_address(peer_other, "203.0.113.9", proxies).to_string() == "198.51.100.7");
  CHECK(client_address(peer_proxy, "", proxies).to_string() == "10.1.2.3");
  CHECK(client_address(peer_proxy, "203.0.113.9", proxies).to_string() == "203.0.113.9");
  // A client may send its own X-Forwarded-For: only the right-most untrusted entry counts.
  CHECK(client_address(peer_proxy, "1.2.3.4, 203.0.113.9, 10.9.9.9", proxies).to_string() == "203.0.113.9");
  CHECK(client_address(peer_proxy, "2001:db8::5", proxies).to_string() == "2001:db8::5");
  CHECK(client_address(peer_proxy, "garbage, 10.9.9.9", proxies).to_string() == "10.9.9.9");
  CHECK(client_address(peer_proxy, "10.8.8.8, 10.9.9.9", proxies).to_string() == "10.8.8.8");
}
