// The walled-garden notice and the cleanup link: only the subscriber's own
// incident, nothing for anyone else, CSRF-bound release through the state
// machine, escaping of bot-controlled evidence.
#include "web_fixture.hpp"
#include "web/pages/render.hpp"

using namespace botwarden;
using namespace botwarden::web;
using namespace botwarden::web::test;

TEST_CASE("an address without a lease gets the neutral page, which reveals nothing") {
  PagesFixture f;
  const auto r = f.get("/some/path?x=1", kStranger);
  CHECK(r.result() == Status::ok);
  CHECK(r.body().find("<h1>Nothing to do</h1>") != std::string::npos);
  CHECK(r.body().find("There is no notice for your connection.") != std::string::npos);
  CHECK(r.body().find("alice") == std::string::npos);
  CHECK(r.body().find("<form") == std::string::npos);
  CHECK(header(r, beast_http::field::cache_control) == "no-store");
}

TEST_CASE("the subscriber sees their own incident, in their language, with the hostile HELO as text") {
  PagesFixture f;
  const auto r = f.get("/anything/at/all", kAlice);
  REQUIRE(r.result() == Status::ok);
  const auto& html = r.body();
  CHECK(html.find("<html lang=\"de\">") != std::string::npos);
  CHECK(html.find("<h1>Ein Gerät an Ihrem Anschluss versendet Spam</h1>") != std::string::npos);
  CHECK(html.find("Es hat E-Mails versendet und sich dabei mit Namen vorgestellt") != std::string::npos);
  CHECK(html.find("Zuerst gesehen am 25. November 2026 um 10:00 Uhr UTC") != std::string::npos);
  CHECK(html.find("<code>&lt;img src=x onerror=alert(1)&gt;</code>") != std::string::npos);
  CHECK(html.find("<img src=x") == std::string::npos);
  CHECK(html.find("Ich habe meinen Computer bereinigt") != std::string::npos);
  CHECK(html.find("action=\"/walled-garden/acknowledge\"") != std::string::npos);
  CHECK(html.find("<a href=\"https://tools.example/scanner\" rel=\"noopener noreferrer\">Scanner</a>") !=
        std::string::npos);
  CHECK(html.find("Vorgangsnummer: " + std::to_string(f.alice_incident) + " · Your Internet provider") != std::string::npos);
  CHECK(html.find("<meta name=\"viewport\"") != std::string::npos);
  CHECK(header(r, beast_http::field::cache_control) == "no-store");
  const auto csp = header(r, "Content-Security-Policy");
  CHECK(csp == kPageContentSecurityPolicy);
  CHECK(csp.find("script-src") == std::string::npos);  // default-src 'none': no script runs at all
  CHECK(html.find("<script") == std::string::npos);
}

TEST_CASE("another subscriber's incident is never shown") {
  PagesFixture f;
  for (const auto& who : {kBob, kCarol, kStranger}) {
    CAPTURE(who.to_string());
    const auto r = f.get("/", who);
    CHECK(r.body().find("<h1>Nothing to do</h1>") != std::string::npos);
    CHECK(r.body().find("onerror") == std::string::npos);
    CHECK(r.body().find(std::to_string(f.alice_incident) + "</p>") == std::string::npos);
  }
  // Alice's form token does not work from Bob's address, nor does Bob see anything by posting.
  const auto token = csrf_of(f.get("/", kAlice).body());
  REQUIRE(!token.empty());
  const auto r = f.post("/walled-garden/acknowledge", kBob, "csrf=" + form_escape(token) + "&confirm=yes");
  CHECK(r.result() == Status::forbidden);
  // Bob has no incident: the answer is the English "try again" page, which says nothing about Alice.
  CHECK(r.body().find("<h1>Please try again</h1>") != std::string::npos);
  CHECK(r.body().find("This form has expired or was not sent from this page. Please reload the page and try "
                      "again.") != std::string::npos);
  CHECK(f.alice_state() == incident::State::notified);
}

TEST_CASE("X-Forwarded-For is believed only from a trusted proxy") {
  PagesFixture f;
  const PrefixSet trusted({*Prefix::parse("127.0.0.0/8")});
  const auto loopback = *IpAddress::parse("127.0.0.1");
  const auto untrusted = *IpAddress::parse("198.51.100.9");
  CHECK(client_address(loopback, "100.64.0.10", trusted) == kAlice);
  CHECK(client_address(untrusted, "100.64.0.10", trusted) == untrusted);
  // The page follows the resolved client: through the trusted proxy Alice sees her notice,
  // the same header from an untrusted peer shows the neutral page.
  CHECK(f.get("/", client_address(loopback, "100.64.0.10", trusted)).body().find("versendet Spam") !=
        std::string::npos);
  CHECK(f.get("/", client_address(untrusted, "100.64.0.10", trusted)).body().find("Nothing to do") !=
        std::string::npos);
}

TEST_CASE("a wrong or missing CSRF token changes nothing") {
  PagesFixture f;
  for (const std::string body : {"confirm=yes", "csrf=&confirm=yes", "csrf=9999999999.00&confirm=yes",
                                 "csrf=not-a-token&confirm=yes", "%zz=1"}) {
    CAPTURE(body);
    const auto r = f.post("/walled-garden/acknowledge", kAlice, body);
    CHECK(r.result() == Status::forbidden);
    CHECK(r.body().find("<h1>Bitte versuchen Sie es noch einmal</h1>") != std::string::npos);
    CHECK(r.body().find("Dieses Formular ist abgelaufen oder wurde nicht von dieser Seite gesendet. Bitte laden Sie "
                        "die Seite neu und versuchen Sie es noch einmal.") != std::string::npos);
  }
  // An expired token: issued, then three hours pass.
  const auto token = csrf_of(f.get("/", kAlice).body());
  f.now += 3LL * 3600 * kMicrosPerSecond;
  CHECK(f.post("/walled-garden/acknowledge", kAlice, "csrf=" + form_escape(token) + "&confirm=yes").result() ==
        Status::forbidden);
  CHECK(f.alice_state() == incident::State::notified);
}

TEST_CASE("the subscriber acknowledges and is released through the state machine") {
  PagesFixture f;
  const auto token = csrf_of(f.get("/", kAlice).body());
  SUBCASE("without ticking the box the page asks again") {
    const auto r = f.post("/walled-garden/acknowledge", kAlice, "csrf=" + form_escape(token));
    CHECK(r.result() == Status::bad_request);
    CHECK(r.body().find("Bitte bestätigen Sie mit dem Häkchen, dass Sie Ihre Geräte bereinigt haben.") !=
          std::string::npos);
    CHECK(f.alice_state() == incident::State::notified);
  }
  SUBCASE("with the box ticked") {
    const auto r = f.post("/walled-garden/acknowledge", kAlice, "csrf=" + form_escape(token) + "&confirm=yes");
    CHECK(r.result() == Status::see_other);
    CHECK(header(r, beast_http::field::location) == "/");
    CHECK(f.alice_state() == incident::State::acknowledged);
    const auto log = f.db.transitions_of(f.alice_incident);
    REQUIRE(!log.empty());
    CHECK(log.back().action == "subscriber_acknowledged");
    CHECK(log.back().actor == "alice");
    CHECK(log.back().actor_kind == incident::ActorKind::subscriber);
    CHECK(log.back().reason == "released by the subscriber; self-release from 100.64.0.10");
    // Pressing the button twice (a second tab, a reload) lands on the same "released" page.
    const auto twice = f.post("/walled-garden/acknowledge", kAlice, "csrf=" + form_escape(token) + "&confirm=yes");
    CHECK(twice.result() == Status::see_other);
    CHECK(f.alice_state() == incident::State::acknowledged);
    CHECK(f.get("/walled-garden/acknowledge", kAlice).body().find("Danke: Ihr Anschluss ist freigegeben") !=
          std::string::npos);
    const auto after = f.get("/", kAlice);
    CHECK(after.body().find("<h1>Danke: Ihr Anschluss ist freigegeben</h1>") != std::string::npos);
    CHECK(after.body().find("<form") == std::string::npos);
  }
}

TEST_CASE("after the self-release limit the page offers support instead of the button") {
  auto config = PagesFixture::default_config();
  PagesFixture f(config);
  // Two earlier self-releases of alice within 30 days (the fixture's limit is 2).
  for (int i = 0; i < 2; ++i) {
    store::TransitionRecord t;
    t.incident_id = f.alice_incident;
    t.from = incident::State::notified;
    t.to = incident::State::acknowledged;
    t.action = "subscriber_acknowledged";
    t.actor = "alice";
    t.actor_kind = incident::ActorKind::subscriber;
    t.at = f.now - (i + 1) * 24LL * 3600 * kMicrosPerSecond;
    f.db.append_transition(t);
  }
  REQUIRE(f.db.count_self_releases("alice", f.now - 30LL * 24 * 3600 * kMicrosPerSecond) == 2);
  const auto r = f.get("/", kAlice);
  CHECK(r.body().find("<form") == std::string::npos);
  CHECK(r.body().find("Ihr Anschluss wurde in letzter Zeit schon mehrmals freigegeben.") != std::string::npos);
  CHECK(r.body().find("Telefon: 0800 123 456") != std::string::npos);
  CHECK(r.body().find("E-Mail: abuse@isp.example") != std::string::npos);
}

TEST_CASE("the cleanup link opens the incident from any network and releases it") {
  PagesFixture f;
  const std::string link = "/cleanup/" + f.alice_token;
  const auto page = f.get(link, kStranger);
  REQUIRE(page.result() == Status::ok);
  CHECK(page.body().find("versendet Spam") != std::string::npos);
  CHECK(page.body().find("action=\"" + link + "\"") != std::string::npos);
  const auto token = csrf_of(page.body());
  // The form token is bound to the address that loaded the page.
  CHECK(f.post(link, kBob, "csrf=" + form_escape(token) + "&confirm=yes").result() == Status::forbidden);
  CHECK(f.alice_state() == incident::State::notified);
  const auto r = f.post(link, kStranger, "csrf=" + form_escape(token) + "&confirm=yes");
  CHECK(r.result() == Status::see_other);
  CHECK(header(r, beast_http::field::location) == link);
  CHECK(f.alice_state() == incident::State::acknowledged);
}

TEST_CASE("a wrong cleanup token shows the neutral page") {
  PagesFixture f;
  for (const std::string& target : std::vector<std::string>{"/cleanup/", "/cleanup/0123456789abcdef0123456789abcdef",
                                   "/cleanup/" + f.alice_token + "x", "/cleanup/../../etc/passwd"}) {
    CAPTURE(target);
    const auto r = f.get(target, kAlice);
    CHECK(r.result() == Status::not_found);
    CHECK(r.body().find("<h1>Nothing to do</h1>") != std::string::npos);
  }
}

TEST_CASE("English for an English account and for strangers; Accept-Language picks the neutral page's language") {
  PagesFixture f;
  REQUIRE(f.ingester.ingest(detection_event(2, "100.64.0.11", "bob-pc", "direct_to_mx"), "event", f.now).status ==
          ingest::EventStatus::accepted);
  const auto bob = f.get("/", kBob).body();
  CHECK(bob.find("<html lang=\"en\">") != std::string::npos);
  CHECK(bob.find("<h1>A device on your connection is sending spam</h1>") != std::string::npos);
  CHECK(bob.find("It sent email directly to many other mail servers") != std::string::npos);
  // detected (no notice sent yet): the state machine does not allow a self-release.
  CHECK(bob.find("<form") == std::string::npos);
  Request q{Verb::get, "/", 11};
  q.set(beast_http::field::accept_language, "de-AT,de;q=0.9");
  RequestContext c;
  c.client = kStranger;
  c.path = "/";
  CHECK(f.router.handle(q, c).body().find("<h1>Nichts zu tun</h1>") != std::string::npos);
}

TEST_CASE("the walled garden answers GET and HEAD only; the stylesheet is served") {
  PagesFixture f;
  const auto put = f.request(Verb::put, "/x", kAlice, "a=b");
  CHECK(put.result() == Status::method_not_allowed);
  CHECK(header(put, beast_http::field::allow) == "GET, HEAD");
  const auto css = f.get("/static/botwarden.css", kStranger);
  CHECK(css.result() == Status::ok);
  CHECK(header(css, beast_http::field::content_type) == "text/css; charset=utf-8");
}
