// Loading and checking notice templates (see templates.hpp).
#include "templates.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "locale.hpp"

namespace botwarden::notices {
namespace {

namespace fs = std::filesystem;
using kainjow::mustache::mustache;

std::size_t line_at(std::string_view text, std::size_t offset) {
  std::size_t line = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i)
    if (text[i] == '\n') ++line;
  return line;
}

void check_source(const std::string& origin, const std::string& source) {
  for (std::string_view forbidden : {"{{{", "{{&", "{{="}) {
    const auto at = source.find(forbidden);
    if (at != std::string::npos)
      throw TemplateError(origin + ":" + std::to_string(line_at(source, at)) + ": tag '" + std::string(forbidden) +
                          "' is not allowed: every value must be escaped, use {{name}}");
  }
  mustache tmpl{source};
  if (!tmpl.is_valid()) throw TemplateError(origin + ": " + tmpl.error_message());
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw TemplateError(path.string() + ": cannot read the file");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

}  // namespace

TemplateCatalog TemplateCatalog::from_sets(std::vector<TemplateSet> sets, const std::string& origin) {
  TemplateCatalog catalog;
  for (auto& set : sets) {
    const std::string base = origin + "/" + set.language + "/";
    check_source(base + "subject.mustache", set.subject);
    check_source(base + "notice.txt.mustache", set.text);
    check_source(base + "notice.html.mustache", set.html);
    std::string key = set.language;
    catalog.sets_.insert_or_assign(std::move(key), std::move(set));
  }
  if (!catalog.sets_.contains("en"))
    throw TemplateError(origin + ": no 'en' templates (en/subject.mustache, en/notice.txt.mustache, "
                        "en/notice.html.mustache); English is the fallback language");
  return catalog;
}

TemplateCatalog TemplateCatalog::load(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw TemplateError(dir + ": templates folder does not exist");
  std::vector<TemplateSet> sets;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (!entry.is_directory()) continue;
    const std::string name = entry.path().filename().string();
    if (primary_language(name) != name) continue;  // not a language folder
    const auto subject = entry.path() / "subject.mustache";
    const auto text = entry.path() / "notice.txt.mustache";
    const auto html = entry.path() / "notice.html.mustache";
    for (const auto& p : {subject, text, html})
      if (!fs::exists(p)) throw TemplateError(p.string() + ": missing (each language folder needs all three templates)");
    sets.push_back(TemplateSet{name, read_file(subject), read_file(text), read_file(html)});
  }
  return from_sets(std::move(sets), dir);
}

const TemplateSet& TemplateCatalog::for_language(std::string_view language) const {
  const auto it = sets_.find(primary_language(language));
  return it != sets_.end() ? it->second : sets_.find("en")->second;
}

std::vector<std::string> TemplateCatalog::languages() const {
  std::vector<std::string> out;
  for (const auto& [lang, set] : sets_) out.push_back(lang);
  return out;
}

RenderedNotice TemplateCatalog::render(const TemplateSet& set, const kainjow::mustache::data& data) {
  const auto as_is = [](const std::string& s) { return s; };
  mustache subject{set.subject};
  subject.set_custom_escape(as_is);
  mustache text{set.text};
  text.set_custom_escape(as_is);
  mustache html{set.html};  // default: HTML escaping of every {{value}}
  RenderedNotice out;
  out.subject = trim(subject.render(data));
  out.text = text.render(data);
  out.html = html.render(data);
  return out;
}

}  // namespace botwarden::notices
