// Compiled-in templates, strings (en, de) and the stylesheet.
#include "web/pages/render.hpp"

#include <map>
#include <memory>
#include <stdexcept>

#include "notifier/notices/locale.hpp"

namespace botwarden::web {

namespace {

constexpr std::string_view kFrame = R"(<!DOCTYPE html>
<html lang="{{lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{title}}</title>
<link rel="stylesheet" href="/static/botwarden.css">
</head>
<body>
)";
constexpr std::string_view kFrameEnd = "</body>\n</html>\n";

// The walled-garden notice: the subscriber's own open incident.
constexpr std::string_view kNotice = R"(<main>
<h1>{{t.heading}}</h1>
<p class="lead">{{t.intro}}</p>
{{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
<h2>{{t.seen_heading}}</h2>
<ul class="seen">
{{#seen}}<li>{{.}}</li>
{{/seen}}</ul>
<p>{{when}}</p>
{{#has_helos}}<p>{{t.helos_intro}}</p>
<ul class="evidence">
{{#helos}}<li><code>{{.}}</code></li>
{{/helos}}</ul>{{/has_helos}}
<h2>{{t.steps_heading}}</h2>
<ol class="steps">
{{#steps}}<li>{{.}}</li>
{{/steps}}</ol>
{{#has_tools}}<h2>{{t.tools_heading}}</h2>
<ul class="tools">
{{#tools}}<li><a href="{{url}}" rel="noopener noreferrer">{{name}}</a></li>
{{/tools}}</ul>{{/has_tools}}
{{#can_release}}<h2>{{t.release_heading}}</h2>
<form method="post" action="{{action}}">
<input type="hidden" name="csrf" value="{{csrf}}">
<p class="confirm"><input type="checkbox" id="confirm" name="confirm" value="yes" required>
<label for="confirm">{{t.confirm_label}}</label></p>
<p><button type="submit">{{t.button}}</button></p>
</form>{{/can_release}}
{{^can_release}}<h2>{{t.support_heading}}</h2>
<p>{{t.limit_reached}}</p>{{/can_release}}
{{> support}}
<p class="small">{{t.reference}} {{reference}} · {{isp_name}}</p>
</main>
)";

constexpr std::string_view kNeutral = R"(<main>
<h1>{{t.neutral_heading}}</h1>
<p>{{t.neutral_text}}</p>
<p class="small">{{isp_name}}</p>
</main>
)";

// A short result page: released, escalated, errors.
constexpr std::string_view kMessage = R"(<main>
<h1>{{heading}}</h1>
{{#paragraphs}}<p>{{.}}</p>
{{/paragraphs}}
{{#show_support}}{{> support}}{{/show_support}}
{{#back}}<p><a href="{{back}}">{{back_text}}</a></p>{{/back}}
</main>
)";

constexpr std::string_view kSupport = R"({{#has_support}}<div class="support">
<h3>{{t.contact_heading}}</h3>
<ul>
{{#support_phone}}<li>{{t.phone}} {{support_phone}}</li>{{/support_phone}}
{{#support_email}}<li>{{t.email}} {{support_email}}</li>{{/support_email}}
{{#support_url}}<li><a href="{{support_url}}" rel="noopener noreferrer">{{support_url}}</a></li>{{/support_url}}
</ul>
</div>{{/has_support}}
)";

constexpr std::string_view kLogin = R"(<main class="narrow">
<h1>botwarden console</h1>
{{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
<form method="post" action="/console/login">
<input type="hidden" name="csrf" value="{{csrf}}">
<p><label for="name">Name</label><br><input id="name" name="name" autocomplete="username" required value="{{name}}"></p>
<p><label for="password">Password</label><br><input id="password" name="password" type="password" autocomplete="current-password" required></p>
<p><button type="submit">Log in</button></p>
</form>
</main>
)";

// The navigation is drawn the same way on the report page (web/report/report_page.cpp).
constexpr std::string_view kConsoleHeader = R"(<header class="bar"><span>botwarden console</span>
<nav><a href="/console/incidents">Incidents</a>{{#has_report}} <a href="/console/report">Report</a>{{/has_report}}</nav>
<span>{{user}} ({{role}})</span>
<form method="post" action="/console/logout" class="inline"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit">Log out</button></form>
</header>
)";

constexpr std::string_view kIncidents = R"({{> header}}<main class="wide">
<h1>Incidents</h1>
<form method="get" action="/console/incidents" class="filters">
<label for="state">State</label> <select id="state" name="state"><option value="">any</option>
{{#states}}<option value="{{name}}"{{#selected}} selected{{/selected}}>{{name}}</option>{{/states}}</select>
<label for="detector">Detector</label> <select id="detector" name="detector"><option value="">any</option>
{{#detectors}}<option value="{{name}}"{{#selected}} selected{{/selected}}>{{name}}</option>{{/detectors}}</select>
<label for="account">Account</label> <input id="account" name="account" value="{{account}}" size="12">
<label for="since">Since</label> <input id="since" name="since" value="{{since}}" placeholder="2026-11-25T00:00:00Z" size="20">
<label for="until">Until</label> <input id="until" name="until" value="{{until}}" size="20">
<button type="submit">Filter</button>
</form>
{{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
<p>{{total}} incidents{{#pages}}, page {{page}} of {{pages}}{{/pages}}.</p>
<table>
<thead><tr><th scope="col">Id</th><th scope="col">State</th><th scope="col">Account</th><th scope="col">Subscriber</th><th scope="col">Detectors</th><th scope="col">Detections</th><th scope="col">Last detection</th></tr></thead>
<tbody>
{{#incidents}}<tr><td><a href="/console/incidents/{{id}}">{{id}}</a></td><td>{{state}}</td><td>{{account}}</td><td>{{subscriber}}</td><td>{{detectors}}</td><td>{{count}}</td><td>{{last}}</td></tr>
{{/incidents}}</tbody>
</table>
<p class="paging">{{#prev}}<a href="{{prev}}">Previous page</a> {{/prev}}{{#next}}<a href="{{next}}">Next page</a>{{/next}}</p>
</main>
)";

// A console page with only a message: a refused report query.
constexpr std::string_view kConsoleMessage = R"({{> header}}<main class="wide">
<h1>{{heading}}</h1>
{{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
{{#back}}<p><a href="{{back}}">{{back_text}}</a></p>{{/back}}
</main>
)";

constexpr std::string_view kIncident = R"({{> header}}<main class="wide">
<p><a href="/console/incidents">All incidents</a></p>
<h1>Incident {{id}}</h1>
{{#message}}<p class="notice" role="status">{{message}}</p>{{/message}}
{{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
<dl class="facts">
<dt>State</dt><dd>{{state}} since {{state_since}}</dd>
<dt>Account</dt><dd>{{account}}</dd>
<dt>Subscriber</dt><dd>{{subscriber}}</dd>
<dt>Detectors</dt><dd>{{detectors}}</dd>
<dt>Detections</dt><dd>{{count}}, first {{first}}, last {{last}}</dd>
<dt>Self-releases</dt><dd>{{self_releases}}</dd>
<dt>Exempt</dt><dd>{{exempt}}</dd>
</dl>
{{#can_act}}<h2>Actions</h2>
<form method="post" action="/console/incidents/{{id}}/actions" class="action">
<input type="hidden" name="csrf" value="{{csrf}}">
<p><label for="reason">Reason (audited)</label><br><input id="reason" name="reason" required size="50"></p>
<p>{{#actions}}<button type="submit" name="action" value="{{name}}">{{label}}</button> {{/actions}}</p>
</form>{{/can_act}}
<h2>Evidence</h2>
{{#events}}<section class="event">
<h3>{{detector}} at {{ts}} (sensor {{sensor}}, score {{score}})</h3>
<p>Source {{address}}; {{sessions}} sessions in {{window}} s; {{destinations}} destinations; {{rejections}} rejected with 5xx.</p>
{{#has_helos}}<p>HELO names seen:</p><ul>{{#helos}}<li><code>{{.}}</code></li>{{/helos}}</ul>{{/has_helos}}
{{#has_destinations}}<p>Destinations:</p><ul>{{#destinations_list}}<li><code>{{.}}</code></li>{{/destinations_list}}</ul>{{/has_destinations}}
{{#has_domains}}<p>MAIL FROM domains:</p><ul>{{#domains}}<li><code>{{.}}</code></li>{{/domains}}</ul>{{/has_domains}}
{{#purged}}<p>Evidence purged by retention.</p>{{/purged}}
</section>
{{/events}}
<h2>Notices</h2>
<table><thead><tr><th scope="col">Id</th><th scope="col">Stage</th><th scope="col">To</th><th scope="col">Status</th><th scope="col">Created</th><th scope="col">Sent</th><th scope="col">Last error</th></tr></thead><tbody>
{{#notices}}<tr><td>{{id}}</td><td>{{stage}}</td><td>{{to}}</td><td>{{status}}</td><td>{{created}}</td><td>{{sent}}</td><td>{{error}}</td></tr>
{{/notices}}</tbody></table>
<h2>Audit log</h2>
<table><thead><tr><th scope="col">Time</th><th scope="col">From</th><th scope="col">To</th><th scope="col">Action</th><th scope="col">Actor</th><th scope="col">Reason</th></tr></thead><tbody>
{{#audit}}<tr><td>{{at}}</td><td>{{from}}</td><td>{{to}}</td><td>{{action}}</td><td>{{actor}} ({{kind}})</td><td>{{reason}}</td></tr>
{{/audit}}</tbody></table>
</main>
)";

constexpr std::string_view kStylesheet = R"(html{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;background:#fff;line-height:1.5}
body{margin:0;padding:0 1rem}
main{max-width:40rem;margin:1.5rem auto}
main.wide{max-width:72rem}
main.narrow{max-width:22rem}
h1{font-size:1.6rem;line-height:1.25}
h2{font-size:1.25rem;margin-top:1.75rem}
.lead{font-size:1.1rem}
.error{background:#fde8e8;border-left:4px solid #b00020;padding:.5rem .75rem;color:#5c0010}
.notice{background:#e8f4fd;border-left:4px solid #0a58a6;padding:.5rem .75rem}
.support{background:#f3f3f3;padding:.5rem 1rem;border-radius:4px}
.small{font-size:.85rem;color:#444}
code{background:#f3f3f3;padding:0 .2rem;word-break:break-all}
a{color:#0a4f9c}
button{font-size:1rem;padding:.6rem 1.1rem;background:#0a4f9c;color:#fff;border:0;border-radius:4px;cursor:pointer}
button:focus,a:focus,input:focus,select:focus{outline:3px solid #f0a500;outline-offset:2px}
input,select{font-size:1rem;padding:.3rem}
.confirm input{width:1.2rem;height:1.2rem;vertical-align:middle}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{border-bottom:1px solid #ccc;padding:.3rem .4rem;text-align:left;vertical-align:top}
.bar{display:flex;gap:1rem;justify-content:space-between;align-items:center;border-bottom:1px solid #ccc;padding:.5rem 0}
form.inline{display:inline}
.filters label{margin-left:.4rem}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}
dl.facts dt{font-weight:600}
.event{border-top:1px solid #ddd}
)";

using Strings = std::map<std::string, std::string, std::less<>>;

const Strings& english() {
  static const Strings s = {
      {"title", "Your connection needs attention"},
      {"heading", "A device on your connection is sending spam"},
      {"intro", "Our network saw a computer or other device on your Internet connection send email the way "
                "spam-sending malware does. Your web access is limited until the device is cleaned. "
                "This page explains what we saw and how to fix it."},
      {"seen_heading", "What we saw"},
      {"seen_bad_helo", "It sent email while introducing itself with names that real mail programs do not use."},
      {"seen_direct_to_mx", "It sent email directly to many other mail servers on the Internet, instead of "
                            "through your provider's mail server."},
      {"seen_snowshoe", "It took part in a wave of spam sent from many connections at the same time."},
      {"when", "First seen on {{first}}, last seen on {{last}}; {{count}} observations."},
      {"helos_intro", "The device introduced itself to mail servers with these names:"},
      {"steps_heading", "How to clean your device"},
      {"tools_heading", "Tools that can help"},
      {"release_heading", "When you are done"},
      {"confirm_label", "I have cleaned my computer and the other devices on my connection."},
      {"button", "I have cleaned my computer"},
      {"support_heading", "Please contact us"},
      {"limit_reached", "Your connection has been released several times recently. To restore full access, "
                        "please contact our support team, who will help you clean your devices."},
      {"contact_heading", "Support"},
      {"phone", "Phone:"},
      {"email", "Email:"},
      {"reference", "Reference:"},
      {"neutral_heading", "Nothing to do"},
      {"neutral_text", "There is no notice for your connection. If you were sent here by a link, the link is not "
                       "valid or no longer needed."},
      {"released_heading", "Thank you: your connection is released"},
      {"released_text", "Full access is restored within a minute. We keep watching for a while; if the device "
                        "sends spam again, you will hear from us."},
      {"csrf_heading", "Please try again"},
      {"csrf_text", "This form has expired or was not sent from this page. Please reload the page and try again."},
      {"confirm_missing", "Please tick the box to confirm that you have cleaned your devices."},
      {"escalated_heading", "Please contact us"},
      {"escalated_text", "Your connection stays limited for now. Please contact our support team, who will "
                         "help you clean your devices and restore access."},
      {"back", "Back to the notice"},
      {"step1", "Disconnect the affected computer from the Internet if you can, except to download tools."},
      {"step2", "Update the operating system and all programs, then run a full scan with an up-to-date "
                "antivirus program. Remove everything it finds."},
      {"step3", "Check other devices on your connection too: phones, tablets, smart TVs, cameras and routers. "
                "Restart the router and change its password."},
      {"step4", "Change the passwords of your email and other important accounts from a clean device."},
  };
  return s;
}

const Strings& german() {
  static const Strings s = {
      {"title", "Ihr Anschluss braucht Ihre Aufmerksamkeit"},
      {"heading", "Ein Gerät an Ihrem Anschluss versendet Spam"},
      {"intro", "Unser Netz hat gesehen, dass ein Computer oder ein anderes Gerät an Ihrem Internetanschluss "
                "E-Mails so versendet, wie es Schadsoftware für Spam tut. Ihr Zugang zum Web ist eingeschränkt, "
                "bis das Gerät bereinigt ist. Diese Seite erklärt, was wir gesehen haben und was Sie tun können."},
      {"seen_heading", "Was wir gesehen haben"},
      {"seen_bad_helo", "Es hat E-Mails versendet und sich dabei mit Namen vorgestellt, die echte "
                        "E-Mail-Programme nicht verwenden."},
      {"seen_direct_to_mx", "Es hat E-Mails direkt an viele fremde Mailserver im Internet geschickt, statt über "
                            "den Mailserver Ihres Anbieters."},
      {"seen_snowshoe", "Es war Teil einer Spamwelle, die von vielen Anschlüssen gleichzeitig ausging."},
      {"when", "Zuerst gesehen am {{first}}, zuletzt am {{last}}; {{count}} Beobachtungen."},
      {"helos_intro", "Das Gerät hat sich bei Mailservern mit diesen Namen vorgestellt:"},
      {"steps_heading", "So bereinigen Sie Ihr Gerät"},
      {"tools_heading", "Hilfreiche Werkzeuge"},
      {"release_heading", "Wenn Sie fertig sind"},
      {"confirm_label", "Ich habe meinen Computer und die anderen Geräte an meinem Anschluss bereinigt."},
      {"button", "Ich habe meinen Computer bereinigt"},
      {"support_heading", "Bitte melden Sie sich bei uns"},
      {"limit_reached", "Ihr Anschluss wurde in letzter Zeit schon mehrmals freigegeben. Für den vollen Zugang "
                        "wenden Sie sich bitte an unseren Kundendienst; wir helfen Ihnen beim Bereinigen."},
      {"contact_heading", "Kundendienst"},
      {"phone", "Telefon:"},
      {"email", "E-Mail:"},
      {"reference", "Vorgangsnummer:"},
      {"neutral_heading", "Nichts zu tun"},
      {"neutral_text", "Für Ihren Anschluss liegt kein Hinweis vor. Falls Sie über einen Link hierher gekommen "
                       "sind, ist dieser ungültig oder nicht mehr nötig."},
      {"released_heading", "Danke: Ihr Anschluss ist freigegeben"},
      {"released_text", "Der volle Zugang ist in etwa einer Minute wiederhergestellt. Wir beobachten Ihren "
                        "Anschluss noch eine Weile; versendet das Gerät wieder Spam, melden wir uns."},
      {"csrf_heading", "Bitte versuchen Sie es noch einmal"},
      {"csrf_text", "Dieses Formular ist abgelaufen oder wurde nicht von dieser Seite gesendet. Bitte laden Sie "
                    "die Seite neu und versuchen Sie es noch einmal."},
      {"confirm_missing", "Bitte bestätigen Sie mit dem Häkchen, dass Sie Ihre Geräte bereinigt haben."},
      {"escalated_heading", "Bitte melden Sie sich bei uns"},
      {"escalated_text", "Ihr Anschluss bleibt vorerst eingeschränkt. Bitte wenden Sie sich an unseren "
                         "Kundendienst; wir helfen Ihnen beim Bereinigen und geben den Zugang wieder frei."},
      {"back", "Zurück zum Hinweis"},
      {"step1", "Trennen Sie den betroffenen Computer möglichst vom Internet, außer zum Herunterladen von "
                "Werkzeugen."},
      {"step2", "Aktualisieren Sie das Betriebssystem und alle Programme und prüfen Sie den Computer dann "
                "vollständig mit einem aktuellen Virenschutzprogramm. Entfernen Sie alles, was es findet."},
      {"step3", "Prüfen Sie auch die anderen Geräte an Ihrem Anschluss: Telefone, Tablets, Fernseher, Kameras "
                "und den Router. Starten Sie den Router neu und ändern Sie sein Passwort."},
      {"step4", "Ändern Sie von einem sauberen Gerät aus die Passwörter Ihres E-Mail-Kontos und anderer wichtiger "
                "Konten."},
  };
  return s;
}

const std::map<std::string_view, std::string_view>& templates() {
  static const std::map<std::string_view, std::string_view> t = {
      {"notice", kNotice}, {"neutral", kNeutral}, {"message", kMessage}, {"login", kLogin}, {"console_message", kConsoleMessage},
      {"incidents", kIncidents}, {"incident", kIncident}};
  return t;
}

}  // namespace

std::string page_language(std::string_view tag) {
  return notices::primary_language(tag) == "de" ? "de" : "en";
}

Data page_strings(std::string_view language) {
  Data t{Data::type::object};
  for (const auto& [key, value] : page_language(language) == "de" ? german() : english()) t.set(key, value);
  return t;
}

std::string render_page(std::string_view template_name, std::string_view language, std::string_view title,
                        const Data& data) {
  const auto it = templates().find(template_name);
  if (it == templates().end()) throw std::logic_error("no page template " + std::string(template_name));
  // Parsed once per handler thread (mustache::render is not const, so not shared).
  thread_local std::map<std::string_view, std::unique_ptr<kainjow::mustache::mustache>> parsed;
  auto& body_template = parsed[it->first];
  if (!body_template) {
    body_template = std::make_unique<kainjow::mustache::mustache>(std::string(it->second));
    if (!body_template->is_valid()) {
      throw std::logic_error("page template " + std::string(template_name) + ": " + body_template->error_message());
    }
  }
  auto& body = *body_template;
  Data context = data;
  context.set("support", Data{kainjow::mustache::partial{[] { return std::string(kSupport); }}});
  context.set("header", Data{kainjow::mustache::partial{[] { return std::string(kConsoleHeader); }}});
  thread_local kainjow::mustache::mustache frame{std::string(kFrame)};
  Data frame_data{Data::type::object};
  frame_data.set("lang", std::string(language));
  frame_data.set("title", std::string(title));
  std::string html = frame.render(frame_data);
  html += body.render(context);
  html += kFrameEnd;
  return html;
}

Response html_response(const Request& request, Status status, std::string html) {
  auto response = make_response(request, status, std::move(html), "text/html; charset=utf-8");
  response.set(beast_http::field::cache_control, "no-store");
  response.set("Content-Security-Policy", kPageContentSecurityPolicy);
  response.set("X-Content-Type-Options", "nosniff");
  response.set("Referrer-Policy", "no-referrer");
  return response;
}

Response stylesheet_response(const Request& request) {
  auto response = make_response(request, Status::ok, std::string(kStylesheet), "text/css; charset=utf-8");
  response.set(beast_http::field::cache_control, "public, max-age=3600");
  response.set("X-Content-Type-Options", "nosniff");
  return response;
}

}  // namespace botwarden::web
