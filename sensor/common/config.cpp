// TOML configuration access with file/line/key error messages (toml++).
#include "config.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <toml++/toml.h>

namespace botwarden {

namespace {
std::string type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    default: return "nothing";
  }
}

std::string format_what(const std::string& file, std::size_t line, const std::string& key,
                        const std::string& message) {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line);
  out += ": ";
  if (!key.empty()) out += key + ": ";
  out += message;
  return out;
}
}  // namespace

ConfigError::ConfigError(std::string file, std::size_t line, std::string key, std::string message)
    : std::runtime_error(format_what(file, line, key, message)),
      file_(std::move(file)),
      line_(line),
      key_(std::move(key)),
      message_(std::move(message)) {}

ConfigSection::ConfigSection(std::string file, std::string path, const toml::table* table,
                             std::size_t line)
    : file_(std::move(file)), path_(std::move(path)), table_(table), line_(line) {}

std::string ConfigSection::full_key(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

std::size_t ConfigSection::line_of(std::string_view key) const {
  if (table_) {
    if (const auto* n = table_->get(key)) return n->source().begin.line;
  }
  return line_;
}

void ConfigSection::fail(std::string_view key, const std::string& message) const {
  throw ConfigError(file_, line_of(key), full_key(key), message);
}

bool ConfigSection::has(std::string_view key) const { return table_ && table_->get(key); }

const toml::node* ConfigSection::node(std::string_view key) {
  used_.emplace(key);
  return table_ ? table_->get(key) : nullptr;
}

std::string ConfigSection::get_string(std::string_view key, std::string fallback) {
  const auto* n = node(key);
  if (!n) return fallback;
  if (const auto* s = n->as_string()) return s->get();
  fail(key, "expected a string, got " + type_name(*n));
}

std::string ConfigSection::get_choice(std::string_view key, std::string fallback,
                                      const std::vector<std::string>& allowed) {
  auto v = get_string(key, std::move(fallback));
  for (const auto& a : allowed) {
    if (a == v) return v;
  }
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  fail(key, "'" + v + "' is not one of: " + list);
}

std::int64_t ConfigSection::get_int(std::string_view key, std::int64_t fallback, std::int64_t min,
                                    std::int64_t max) {
  const auto* n = node(key);
  if (!n) return fallback;
  const auto* i = n->as_integer();
  if (!i) fail(key, "expected an integer, got " + type_name(*n));
  const std::int64_t v = i->get();
  if (v < min || v > max) {
    fail(key, std::to_string(v) + " is out of range " + std::to_string(min) + ".." +
                  std::to_string(max));
  }
  return v;
}

double ConfigSection::get_double(std::string_view key, double fallback, double min, double max) {
  const auto* n = node(key);
  if (!n) return fallback;
  double v = 0;
  if (const auto* f = n->as_floating_point()) {
    v = f->get();
  } else if (const auto* i = n->as_integer()) {
    v = static_cast<double>(i->get());
  } else {
    fail(key, "expected a number, got " + type_name(*n));
  }
  if (!(v >= min && v <= max)) {
    std::ostringstream os;
    os << v << " is out of range " << min << ".." << max;
    fail(key, os.str());
  }
  return v;
}

bool ConfigSection::get_bool(std::string_view key, bool fallback) {
  const auto* n = node(key);
  if (!n) return fallback;
  if (const auto* b = n->as_boolean()) return b->get();
  fail(key, "expected true or false, got " + type_name(*n));
}

std::vector<std::string> ConfigSection::get_strings(std::string_view key,
                                                    std::vector<std::string> fallback) {
  const auto* n = node(key);
  if (!n) return fallback;
  const auto* arr = n->as_array();
  if (!arr) fail(key, "expected an array of strings, got " + type_name(*n));
  std::vector<std::string> out;
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const auto* s = (*arr)[i].as_string();
    if (!s) {
      throw ConfigError(file_, (*arr)[i].source().begin.line, full_key(key),
                        "element " + std::to_string(i + 1) + ": expected a string, got " +
                            type_name((*arr)[i]));
    }
    out.push_back(s->get());
  }
  return out;
}

std::vector<Prefix> ConfigSection::get_prefixes(std::string_view key,
                                                std::vector<Prefix> fallback) {
  if (!has(key)) {
    used_.emplace(key);
    return fallback;
  }
  const auto strings = get_strings(key, {});
  std::vector<Prefix> out;
  const auto* arr = table_->get(key)->as_array();
  for (std::size_t i = 0; i < strings.size(); ++i) {
    std::string why;
    auto p = Prefix::parse(strings[i], &why);
    if (!p) {
      throw ConfigError(file_, (*arr)[i].source().begin.line, full_key(key),
                        "invalid prefix: " + why);
    }
    out.push_back(*p);
  }
  return out;
}

std::vector<Prefix> ConfigSection::require_prefixes(std::string_view key) {
  if (!has(key)) fail(key, "required key is missing (a list of IPv4/IPv6 prefixes)");
  auto out = get_prefixes(key, {});
  if (out.empty()) fail(key, "must list at least one prefix");
  return out;
}

std::optional<IpAddress> ConfigSection::get_address(std::string_view key) {
  if (!has(key)) {
    used_.emplace(key);
    return std::nullopt;
  }
  const auto text = get_string(key, "");
  auto a = IpAddress::parse(text);
  if (!a) fail(key, "'" + text + "' is not an IPv4 or IPv6 address");
  return a;
}

std::string ConfigSection::resolve(std::string_view p) const {
  std::filesystem::path path(p);
  if (path.is_relative() && !file_.empty()) {
    const auto dir = std::filesystem::path(file_).parent_path();
    if (!dir.empty()) path = dir / path;
  }
  return path.lexically_normal().string();
}

std::string ConfigSection::get_existing_file(std::string_view key, std::string fallback) {
  const bool present = has(key);
  auto v = get_string(key, std::move(fallback));
  if (v.empty()) return v;
  auto resolved = present ? resolve(v) : v;
  std::ifstream probe(resolved);
  if (!probe) fail(key, "file '" + resolved + "' does not exist or cannot be read");
  return resolved;
}

std::string ConfigSection::get_path(std::string_view key, std::string fallback) {
  const bool present = has(key);
  auto v = get_string(key, std::move(fallback));
  if (v.empty() || !present) return v;
  return resolve(v);
}

ConfigSection ConfigSection::subsection(std::string_view key) {
  const auto* n = node(key);
  if (!n) return ConfigSection(file_, full_key(key), nullptr, line_);
  const auto* t = n->as_table();
  if (!t) fail(key, "expected a table, got " + type_name(*n));
  return ConfigSection(file_, full_key(key), t, t->source().begin.line);
}

std::vector<ConfigSection> ConfigSection::get_table_array(std::string_view key) {
  const auto* n = node(key);
  std::vector<ConfigSection> out;
  if (!n) return out;
  const auto* arr = n->as_array();
  if (!arr) fail(key, "expected an array of tables ([[" + full_key(key) + "]]), got " + type_name(*n));
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const auto* t = (*arr)[i].as_table();
    if (!t) {
      throw ConfigError(file_, (*arr)[i].source().begin.line, full_key(key),
                        "element " + std::to_string(i + 1) + ": expected a table");
    }
    out.emplace_back(file_, full_key(key) + "[" + std::to_string(i + 1) + "]", t,
                     t->source().begin.line);
  }
  return out;
}

void ConfigSection::finish() const {
  if (!table_) return;
  for (const auto& [k, v] : *table_) {
    if (!used_.contains(k.str())) {
      throw ConfigError(file_, v.source().begin.line, full_key(k.str()), "unknown key");
    }
  }
}

ConfigFile::ConfigFile(std::string path, std::unique_ptr<toml::table> root)
    : path_(std::move(path)), root_(std::move(root)) {}
ConfigFile::ConfigFile(ConfigFile&&) noexcept = default;
ConfigFile& ConfigFile::operator=(ConfigFile&&) noexcept = default;
ConfigFile::~ConfigFile() = default;

ConfigFile ConfigFile::parse(std::string_view text, const std::string& name) {
  try {
    return ConfigFile(name, std::make_unique<toml::table>(toml::parse(text, name)));
  } catch (const toml::parse_error& e) {
    throw ConfigError(name, e.source().begin.line, "", "not valid TOML: " + std::string(e.description()));
  }
}

ConfigFile ConfigFile::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path, 0, "", "cannot open configuration file");
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str(), path);
}

ConfigSection ConfigFile::section(std::string_view name) const {
  const auto* n = root_->get(name);
  if (!n) return ConfigSection(path_, std::string(name), nullptr, 0);
  const auto* t = n->as_table();
  if (!t) throw ConfigError(path_, n->source().begin.line, std::string(name), "expected a table ([" + std::string(name) + "])");
  return ConfigSection(path_, std::string(name), t, t->source().begin.line);
}

}  // namespace botwarden
