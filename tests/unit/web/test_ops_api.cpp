// The JSON ops API: bearer tokens, filters, detail, actions with roles.
#include "web_fixture.hpp"

using namespace botwarden;
using namespace botwarden::web;
using namespace botwarden::web::test;
using nlohmann::json;

namespace {
Response api(PagesFixture& f, Verb verb, const std::string& target, const std::string& token, const std::string& body = "") {
  Request q{verb, target, 11};
  if (!token.empty()) q.set(beast_http::field::authorization, "Bearer " + token);
  q.body() = body;
  q.prepare_payload();
  RequestContext c;
  c.client = *IpAddress::parse("10.1.2.3");
  const auto [path, query] = split_target(target);
  c.path = path;
  c.query = query;
  return f.router.handle(q, c);
}
constexpr const char* kViewer = "viewer-token-0123456789abcdef";
constexpr const char* kOperator = "operator-token-0123456789abcdef";
}  // namespace

TEST_CASE("the API needs a configured bearer token") {
  PagesFixture f;
  for (const std::string token : {"", "wrong-token-0123456789abcdef", "viewer-token-0123456789abcde"}) {
    CAPTURE(token);
    const auto r = api(f, Verb::get, "/api/v1/incidents", token);
    CHECK(r.result() == Status::unauthorized);
    CHECK(json::parse(r.body()) == json{{"error", "missing or wrong bearer token"}});
    CHECK(header(r, beast_http::field::www_authenticate) == "Bearer");
    CHECK(api(f, Verb::get, "/api/v1/incidents/1", token).result() == Status::unauthorized);
  }
}

TEST_CASE("list with filters, and the detail with events, notices and audit log") {
  PagesFixture f;
  const auto list = json::parse(api(f, Verb::get, "/api/v1/incidents?state=notified", kViewer).body());
  CHECK(list["total"] == 1);
  CHECK(list["incidents"][0]["account"] == "alice");
  CHECK(json::parse(api(f, Verb::get, "/api/v1/incidents?detector=snowshoe", kViewer).body())["total"] == 0);
  const auto bad = api(f, Verb::get, "/api/v1/incidents?limit=0", kViewer);
  CHECK(bad.result() == Status::bad_request);
  CHECK(json::parse(bad.body())["error"] == "limit: expected a whole number from 1 to 500, got '0'");
  const auto detail = json::parse(api(f, Verb::get, "/api/v1/incidents/" + std::to_string(f.alice_incident), kViewer).body());
  CHECK(detail["state"] == "notified");
  CHECK(detail["events"][0]["evidence"]["sample_helos"][0] == kHostileHelo);
  CHECK(detail["transitions"].size() == 2);
  CHECK(api(f, Verb::get, "/api/v1/incidents/999", kViewer).result() == Status::not_found);
  CHECK(api(f, Verb::get, "/api/v1/incidents/abc", kViewer).result() == Status::not_found);
}

TEST_CASE("actions: viewer forbidden, operator applied and audited, refusals explained") {
  PagesFixture f;
  const std::string target = "/api/v1/incidents/" + std::to_string(f.alice_incident) + "/actions";
  const auto viewer = api(f, Verb::post, target, kViewer, R"({"action":"release","reason":"ticket 7"})");
  CHECK(viewer.result() == Status::forbidden);
  CHECK(json::parse(viewer.body())["error"] == "the viewer role may not release");
  CHECK(f.alice_state() == incident::State::notified);

  const auto bad = api(f, Verb::post, target, kOperator, R"({"action":"release"})");
  CHECK(bad.result() == Status::bad_request);
  CHECK(json::parse(bad.body())["error"] == "expected a JSON object {\"action\": \"release\", \"reason\": \"why\"}");
  const auto unknown = api(f, Verb::post, target, kOperator, R"({"action":"delete","reason":"x"})");
  CHECK(json::parse(unknown.body())["error"] ==
        "unknown action 'delete': expected release, escalate, resend_notice, exempt, close or reopen");

  const auto ok = api(f, Verb::post, target, kOperator, R"({"action":"release","reason":"ticket 7"})");
  CHECK(ok.result() == Status::ok);
  CHECK(json::parse(ok.body()) == json{{"applied", true}, {"from", "notified"}, {"to", "acknowledged"},
                                       {"message", "incident " + std::to_string(f.alice_incident) + ": notified -> acknowledged"}});
  CHECK(f.db.transitions_of(f.alice_incident).back().actor == "ops-bot");
  const auto again = api(f, Verb::post, target, kOperator, R"({"action":"release","reason":"ticket 7"})");
  CHECK(again.result() == Status::conflict);
  CHECK(json::parse(again.body())["applied"] == false);
}
