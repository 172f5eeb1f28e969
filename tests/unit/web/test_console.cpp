// The ops console: sessions, CSRF on every POST, login limits, roles, escaping.
#include "web_fixture.hpp"
#include "web/pages/console.hpp"

using namespace botwarden;
using namespace botwarden::web;
using namespace botwarden::web::test;

namespace {
const IpAddress kOffice = *IpAddress::parse("10.1.2.3");

struct Login {
  std::string cookie;  // "bw_session=..."
  std::string csrf;    // the session's form token
};

Login login(PagesFixture& f, const std::string& name, const std::string& password, const IpAddress& from = kOffice,
            bool tls = false) {
  const auto token = csrf_of(f.get("/console/login", from).body());
  const auto r = f.request(Verb::post, "/console/login", from,
                           "csrf=" + form_escape(token) + "&name=" + name + "&password=" + password, "", tls);
  REQUIRE(r.result() == Status::see_other);
  const auto set_cookie = header(r, beast_http::field::set_cookie);
  Login l;
  l.cookie = set_cookie.substr(0, set_cookie.find(';'));
  l.csrf = csrf_of(f.get("/console/incidents", from, l.cookie).body());
  return l;
}
}  // namespace

TEST_CASE("console pages need a session") {
  PagesFixture f;
  for (const std::string target : {"/console/incidents", "/console/incidents/1", "/console/incidents?state=notified"}) {
    CAPTURE(target);
    const auto r = f.get(target, kOffice);
    CHECK(r.result() == Status::see_other);
    CHECK(header(r, beast_http::field::location) == "/console/login");
    CHECK(r.body().find("alice") == std::string::npos);
  }
  const auto forged = f.get("/console/incidents", kOffice, "bw_session=" + std::string(64, 'a'));
  CHECK(forged.result() == Status::see_other);
  const auto action = f.post("/console/incidents/1/actions", kOffice, "action=release&reason=x&csrf=y");
  CHECK(action.result() == Status::forbidden);
  CHECK(f.alice_state() == incident::State::notified);
}

TEST_CASE("login sets a secure session cookie; wrong passwords are refused and rate limited") {
  PagesFixture f;
  SUBCASE("cookie attributes, Secure only over TLS") {
    const auto token = csrf_of(f.get("/console/login", kOffice).body());
    const auto plain = f.post("/console/login", kOffice, "csrf=" + form_escape(token) + "&name=otto&password=operator-pass");
    REQUIRE(plain.result() == Status::see_other);
    const auto cookie = header(plain, beast_http::field::set_cookie);
    CHECK(cookie.starts_with("bw_session="));
    CHECK(cookie.substr(11, 64).find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(cookie.substr(75) == "; Path=/console; HttpOnly; SameSite=Strict; Max-Age=28800");
    const auto tls = f.request(Verb::post, "/console/login", kOffice,
                               "csrf=" + form_escape(token) + "&name=otto&password=operator-pass", "", true);
    CHECK(header(tls, beast_http::field::set_cookie).ends_with("; Max-Age=28800; Secure"));
  }
  SUBCASE("login without the form token") {
    const auto r = f.post("/console/login", kOffice, "name=otto&password=operator-pass");
    CHECK(r.result() == Status::forbidden);
    CHECK(r.body().find("This form has expired or was not sent from this page. Please try again.") != std::string::npos);
  }
  SUBCASE("five failures block the address, even with the right password") {
    const auto token = csrf_of(f.get("/console/login", kOffice).body());
    for (int i = 0; i < 5; ++i) {
      const auto r = f.post("/console/login", kOffice, "csrf=" + form_escape(token) + "&name=otto&password=guess" + std::to_string(i));
      CHECK(r.result() == Status::unauthorized);
      CHECK(r.body().find("Wrong name or password.") != std::string::npos);
      CHECK(header(r, beast_http::field::set_cookie).empty());
    }
    const auto blocked = f.post("/console/login", kOffice, "csrf=" + form_escape(token) + "&name=otto&password=operator-pass");
    CHECK(blocked.result() == Status::too_many_requests);
    CHECK(blocked.body().find("Too many failed logins. Try again in 15 minutes.") != std::string::npos);
    CHECK(header(blocked, beast_http::field::retry_after) == "900");
    f.now += 16LL * 60 * kMicrosPerSecond;
    const auto later = csrf_of(f.get("/console/login", kOffice).body());
    CHECK(f.post("/console/login", kOffice, "csrf=" + form_escape(later) + "&name=otto&password=operator-pass").result() ==
          Status::see_other);
  }
  SUBCASE("unknown names get the same answer") {
    const auto token = csrf_of(f.get("/console/login", kOffice).body());
    const auto r = f.post("/console/login", kOffice, "csrf=" + form_escape(token) + "&name=mallory&password=x");
    CHECK(r.result() == Status::unauthorized);
    CHECK(r.body().find("Wrong name or password.") != std::string::npos);
  }
}

TEST_CASE("sessions expire when idle and end at logout") {
  PagesFixture f;
  const auto l = login(f, "vera", "viewer-pass");
  CHECK(f.get("/console/incidents", kOffice, l.cookie).result() == Status::ok);
  SUBCASE("idle") {
    f.now += 31LL * 60 * kMicrosPerSecond;
    CHECK(f.get("/console/incidents", kOffice, l.cookie).result() == Status::see_other);
  }
  SUBCASE("logout needs the session's token") {
    CHECK(f.post("/console/logout", kOffice, "csrf=wrong", l.cookie).result() == Status::forbidden);
    CHECK(f.get("/console/incidents", kOffice, l.cookie).result() == Status::ok);
    const auto out = f.post("/console/logout", kOffice, "csrf=" + l.csrf, l.cookie);
    CHECK(out.result() == Status::see_other);
    CHECK(header(out, beast_http::field::set_cookie) == "bw_session=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0");
    CHECK(f.get("/console/incidents", kOffice, l.cookie).result() == Status::see_other);
  }
}

TEST_CASE("the incident list filters and the detail shows escaped evidence") {
  PagesFixture f;
  REQUIRE(f.ingester.ingest(detection_event(2, "100.64.0.11", "bob-pc", "direct_to_mx"), "event", f.now).status ==
          ingest::EventStatus::accepted);
  const auto l = login(f, "vera", "viewer-pass");
  const auto all = f.get("/console/incidents", kOffice, l.cookie).body();
  CHECK(all.find("<p>2 incidents.</p>") != std::string::npos);
  const auto filtered = f.get("/console/incidents?detector=direct_to_mx", kOffice, l.cookie).body();
  CHECK(filtered.find("<p>1 incidents.</p>") != std::string::npos);
  CHECK(filtered.find("<td>bob</td>") != std::string::npos);
  CHECK(filtered.find("<td>alice</td>") == std::string::npos);
  CHECK(f.get("/console/incidents?state=notified&account=alice", kOffice, l.cookie).body().find("<td>alice</td>") !=
        std::string::npos);
  CHECK(f.get("/console/incidents?since=2026-11-26T00:00:00Z", kOffice, l.cookie).body().find("<p>0 incidents.</p>") !=
        std::string::npos);
  const auto bad = f.get("/console/incidents?state=bogus", kOffice, l.cookie);
  CHECK(bad.result() == Status::bad_request);
  CHECK(bad.body().find("state: unknown state &apos;bogus&apos;") != std::string::npos);

  const auto detail = f.get("/console/incidents/" + std::to_string(f.alice_incident), kOffice, l.cookie).body();
  CHECK(detail.find("<li><code>&lt;img src=x onerror=alert(1)&gt;</code></li>") != std::string::npos);
  CHECK(detail.find("<li><code>&lt;b&gt;bold&lt;/b&gt;.example</code></li>") != std::string::npos);
  CHECK(detail.find("<img src=x") == std::string::npos);
  CHECK(detail.find("<td>notice_sent</td>") != std::string::npos);
  // A viewer sees no action buttons.
  CHECK(detail.find("/actions") == std::string::npos);
}

TEST_CASE("roles are enforced and actions are audited with the operator's name") {
  PagesFixture f;
  const std::string target = "/console/incidents/" + std::to_string(f.alice_incident) + "/actions";
  SUBCASE("a viewer cannot act, even with a valid session token") {
    const auto l = login(f, "vera", "viewer-pass");
    const auto r = f.post(target, kOffice, "csrf=" + l.csrf + "&action=release&reason=ticket+42", l.cookie);
    CHECK(r.result() == Status::forbidden);
    CHECK(r.body().find("the viewer role may not release") != std::string::npos);
    CHECK(f.alice_state() == incident::State::notified);
  }
  SUBCASE("an operator with a wrong token changes nothing") {
    const auto l = login(f, "otto", "operator-pass");
    const auto r = f.post(target, kOffice, "csrf=" + std::string(64, '0') + "&action=release&reason=x", l.cookie);
    CHECK(r.result() == Status::forbidden);
    CHECK(r.body().find("This form has expired or was not sent from this page. Please reload and try again.") !=
          std::string::npos);
    CHECK(f.alice_state() == incident::State::notified);
  }
  SUBCASE("an operator releases; may not close") {
    const auto l = login(f, "otto", "operator-pass");
    const auto r = f.post(target, kOffice, "csrf=" + l.csrf + "&action=release&reason=ticket+42", l.cookie);
    CHECK(r.result() == Status::ok);
    CHECK(r.body().find("incident " + std::to_string(f.alice_incident) + ": notified -&gt; acknowledged") !=
          std::string::npos);
    CHECK(f.alice_state() == incident::State::acknowledged);
    const auto log = f.db.transitions_of(f.alice_incident);
    CHECK(log.back().actor == "otto");
    CHECK(log.back().actor_kind == incident::ActorKind::operator_);
    CHECK(log.back().reason == "released by an operator; ticket 42");
    const auto close = f.post(target, kOffice, "csrf=" + l.csrf + "&action=close&reason=done", l.cookie);
    CHECK(close.result() == Status::forbidden);
    CHECK(close.body().find("the operator role may not close") != std::string::npos);
    // A refused transition says why.
    const auto again = f.post(target, kOffice, "csrf=" + l.csrf + "&action=release&reason=again", l.cookie);
    CHECK(again.result() == Status::conflict);
  }
  SUBCASE("a reason is required") {
    const auto l = login(f, "ada", "admin-pass");
    const auto r = f.post(target, kOffice, "csrf=" + l.csrf + "&action=close", l.cookie);
    CHECK(r.result() == Status::bad_request);
    CHECK(r.body().find("a reason of 1 to 500 printable characters is required (it goes into the audit log)") !=
          std::string::npos);
    CHECK(f.post(target, kOffice, "csrf=" + l.csrf + "&action=close&reason=fixed", l.cookie).result() == Status::ok);
    CHECK(f.alice_state() == incident::State::resolved);
  }
  SUBCASE("resend notice needs a notice to copy") {
    const auto l = login(f, "otto", "operator-pass");
    const auto r = f.post(target, kOffice, "csrf=" + l.csrf + "&action=resend_notice&reason=lost", l.cookie);
    CHECK(r.result() == Status::conflict);
    CHECK(r.body().find("refused: no notice has been queued for this incident yet") != std::string::npos);
    store::NoticeRecord n;
    n.incident_id = f.alice_incident;
    n.account = "alice";
    n.channel = "email";
    n.stage = "first";
    n.to = "alice@example.net";
    n.subject = "s";
    n.body = "b";
    n.created_at = f.now;
    REQUIRE(f.db.enqueue_notice(n));
    const auto ok = f.post(target, kOffice, "csrf=" + l.csrf + "&action=resend_notice&reason=lost", l.cookie);
    CHECK(ok.result() == Status::ok);
    store::NoticeFilter filter;
    filter.incident_id = f.alice_incident;
    CHECK(f.db.list_notices(filter).size() == 2);
    CHECK(f.db.transitions_of(f.alice_incident).back().action == "resend_notice");
  }
}
