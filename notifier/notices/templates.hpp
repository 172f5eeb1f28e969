// The notice templates an ISP edits: per language a folder with
// subject.mustache, notice.txt.mustache and notice.html.mustache
// (configs/templates/<lang>/). All are checked when loaded; rendering
// cannot fail afterwards.
#pragma once
#include <kainjow/mustache.hpp>

#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace botwarden::notices {

class TemplateError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct TemplateSet {
  std::string language;
  std::string subject;  // template sources
  std::string text;
  std::string html;
};

struct RenderedNotice {
  std::string subject;  // one line, plain text (not yet header-encoded)
  std::string text;     // plain-text body, LF or CRLF line ends
  std::string html;     // HTML body
};

class TemplateCatalog {
 public:
  // Reads every <dir>/<lang>/ folder holding the three files. "en" must be
  // among them (the fallback). Throws TemplateError naming file and line for
  // a missing file, a mustache syntax error, or an unescaped tag ({{{x}}},
  // {{&x}}) or delimiter change ({{=...=}}) — those would let a value from
  // the wire reach the HTML unescaped.
  static TemplateCatalog load(const std::string& dir);
  // Same checks on in-memory sources (tests, embedded defaults).
  static TemplateCatalog from_sets(std::vector<TemplateSet> sets, const std::string& origin);

  // The set for `language` ("de-AT" finds "de"); "en" when there is none.
  const TemplateSet& for_language(std::string_view language) const;
  std::vector<std::string> languages() const;

  // Renders one set. `data` values are escaped for HTML in the html part
  // (mustache's default) and inserted as they are in subject and text, so
  // callers pass values already made text-safe (no control characters).
  static RenderedNotice render(const TemplateSet& set, const kainjow::mustache::data& data);

 private:
  std::map<std::string, TemplateSet, std::less<>> sets_;
};

}  // namespace botwarden::notices
