// Reading botwarden's TOML configuration: one file, a section per program.
// Every getter checks type and range; every error names file, line and key
// (e.g. "botwarden.toml:12: sensor.snaplen: expected an integer, got a string").
// finish() rejects keys nobody asked for, so a typo never passes silently.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "ip.hpp"

namespace toml { inline namespace v3 { class table; class node; } }

namespace botwarden {

class ConfigError : public std::runtime_error {
 public:
  ConfigError(std::string file, std::size_t line, std::string key, std::string message);
  const std::string& file() const { return file_; }
  std::size_t line() const { return line_; }  // 0 when there is no line (missing file)
  const std::string& key() const { return key_; }
  const std::string& message() const { return message_; }

 private:
  std::string file_;
  std::size_t line_;
  std::string key_;
  std::string message_;
};

class ConfigSection {
 public:
  // `table` may be null: an absent section, where every getter returns its default.
  ConfigSection(std::string file, std::string path, const toml::table* table, std::size_t line);

  bool has(std::string_view key) const;
  std::string get_string(std::string_view key, std::string fallback);
  // One of `allowed`; the error lists them.
  std::string get_choice(std::string_view key, std::string fallback,
                         const std::vector<std::string>& allowed);
  std::int64_t get_int(std::string_view key, std::int64_t fallback, std::int64_t min,
                       std::int64_t max);
  double get_double(std::string_view key, double fallback, double min, double max);
  bool get_bool(std::string_view key, bool fallback);
  std::vector<std::string> get_strings(std::string_view key, std::vector<std::string> fallback);
  std::vector<Prefix> get_prefixes(std::string_view key, std::vector<Prefix> fallback);
  // Like get_prefixes but the key must be present and non-empty.
  std::vector<Prefix> require_prefixes(std::string_view key);
  std::optional<IpAddress> get_address(std::string_view key);
  // A path that must name an existing, readable file (relative paths are
  // taken relative to the config file's folder).
  std::string get_existing_file(std::string_view key, std::string fallback);
  // A path that may not exist yet (output files, databases), made relative
  // to the config file's folder.
  std::string get_path(std::string_view key, std::string fallback);
  // A nested table such as [sensor.bad_helo]; absent gives an empty section.
  ConfigSection subsection(std::string_view key);
  // Array of tables ([[notifier.sensors]]).
  std::vector<ConfigSection> get_table_array(std::string_view key);

  // Throws ConfigError for the first key that no getter asked for.
  void finish() const;
  [[noreturn]] void fail(std::string_view key, const std::string& message) const;
  std::size_t line_of(std::string_view key) const;
  const std::string& path() const { return path_; }
  const std::string& file() const { return file_; }

 private:
  const toml::node* node(std::string_view key);
  std::string full_key(std::string_view key) const;
  std::string resolve(std::string_view p) const;

  std::string file_;
  std::string path_;
  const toml::table* table_;
  std::size_t line_;
  std::set<std::string, std::less<>> used_;
};

class ConfigFile {
 public:
  // Throws ConfigError when the file is missing, unreadable or not TOML.
  static ConfigFile load(const std::string& path);
  static ConfigFile parse(std::string_view text, const std::string& name);
  ConfigFile(ConfigFile&&) noexcept;
  ConfigFile& operator=(ConfigFile&&) noexcept;
  ~ConfigFile();

  // A top-level section ([sensor], [notifier], ...). Sections of other
  // programs are ignored; an absent section reads as empty.
  ConfigSection section(std::string_view name) const;
  const std::string& path() const { return path_; }

 private:
  ConfigFile(std::string path, std::unique_ptr<toml::table> root);
  std::string path_;
  std::unique_ptr<toml::table> root_;
};

}  // namespace botwarden
